/**
 * The layer Hessian of GPTQ (Frantar et al. 2022, §2: H = 2 X Xᵀ for the squared output error of one
 * linear layer) as a streaming accumulator over calibration batches, plus the per-input-channel
 * activation statistics AWQ needs (mean |x| and max |x|). Batches of any dense dtype and any rank
 * ([..., in]: every leading index is one token) are added one at a time; two accumulators over
 * different data merge exactly.
 *
 * Stored: S = Σ xᵀx (a symmetric [in, in] matrix in f32 or f64, updated with the `syrk` kernel), the
 * token count n, Σ|x| and max|x| per channel (f64). `hessian()` returns H = 2/n · S, the average the
 * reference keeps incrementally (IST-DASLab/gptq `add_batch`); keeping the raw sum instead makes
 * `merge` exact and the result independent of how the tokens were split into batches (up to float
 * summation order).
 *
 * Not the inverse or the damping: GPTQ does those (src/quantizers/gptq.ts).
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { syrk } from '../ops/linalg.js';
import { Tensor, checkTensor, empty } from '../tensor.js';
import { QTensor } from '../qtensor.js';
import { kernel } from '../kernels/table.js';
import { tensorRef } from '../kernels/ref.js';
import { fromArray } from './arrays.js';

/** Options of `HessianAccumulator`. */
export interface HessianOptions {
  /** Precision of the accumulated XᵀX (default 'f32', like the reference; 'f64' is ~2.5x slower). */
  readonly dtype?: 'f32' | 'f64';
}

/**
 * Streaming H = 2/n · Σ xᵀx over activation batches, with per-channel mean |x| and max |x|.
 * @example
 * const acc = new HessianAccumulator(384);
 * acc.add(batch1);            // [tokens, 384], any dense dtype
 * acc.add(batch2);
 * const h = acc.hessian();    // f32 [384, 384] = 2/n Σ xᵀx
 * acc.meanAbs();              // Float64Array(384): mean |x| per input channel (AWQ)
 * acc.dispose();
 */
export class HessianAccumulator {
  /** Number of input channels (the last axis of every batch). */
  readonly features: number;
  /** Precision of the accumulated sum. */
  readonly dtype: 'f32' | 'f64';
  private readonly sum: Tensor;
  private tokens = 0;
  private readonly absSum: Float64Array;
  private readonly absMax: Float64Array;

  constructor(features: number, opts: HessianOptions = {}) {
    if (!Number.isInteger(features) || features < 1) throw new ValueError(`features must be a positive integer, got ${features}`);
    checkOptions('HessianAccumulator', opts);
    const dtype = opts.dtype ?? 'f32';
    if (dtype !== 'f32' && dtype !== 'f64') throw new ValueError(`HessianAccumulator dtype must be 'f32' or 'f64', got ${String(dtype)}`);
    this.features = features;
    this.dtype = dtype;
    this.sum = empty([features, features], dtype);
    this.absSum = new Float64Array(features);
    this.absMax = new Float64Array(features);
  }

  /** Tokens seen so far (rows of all batches). */
  get count(): number {
    return this.tokens;
  }

  /**
   * Adds a batch of activations [..., in] (any dense dtype; leading axes are tokens).
   * @throws ShapeError when the last axis is not `features`; ValueError for a non-finite value (the
   *   accumulator is left unchanged)
   * @example
   * acc.add(tensor(x, [tokens, 384], 'bf16'));
   */
  add(x: Tensor): this {
    checkTensor('HessianAccumulator.add', x, 'the activations');
    const f = this.features;
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== f) {
      throw new ShapeError(`activations ${fmtShape(x.shape)} must have ${f} input channels on the last axis`);
    }
    const n = x.size / f;
    if (n === 0) return this;
    // A contiguous batch already in the accumulation precision is read in place (a 2048 x 4096 f32
    // batch is 32 MiB: copying it twice cost more than a tenth of the syrk). Anything else: one copy
    // in the accumulation precision, contiguous [n, f]. The view is valid until the next allocation.
    const direct = x.dtype === this.dtype && x.isContiguous;
    const vals = direct
      ? (x.raw() as Float32Array | Float64Array).subarray(x.offset, x.offset + x.size)
      : this.dtype === 'f64'
        ? Float64Array.from(x.dtype === 'f64' ? (x.data() as Float64Array) : x.toFloat32())
        : x.toFloat32();
    // The batch's |x| sums and maxima in one pass, kept apart until the batch is known to be finite
    // (a non-finite value makes its channel's sum non-finite), so a rejected batch changes nothing.
    const sum = new Float64Array(f);
    const mx = new Float64Array(f);
    for (let t = 0; t < n; t++) {
      const base = t * f;
      for (let c = 0; c < f; c++) {
        const a = Math.abs(vals[base + c]);
        sum[c] += a;
        if (a > mx[c]) mx[c] = a;
      }
    }
    for (let c = 0; c < f; c++) {
      if (Number.isFinite(sum[c])) continue;
      // (a finite batch whose f64 sum overflowed finds nothing here and is accepted, as before)
      for (let i = c; i < vals.length; i += f) {
        if (!Number.isFinite(vals[i])) {
          throw new ValueError(`non-finite activation ${vals[i]} at token ${Math.floor(i / f)}, channel ${c} of ${x.dtype} ${fmtShape(x.shape)}`);
        }
      }
    }
    for (let c = 0; c < f; c++) {
      this.absSum[c] += sum[c];
      if (mx[c] > this.absMax[c]) this.absMax[c] = mx[c];
    }
    // A view of x shares its storage: it is not disposed here.
    const xt = direct ? x.view([n, f]) : fromArray(vals, [n, f], this.dtype);
    try {
      // S = XᵀX + S, in place (the first batch overwrites the uninitialised sum).
      syrk(xt, { beta: this.tokens === 0 ? 0 : 1, c: this.sum, out: this.sum });
    } finally {
      if (!direct) xt.dispose();
    }
    this.tokens += n;
    return this;
  }

  /**
   * Adds another accumulator's data to this one (same features; the other is left unchanged).
   * @example
   * a.merge(b); a.count === na + nb
   */
  merge(other: HessianAccumulator): this {
    if (other.features !== this.features) {
      throw new ShapeError(`cannot merge a Hessian of ${other.features} features into one of ${this.features}`);
    }
    if (other.tokens === 0) return this;
    const src = other.sum.data();
    const dst = this.sum.raw() as Float32Array | Float64Array;
    if (this.tokens === 0) dst.set(src as Float32Array);
    else for (let i = 0; i < dst.length; i++) dst[i] += src[i] as number;
    for (let c = 0; c < this.features; c++) {
      this.absSum[c] += other.absSum[c];
      if (other.absMax[c] > this.absMax[c]) this.absMax[c] = other.absMax[c];
    }
    this.tokens += other.tokens;
    return this;
  }

  private checkNonEmpty(what: string): void {
    if (this.tokens === 0) throw new ValueError(`${what}: the calibration set is empty (no tokens were added)`);
  }

  /**
   * H = 2/n · Σ xᵀx as a new [in, in] tensor of the accumulator's dtype (or `dtype`).
   * @throws ValueError when no token was added (an empty calibration set)
   * @example
   * const h = acc.hessian('f64');
   */
  hessian(dtype: 'f32' | 'f64' = this.dtype): Tensor {
    this.checkNonEmpty('hessian');
    const f = this.features;
    const out = empty([f, f], dtype);
    const src = this.sum.raw() as Float32Array | Float64Array;
    const dst = out.raw() as Float32Array | Float64Array;
    const k = 2 / this.tokens;
    for (let i = 0; i < f * f; i++) dst[i] = src[i] * k;
    return out;
  }

  /**
   * Mean |x| per input channel over every token added (AWQ's activation salience).
   * @example
   * acc.meanAbs()[0];
   */
  meanAbs(): Float64Array {
    this.checkNonEmpty('meanAbs');
    return this.absSum.map((s) => s / this.tokens);
  }

  /**
   * Max |x| per input channel over every token added.
   * @example
   * acc.maxAbs()[0];
   */
  maxAbs(): Float64Array {
    this.checkNonEmpty('maxAbs');
    return this.absMax.slice();
  }

  /** Frees the accumulated matrix. */
  dispose(): void {
    this.sum.dispose();
  }
}

/**
 * H = 2/n · xᵀx of one activation matrix [..., in] in one call (a `HessianAccumulator` of one batch).
 * @example
 * const h = hessianOf(x);  // f32 [in, in]
 */
export function hessianOf(x: Tensor, opts: HessianOptions = {}): Tensor {
  checkTensor('hessianOf', x, 'the activations');
  if (x.ndim < 1) throw new ShapeError(`hessianOf needs activations [..., in]`);
  checkOptions('hessianOf', opts);
  const acc = new HessianAccumulator(x.shape[x.ndim - 1], opts);
  try {
    return acc.add(x).hessian();
  } finally {
    acc.dispose();
  }
}

/**
 * Per (row, group) output error δᵀ H_gg δ for δ = w − q [rows, cols] (f64, row-major) and H
 * [cols, cols]: row r's share of tr(ΔHΔᵀ) restricted to the columns of group g (one GEMM per group).
 * @example
 * groupOutputErrors(delta, rows, cols, h, 128); // Float64Array [rows * ceil(cols / 128)]
 */
export function groupOutputErrors(delta: Float64Array, rows: number, cols: number, h: Tensor, gs: number): Float64Array {
  const nG = Math.ceil(cols / gs);
  const out = new Float64Array(rows * nG);
  const d = fromArray(delta, [rows, cols], 'f64');
  const dh = empty([rows, gs], 'f64');
  const hc = h.dtype === 'f64' ? h.contiguous() : h.astype('f64');
  try {
    for (let g = 0; g < nG; g++) {
      const c0 = g * gs;
      const n = Math.min(gs, cols - c0);
      kernel('gemm_f64')({
        m: rows,
        n,
        k: n,
        alpha: 1,
        a: { storage: d.storage, offset: c0 },
        rsa: cols,
        csa: 1,
        b: { storage: hc.storage, offset: hc.offset + c0 * cols + c0 },
        rsb: cols,
        csb: 1,
        beta: 0,
        c: tensorRef(dh),
        rsc: gs,
        csc: 1,
      });
      const v = dh.raw() as Float64Array;
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += v[r * gs + k] * delta[r * cols + c0 + k];
        out[r * nG + g] = s;
      }
    }
  } finally {
    d.dispose();
    dh.dispose();
    if (hc !== h) hc.dispose();
  }
  return out;
}

/**
 * The output error of replacing W by Q on the calibration data behind H: tr((W − Q) H (W − Q)ᵀ) / 2,
 * which for H = 2/n Σ xxᵀ is the mean over tokens of ‖(W − Q) x‖². Q may be a QTensor (dequantized,
 * act-order and input scales undone) or a float tensor.
 * @throws ShapeError when the shapes do not fit
 * @example
 * outputError(w, gptq(w, acc, { dtype: 'int4' }).q, acc); // mean ‖(W − Q)x‖² over the tokens
 */
export function outputError(w: Tensor, q: QTensor | Tensor, h: Tensor | HessianAccumulator): number {
  checkTensor('outputError', w, 'the weight');
  if (w.ndim !== 2) throw new ShapeError(`outputError needs a weight [out, in]`);
  const [rows, cols] = w.shape;
  const ht = h instanceof HessianAccumulator ? h.hessian('f64') : h;
  const qd = q instanceof QTensor ? q.dequantize() : q;
  try {
    if (qd.ndim !== 2 || qd.shape[0] !== rows || qd.shape[1] !== cols) throw new ShapeError(`outputError: Q ${fmtShape(qd.shape)} must match W ${fmtShape(w.shape)}`);
    if (ht.ndim !== 2 || ht.shape[0] !== cols || ht.shape[1] !== cols) throw new ShapeError(`outputError: H ${fmtShape(ht.shape)} must be [${cols},${cols}]`);
    const a = w.dtype === 'f64' ? (w.data() as Float64Array) : w.toFloat32();
    const b = qd.dtype === 'f64' ? (qd.data() as Float64Array) : qd.toFloat32();
    const delta = new Float64Array(a.length);
    for (let i = 0; i < delta.length; i++) delta[i] = a[i] - b[i];
    let total = 0;
    for (const e of groupOutputErrors(delta, rows, cols, ht, cols)) total += e;
    return total / 2;
  } finally {
    if (qd !== q) qd.dispose();
    if (ht !== h) ht.dispose();
  }
}
