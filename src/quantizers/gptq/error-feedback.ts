/**
 * GPTQ's error feedback, generic over the encoder (Frantar et al. 2022, Algorithm 1; the structure of
 * IST-DASLab/gptq `fasterquant`): columns of a weight W [rows, cols] are quantized left to right, and
 * after each step the quantization error is spread over the columns not yet quantized, weighted by
 * the upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU). Updates to columns outside the current block are
 * deferred and applied at the block's end as one GEMM ("lazy batch updates", §3 step 2).
 *
 * The encoder decides what "quantize" means: scalar GPTQ encodes one column at a time (width 1) with
 * per-group scales chosen when a group starts; vector quantizers (PVQ, VQ) encode `width` columns
 * jointly. For a step of columns [s0, s1) with working values D and quantized values Q, the errors
 * E solve E · U[s0:s1, s0:s1] = D − Q (one division per column when width = 1: e = (w − q) / U_jj),
 * and every later column k gets W[:, k] −= E · U[s0:s1, k]. With exact arithmetic this equals the
 * column-by-column algorithm, and Σ‖E‖² = tr((W − Q) H (W − Q)ᵀ), the loss GPTQ minimises greedily.
 *
 * Factor form: the loop takes V (upper triangular, V Vᵀ = H) instead of U = V⁻¹. Summed over every
 * step, the updates give E U = W − Q, so E = (W − Q) V. Hence the working values of a block B whose
 * earlier columns P are done are D_B = W_B + (Δ_P V[P, B]) U_BB, with Δ = W − Q: the lazy update
 * accumulates A = Δ_P V[P, ·] for the later columns (the work matrix holds A where Q is not yet
 * written), and a block's start resolves D_B = W_B + A_B U_BB with U_BB = V_BB⁻¹, inverted per
 * block (nb³/6 flops). Inside the block the steps use U_BB exactly as above. No full inverse of V is
 * formed: that triangular inverse took 1.3 s of a 4096² GPTQ; the resolves (rows·nb²/2 multiply-adds
 * per block, f64 GEMMs), the per-block inverses and the second block read take ~0.5 s.
 *
 * Group contract: with `groupSize` set, block boundaries are chosen so that when column g (a multiple
 * of groupSize) is reached, `startGroup` sees columns [g, g + groupSize) with every update from the
 * columns before g applied (the reference instead reads a group starting inside a block without that
 * block's pending updates; the two agree whenever groupSize is a multiple of blockSize).
 *
 * Not the Hessian preparation (damping, factor, act-order: ./hessian-prep.ts) and not a quantizer.
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../../errors.js';
import { kernel } from '../../kernels/table.js';
import { tensorRef } from '../../kernels/ref.js';
import { Tensor, checkTensor, empty, scratchTensor } from '../../tensor.js';

/** A block of working columns [j0, j1) of W, row-major [rows, j1 − j0] (a copy: writes are ignored). */
export interface ColumnBlock {
  readonly j0: number;
  readonly j1: number;
  readonly rows: number;
  readonly values: Float64Array;
}

/** What `errorFeedback` calls to quantize columns. */
export interface ColumnEncoder {
  /** Columns encoded together per `encode` call (default 1); blockSize and groupSize must be multiples of it. */
  readonly width?: number;
  /** Columns per group: `startGroup` is called at every multiple of it (default: never). */
  readonly groupSize?: number;
  /** Called when column block.j0 (a multiple of groupSize) is reached, with the group's fully updated columns. */
  startGroup?(block: ColumnBlock): void;
  /**
   * Quantizes the working columns [j0, j1) (j1 − j0 = width, except a ragged last step) and returns
   * their quantized values, row-major [rows, j1 − j0]. Must return finite values.
   */
  encode(block: ColumnBlock): Float64Array;
  /**
   * Fast path of width-1 encoders that round each row to a scalar grid: the grid `encode` would use
   * for column j, as the fused kernels take it, or undefined to call `encode`. Such columns are
   * encoded by `gptq_affine_f64` / `gptq_table_f64` (the same values, no JS loop per row) and
   * `encode` is not called for them.
   */
  fusedGrid?(j: number): FusedGrid | undefined;
  /** Receives the codes [rows] of column j when it was encoded on the fused path. */
  takeCodes?(j: number, codes: Uint8Array): void;
}

/** A scalar grid in the layouts of the fused column kernels (src/kernels/js/gptq.ts). */
export type FusedGrid =
  /** grid: f64 [4, rows] of scale, zero point, lowest and highest code per row. */
  | { readonly kind: 'affine'; readonly grid: Tensor }
  /** grid: f64 [3, rows] of scale and usable index range per row; table: f64 [4, nv]. */
  | { readonly kind: 'table'; readonly grid: Tensor; readonly table: Tensor; readonly nv: number };

/** Options of `errorFeedback`. */
export interface ErrorFeedbackOptions {
  /** Columns per lazy batch (default 128): larger blocks mean fewer, larger GEMMs. */
  readonly blockSize?: number;
}

/** Result of `errorFeedback`. */
export interface ErrorFeedbackResult {
  /** The quantized values, [rows, cols] in the working precision (V's dtype), in W's column order. */
  readonly q: Tensor;
  /** Σ‖E‖² / 2 = tr((W − Q) H (W − Q)ᵀ) / 2 for the H = V Vᵀ of the factor given. */
  readonly loss: number;
}

/** Columns per sub-block inside a lazy block (rounded to a multiple of the encoder width). */
const SUB_BLOCK = 16;

/**
 * Runs GPTQ error feedback over W [rows, cols] with V [cols, cols], the upper triangular factor of
 * the (damped) Hessian, V Vᵀ = H (`prepareHessian(h).v`; only its upper triangle is read), calling
 * `encoder` for the values of each step. The working precision is V's dtype (f32 or f64); W (any
 * float dtype) is never modified.
 * @throws ShapeError for mismatched shapes; ValueError for a bad block size or width, a non-positive
 *   diagonal of V, or an encoder returning a wrong length or a non-finite value
 * @example
 * // Round every column to multiples of 0.5, feeding the rounding error forward (scalar GPTQ on a fixed grid):
 * const { q, loss } = errorFeedback(w, prepareHessian(h).v, {
 *   encode: (b) => b.values.map((v) => Math.round(v * 2) / 2),
 * });
 * // A 4-column vector encoder (VQ/PVQ style) with its own per-group state:
 * errorFeedback(w, v, { width: 4, groupSize: 64, startGroup: (b) => fitScales(b), encode: (b) => nearestVectors(b) });
 */
export function errorFeedback(w: Tensor, v: Tensor, encoder: ColumnEncoder, opts: ErrorFeedbackOptions = {}): ErrorFeedbackResult {
  checkTensor('errorFeedback', w, 'the weight');
  if (w.ndim !== 2) throw new ShapeError(`errorFeedback needs a weight [rows, cols], got ${fmtShape(w.shape)}`);
  checkOptions('errorFeedback', opts);
  const [rows, cols] = w.shape;
  checkTensor('errorFeedback', v, 'V');
  if (v.ndim !== 2 || v.shape[0] !== cols || v.shape[1] !== cols) {
    throw new ShapeError(`errorFeedback: V must be [${cols},${cols}] for weight ${fmtShape(w.shape)}, got ${fmtShape(v.shape)}`);
  }
  if (v.dtype !== 'f32' && v.dtype !== 'f64') throw new ValueError(`errorFeedback: V must be f32 or f64, got ${v.dtype}`);
  const prec = v.dtype;
  const width = encoder.width ?? 1;
  const bs = opts.blockSize ?? 128;
  const gs = encoder.groupSize ?? 0;
  if (!Number.isInteger(width) || width < 1) throw new ValueError(`encoder width must be a positive integer, got ${width}`);
  if (!Number.isInteger(bs) || bs < 1 || bs % width !== 0) throw new ValueError(`blockSize must be a positive multiple of the encoder width ${width}, got ${bs}`);
  if (gs !== 0 && (!Number.isInteger(gs) || gs < 1 || gs % width !== 0)) {
    throw new ValueError(`groupSize must be a positive multiple of the encoder width ${width}, got ${gs}`);
  }

  // V is read in place (a copy of a 4096² factor is 64 MiB); views are re-taken after allocations.
  const vc = v.contiguous();
  // V's elements from vc.offset of its storage (a contiguous view may start anywhere in it)
  const vView = (): Float32Array | Float64Array => (vc.raw() as Float32Array | Float64Array).subarray(vc.offset, vc.offset + cols * cols);
  const vd = vView();
  for (let j = 0; j < cols; j++) {
    if (!(vd[j * cols + j] > 0) || !Number.isFinite(vd[j * cols + j])) {
      throw new ValueError(`errorFeedback: diagonal ${vd[j * cols + j]} at [${j},${j}] of V is not positive and finite (V must be the upper factor of H, V Vᵀ = H)`);
    }
  }
  // W in the working precision, read in place when it already is (set() rounds f64 to f32 as
  // toFloat32 would).
  const w0 = w.dtype === prec ? w.contiguous() : scratchTensor([rows, cols], prec);
  if (w0 !== w && w.dtype !== prec) {
    (w0.raw() as Float32Array | Float64Array).set(prec === 'f64' && w.dtype === 'f64' ? (w.data() as Float64Array) : w.toFloat32());
  }
  // The working matrix: A (the accumulated Δ V of the done columns) where Q is not written yet, Q
  // block by block. The first block writes all of it (its Q, then A = Δ V for every later column),
  // so it is not zeroed first.
  const work = scratchTensor([rows, cols], prec);

  // Inside a block, columns are handled in sub-blocks of ~16: immediate updates within the
  // sub-block (a rank-1 GEMM per step column), then one GEMM brings the rest of the block up to
  // date. Same arithmetic as updating the whole block column by column, in fewer, larger calls.
  const sub = Math.max(width, Math.floor(SUB_BLOCK / width) * width);
  const gemm = kernel('gemm_f64');
  let loss = 0;
  // The block buffers, sized for the widest block and reused by every block. W1 and E1 hold the
  // block transposed, [nb, rows]: a column of the block is contiguous, so the solve below is a
  // long loop over rows (a loop over the few columns of a sub-block per row cost twice as much),
  // the rank-1 updates are row-contiguous GEMMs, and a width-1 step's values are one slice.
  const maxNb = Math.min(bs, cols);
  const w1t = empty([maxNb * rows], 'f64');
  const u1t = empty([maxNb * maxNb], 'f64');
  const e1t = empty([maxNb * rows], 'f64');
  const eRow = empty([rows * maxNb], prec);
  const codeBuf = empty([Math.min(sub, maxNb) * rows], 'uint8');
  let done = false;
  try {
    for (let j0 = 0, j1 = 0; j0 < cols; j0 = j1) {
      j1 = blockEnd(j0, cols, bs, gs);
      const nb = j1 - j0;
      upperBlockInverse(vView(), cols, j0, nb, u1t.raw() as Float64Array);
      readColumns(w0, w1t, rows, cols, j0, j1);
      if (j0 > 0) {
        // D_B = W_B + A_B U_BB; e1t holds A_Bᵀ until the block's steps write their errors.
        readColumns(work, e1t, rows, cols, j0, j1);
        resolveBlock(u1t, e1t, w1t, nb, rows);
      }
      for (let c0 = j0, c1 = j0; c0 < j1; c0 = c1) {
        c1 = blockEnd(c0, j1, sub, gs);
        for (let s0 = c0, s1 = c0; s0 < c1; s0 = s1) {
          s1 = Math.min(s0 + width, c1);
          if (gs && s0 % gs === 0 && encoder.startGroup) {
            encoder.startGroup(groupColumns(w1t, w0, work, vView(), rows, cols, j0, j1, s0, Math.min(s0 + gs, cols)));
          }
          const grid = width === 1 ? encoder.fusedGrid?.(s0) : undefined;
          if (grid) {
            // The columns from s0 on that share this grid, up to the sub-block's end or the next
            // group's start, in one call of the kernel (it also does their feedback in the sub-block).
            while (s1 < c1 && !(gs && s1 % gs === 0) && encoder.fusedGrid!(s1) === grid) s1++;
            loss = fusedSteps(grid, w1t, e1t, u1t, codeBuf, rows, nb, s0 - j0, s1 - j0, c1 - j0, loss);
            for (let j = s0; j < s1; j++) encoder.takeCodes?.(j, (codeBuf.raw() as Uint8Array).subarray((j - s0) * rows, (j - s0 + 1) * rows));
            continue;
          }
          const sw = s1 - s0;
          const a0 = s0 - j0;
          const D = stepValues(w1t.raw() as Float64Array, rows, a0, sw);
          const Q = encoder.encode({ j0: s0, j1: s1, rows, values: D });
          if (!Q || Q.length !== rows * sw) throw new ValueError(`encoder returned ${Q?.length} values for columns [${s0}, ${s1}) of ${rows} rows (expected ${rows * sw})`);
          // Views after the encoder ran (it may allocate, which can detach wasm memory views).
          const W1 = w1t.raw() as Float64Array;
          const E1 = e1t.raw() as Float64Array;
          const U1 = u1t.raw() as Float64Array;
          // Solve e · U[s0:s1, s0:s1] = d − q (U upper triangular), forward over the step's columns:
          // per element the same operations in the same order as a row-by-row solve.
          for (let t = 0; t < sw; t++) {
            const eo = (a0 + t) * rows;
            const d = U1[(a0 + t) * nb + a0 + t];
            if (t === 0) {
              // No earlier column of the step: one pass (the whole solve of a width-1 encoder).
              for (let r = 0; r < rows; r++) {
                const qv = Q[r * sw];
                if (!Number.isFinite(qv)) throw new ValueError(`encoder returned non-finite value ${qv} at row ${r}, column ${s0}`);
                const e = (D[r * sw] - qv) / d;
                E1[eo + r] = e;
                loss += e * e;
                W1[eo + r] = qv;
              }
              continue;
            }
            for (let r = 0; r < rows; r++) {
              const qv = Q[r * sw + t];
              if (!Number.isFinite(qv)) throw new ValueError(`encoder returned non-finite value ${qv} at row ${r}, column ${s0 + t}`);
              E1[eo + r] = D[r * sw + t] - qv;
            }
            for (let p = 0; p < t; p++) {
              const c = U1[(a0 + p) * nb + a0 + t];
              const po = (a0 + p) * rows;
              for (let r = 0; r < rows; r++) E1[eo + r] -= E1[po + r] * c;
            }
            for (let r = 0; r < rows; r++) {
              const e = E1[eo + r] / d;
              E1[eo + r] = e;
              loss += e * e;
              W1[eo + r] = Q[r * sw + t];
            }
          }
          // Immediate feedback to the later columns of this sub-block, one rank-1 GEMM per step
          // column: W1ᵀ[k, :] −= U1[t, k] · E1ᵀ[t, :] for k in [a0 + sw, kEnd). Per element the
          // same product and subtraction, in the same order over t, as a scalar loop (which took
          // ~4 ns an element in JS, a tenth of the whole GPTQ call at 4096²).
          const kEnd = c1 - j0;
          if (a0 + sw < kEnd) {
            for (let t = 0; t < sw; t++) {
              gemm({
                m: kEnd - a0 - sw,
                n: rows,
                k: 1,
                alpha: -1,
                a: { storage: u1t.storage, offset: (a0 + t) * nb + a0 + sw },
                rsa: 1,
                csa: nb,
                b: { storage: e1t.storage, offset: (a0 + t) * rows },
                rsb: rows,
                csb: 1,
                beta: 1,
                c: { storage: w1t.storage, offset: (a0 + sw) * rows },
                rsc: rows,
                csc: 1,
              });
            }
          }
        }
        if (c1 < j1) {
          // W1ᵀ[c1:, :] −= U1[c0:c1, c1:]ᵀ · E1ᵀ[c0:c1, :]   (block-local indices, transposed block)
          const b0 = c0 - j0;
          const b1 = c1 - j0;
          gemm({
            m: nb - b1,
            n: rows,
            k: b1 - b0,
            alpha: -1,
            a: { storage: u1t.storage, offset: b0 * nb + b1 },
            rsa: 1,
            csa: nb,
            b: { storage: e1t.storage, offset: b0 * rows },
            rsb: rows,
            csb: 1,
            beta: 1,
            c: { storage: w1t.storage, offset: b1 * rows },
            rsc: rows,
            csc: 1,
          });
        }
      }
      writeColumns(work, w1t, rows, cols, j0, j1);
      if (j1 < cols) lazyUpdate(work, w0, eRow, vc, rows, cols, j0, j1);
    }
    done = true;
  } finally {
    w1t.dispose();
    u1t.dispose();
    e1t.dispose();
    eRow.dispose();
    codeBuf.dispose();
    if (vc !== v) vc.dispose();
    if (w0 !== w) w0.dispose();
    if (!done) work.dispose();
  }
  return { q: work, loss: loss / 2 };
}

/**
 * Block-local columns [a0, a1) encoded on a scalar grid by the fused kernel of its kind, with their
 * feedback to the columns before kEnd; returns the running loss. Per element the same operations
 * as the `encode` path: the grid's rounding, the solve e = (d − q) / U_tt, and the rank-1 updates
 * W1ᵀ[k, :] −= U1[t, k] · E1ᵀ[t, :].
 */
function fusedSteps(f: FusedGrid, w1t: Tensor, e1t: Tensor, u1t: Tensor, codeBuf: Tensor, rows: number, nb: number, a0: number, a1: number, kEnd: number, loss: number): number {
  const gridRows = f.kind === 'affine' ? 4 : 3;
  const { grid } = f;
  if (grid.dtype !== 'f64' || grid.ndim !== 2 || grid.shape[0] !== gridRows || grid.shape[1] !== rows || !grid.isContiguous) {
    throw new ValueError(`encoder's ${f.kind} grid must be a contiguous f64 [${gridRows}, ${rows}], got ${grid.dtype} ${fmtShape(grid.shape)}`);
  }
  const args = { rows, nb, a0, a1, kEnd, w: tensorRef(w1t), e: tensorRef(e1t), u: tensorRef(u1t), grid: tensorRef(grid), codes: tensorRef(codeBuf), loss };
  if (f.kind === 'affine') return kernel('gptq_affine_f64')(args);
  const { table, nv } = f;
  if (table.dtype !== 'f64' || table.ndim !== 2 || table.shape[0] !== 4 || table.shape[1] !== nv || !table.isContiguous) {
    throw new ValueError(`encoder's value table must be a contiguous f64 [4, ${nv}], got ${table.dtype} ${fmtShape(table.shape)}`);
  }
  return kernel('gptq_table_f64')({ ...args, table: tensorRef(table), nv });
}

/**
 * End of the block starting at j0: j0 + blockSize (capped at cols), cut back to the start of a group
 * that would otherwise cross the block's end, so that group sees its columns fully updated.
 */
function blockEnd(j0: number, cols: number, bs: number, gs: number): number {
  let j1 = Math.min(j0 + bs, cols);
  if (gs) {
    for (let g = (Math.floor(j0 / gs) + 1) * gs; g < j1; g += gs) {
      if (g + gs > j1 && j1 < cols) return g;
    }
  }
  return j1;
}

/** The block's columns [j0, j1) of `work`, transposed into w1t ([nb, rows]). */
function readColumns(work: Tensor, w1t: Tensor, rows: number, cols: number, j0: number, j1: number): void {
  transposeTensor(work, j0, cols, w1t, 0, rows, rows, j1 - j0);
}

function writeColumns(work: Tensor, w1t: Tensor, rows: number, cols: number, j0: number, j1: number): void {
  transposeTensor(w1t, 0, rows, work, j0, cols, j1 - j0, rows);
}

/**
 * transposeInto between tensors of f32/f64 (not both f32) on the copy2d kernels: 4096² GPTQ moves
 * ~70M elements this way, ~5 ns each in the JS loop.
 */
function transposeTensor(src: Tensor, sOff: number, ss: number, dst: Tensor, dOff: number, ds: number, rows: number, cols: number): void {
  const name = `copy2d_${src.dtype}_${dst.dtype}`;
  if (name !== 'copy2d_f32_f64' && name !== 'copy2d_f64_f32' && name !== 'copy2d_f64_f64') throw new ValueError(`internal: no ${name} kernel`);
  kernel(name)({ rows, cols, src: { storage: src.storage, offset: src.offset + sOff }, rss: ss, css: 1, dst: { storage: dst.storage, offset: dst.offset + dOff }, rsd: 1, csd: ds });
}

/**
 * dst[dOff + c·ds + r] = src[sOff + r·ss + c] for r < rows, c < cols, in 32 x 32 tiles so both
 * sides stay in cache (a plain double loop strides one side across a 4096-row block).
 */
function transposeInto(src: Float32Array | Float64Array, sOff: number, ss: number, dst: Float32Array | Float64Array, dOff: number, ds: number, rows: number, cols: number): void {
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) {
        const sr = sOff + r * ss;
        for (let c = c0; c < c1; c++) dst[dOff + c * ds + r] = src[sr + c];
      }
    }
  }
}

/** A step's `width` columns from a0 of the transposed block, as the encoder takes them: a copy, [rows, width]. */
function stepValues(W1: Float64Array, rows: number, a0: number, width: number): Float64Array {
  if (width === 1) return W1.slice(a0 * rows, (a0 + 1) * rows);
  const out = new Float64Array(rows * width);
  transposeInto(W1, a0 * rows, rows, out, 0, width, width, rows);
  return out;
}

/**
 * Columns [g0, g1) as the encoder must see them: in-block ones from W1 (transposed), later ones
 * (a group longer than the block, so g0 = j0) resolved from W and the accumulators A in `work`:
 * D = W + A U' over [j0, g1), U' = V[j0:g1, j0:g1]⁻¹ (A is zero while j0 = 0).
 */
function groupColumns(w1t: Tensor, w0: Tensor, work: Tensor, V: Float32Array | Float64Array, rows: number, cols: number, j0: number, j1: number, g0: number, g1: number): ColumnBlock {
  const n = g1 - g0;
  const nIn = Math.min(g1, j1) - g0;
  const values = new Float64Array(rows * n);
  transposeInto(w1t.raw() as Float64Array, (g0 - j0) * rows, rows, values, 0, n, nIn, rows);
  if (nIn < n) {
    const W = (w0.raw() as Float32Array | Float64Array).subarray(w0.offset);
    const A = work.raw() as Float32Array | Float64Array;
    const m = g1 - j0;
    const U = j0 > 0 ? upperBlockInverse(V, cols, j0, m, new Float64Array(m * m)) : null;
    for (let r = 0; r < rows; r++) {
      for (let k = nIn; k < n; k++) {
        let d = W[r * cols + g0 + k];
        // column g0 + k = j0 + k (g0 = j0 here): A U' sums over [j0, k]
        if (U) for (let s = 0; s <= k; s++) d += A[r * cols + j0 + s] * U[s * m + k];
        values[r * n + k] = d;
      }
    }
  }
  return { j0: g0, j1: g1, rows, values };
}

/**
 * U1 (row-major nb x nb, zeros below the diagonal) = V[j0:j0+nb, j0:j0+nb]⁻¹, the diagonal block of
 * U = V⁻¹ (an upper triangular inverse's diagonal blocks are the inverses of the blocks), column by
 * column from V U1 = I. Returns U1.
 */
function upperBlockInverse(V: Float32Array | Float64Array, cols: number, j0: number, nb: number, U1: Float64Array): Float64Array {
  U1.fill(0, 0, nb * nb);
  for (let k = 0; k < nb; k++) {
    U1[k * nb + k] = 1 / V[(j0 + k) * cols + j0 + k];
    for (let i = k - 1; i >= 0; i--) {
      const vi = (j0 + i) * cols + j0;
      let t = 0;
      for (let p = i + 1; p <= k; p++) t += V[vi + p] * U1[p * nb + k];
      U1[i * nb + k] = -t / V[vi + i];
    }
  }
  return U1;
}

/**
 * W1ᵀ += U1ᵀ A1ᵀ (block-local, transposed: D_B = W_B + A_B U_BB) with U1 upper triangular (its zeros
 * below the diagonal stored): by slabs of SUB_BLOCK rows of W1ᵀ, each a GEMM of depth up to the
 * slab's end, so the products with the zero triangle are mostly skipped.
 */
function resolveBlock(u1t: Tensor, a1t: Tensor, w1t: Tensor, nb: number, rows: number): void {
  const gemm = kernel('gemm_f64');
  for (let t0 = 0; t0 < nb; t0 += SUB_BLOCK) {
    const t1 = Math.min(nb, t0 + SUB_BLOCK);
    gemm({
      m: t1 - t0,
      n: rows,
      k: t1,
      alpha: 1,
      a: { storage: u1t.storage, offset: t0 }, // element (t, s) = U1[s, t0 + t]
      rsa: 1,
      csa: nb,
      b: { storage: a1t.storage, offset: 0 },
      rsb: rows,
      csb: 1,
      beta: 1,
      c: { storage: w1t.storage, offset: t0 * rows },
      rsc: rows,
      csc: 1,
    });
  }
}

/**
 * work[:, j1:] += Δ_B · V[j0:j1, j1:] (the accumulators A of the later columns; the first block
 * writes them, beta 0) as one GEMM in the working precision, with Δ_B = W_B − Q_B formed row-major
 * in `eRow` from W and the block's Q, just written to `work`.
 */
function lazyUpdate(work: Tensor, w0: Tensor, eRow: Tensor, v: Tensor, rows: number, cols: number, j0: number, j1: number): void {
  const nb = j1 - j0;
  const W = (w0.raw() as Float32Array | Float64Array).subarray(w0.offset);
  const Q = work.raw() as Float32Array | Float64Array;
  const D = eRow.raw() as Float32Array | Float64Array;
  for (let r = 0; r < rows; r++) {
    const o = r * cols + j0;
    for (let t = 0; t < nb; t++) D[r * nb + t] = W[o + t] - Q[o + t];
  }
  kernel(work.dtype === 'f64' ? 'gemm_f64' : 'gemm_f32')({
    m: rows,
    n: cols - j1,
    k: nb,
    alpha: 1,
    a: tensorRef(eRow),
    rsa: nb,
    csa: 1,
    b: { storage: v.storage, offset: v.offset + j0 * cols + j1 },
    rsb: cols,
    csb: 1,
    beta: j0 === 0 ? 0 : 1,
    c: { storage: work.storage, offset: work.offset + j1 },
    rsc: cols,
    csc: 1,
  });
}
