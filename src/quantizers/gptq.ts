/**
 * GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2022, "GPTQ: Accurate Post-Training Quantization for
 * Generative Pre-trained Transformers"), following the reference IST-DASLab/gptq `fasterquant`:
 * dead channels zeroed, optional act-order (columns by decreasing diag H), damping with automatic
 * escalation, U = chol((H + damp·I)⁻¹)ᵀ, then scalar error feedback in lazy blocks
 * (./gptq/error-feedback.ts) where each group's scales are chosen from the working weight when the
 * group starts (or, with `staticGroups`, from the original weight before the loop).
 *
 * Worked example (2×2, per-channel int2 would be too coarse to see; think "round to integers"):
 * W = [[0.6, 0.6]], H = [[1, 0.5], [0.5, 1]] → H⁻¹ = [[4/3, −2/3], [−2/3, 4/3]], U = [[1.155, −0.577],
 * [0, 1]]. Column 0: q = 1, e = (0.6 − 1) / 1.155 = −0.346; column 1 becomes 0.6 − e·(−0.577) = 0.4,
 * so q = 0 instead of RTN's 1: the rounding up of the first weight is compensated by the correlated
 * second input, and the output error tr(ΔHΔᵀ)/2 drops from 0.24 (RTN) to 0.14.
 *
 * The result is a QTensor: with act-order (and dynamic groups) the codes are stored in the permuted
 * order and qparams.perm maps stored column j to original column perm[j], so dequantize and matmul
 * need no user step. With `staticGroups` the groups are the original column groups, so the codes are
 * stored in the original order and no permutation is needed.
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { DTYPES, checkQuantDType, quantInfo, type QuantDType, type ScaleDType } from '../dtype/table.js';
import { roundToF16 } from '../dtype/half.js';
import { QTensor, type QParams } from '../qtensor.js';
import { packedBytes, packRows } from '../dtype/pack.js';
import { Tensor, checkTensor, empty, scratchTensor } from '../tensor.js';
import { fromArray } from './arrays.js';
import { HessianAccumulator } from './hessian.js';
import { errorFeedback, type ColumnBlock, type ColumnEncoder } from './gptq/error-feedback.js';
import { prepareHessian } from './gptq/hessian-prep.js';
import { columnGrid, type ScalarGrid } from './gptq/scalar-grid.js';
import { chooseGroupQParams, type ClipSearchOptions } from './rtn.js';
import { Phases, makeReport, type QuantReport } from './report.js';

export { errorFeedback, type ColumnBlock, type ColumnEncoder, type ErrorFeedbackOptions, type ErrorFeedbackResult } from './gptq/error-feedback.js';
export { prepareHessian, type HessianPrepOptions, type PreparedHessian } from './gptq/hessian-prep.js';

/** Options of `gptq`. */
export interface GptqOptions {
  /** A scalar quantized dtype: int2, int3, int4, int8, fp4, nf4 (mxfp4 with groups of 32). */
  readonly dtype: QuantDType;
  /** Columns per group, or 'channel' (default: one group per row, as the reference's groupsize -1). */
  readonly groupSize?: number | 'channel';
  /** Affine dtypes: fixed zero point (default false). */
  readonly symmetric?: boolean;
  /** Precision of the stored scales (default f16). */
  readonly scaleDtype?: ScaleDType;
  /** Quantize columns in order of decreasing diag(H) (default false). */
  readonly actOrder?: boolean;
  /** Choose every group's scales from the original weight before the loop (default false). */
  readonly staticGroups?: boolean;
  /** Columns per lazy batch update (default 128). */
  readonly blockSize?: number;
  /** Damping as a fraction of mean(diag H) (default 0.01); multiplied by 10 while the Cholesky fails. */
  readonly percDamp?: number;
  /** Upper limit of the damping escalation (default 100). */
  readonly maxPercDamp?: number;
  /** Working precision of the inverse and the column loop (default 'f32', like the reference). */
  readonly precision?: 'f32' | 'f64';
  /** Search each group's clip factor (quant.py `mse` mode) when its scales are chosen (default off). */
  readonly clipSearch?: boolean | Omit<ClipSearchOptions, 'hessian'>;
  /**
   * AWQ input scales s [in] (rounded to f16), not folded elsewhere: GPTQ runs on W·diag(s) with
   * H' = diag(1/s) H diag(1/s) and the QTensor keeps s in qparams.inputScale.
   */
  readonly inputScale?: ArrayLike<number> | Tensor;
}

/** Extras of a GPTQ report. */
export interface GptqExtras {
  /** percDamp that succeeded (the requested one unless escalated). */
  readonly percDamp: number;
  /** Absolute damping added to diag(H). */
  readonly damp: number;
  /** Times percDamp was multiplied by 10 because a Cholesky failed. */
  readonly escalations: number;
  /** Dead input channels (diag H = 0): their weights were set to 0. */
  readonly deadColumns: number;
  /** The GPTQ loss Σ‖E‖²/2 = tr(Δ(H + damp·I)Δᵀ)/2, under the damped Hessian. */
  readonly loss: number;
  readonly actOrder: boolean;
  readonly staticGroups: boolean;
}

/**
 * Quantizes a weight [out, in] with GPTQ given the layer Hessian H [in, in] (a tensor or a
 * HessianAccumulator). Returns the QTensor and a report whose error is the output error
 * mean‖(W − Q)x‖² over the calibration tokens (tr(ΔHΔᵀ)/2, from the loop's errors, undamped).
 * @throws ShapeError for mismatched shapes; ValueError for bad options, a non-finite weight or
 *   Hessian; LinAlgError when no damping up to maxPercDamp makes H positive definite
 * @example
 * const acc = new HessianAccumulator(384);
 * acc.add(x);                                       // [tokens, 384] layer inputs
 * const { q, report } = gptq(w, acc, { dtype: 'int4', groupSize: 128, actOrder: true });
 * report.extras.percDamp;                           // 0.01 unless the Cholesky needed more
 * q.dequantize();                                   // original column order
 */
export function gptq(w: Tensor, h: Tensor | HessianAccumulator, opts: GptqOptions): { q: QTensor; report: QuantReport<GptqExtras> } {
  const sw = new Phases();
  checkTensor('gptq', w, 'the weight');
  if (w.ndim !== 2) throw new ShapeError(`gptq expects a weight [out, in], got ${fmtShape(w.shape)}`);
  checkOptions('gptq', opts, 'required');
  const [rows, cols] = w.shape;
  checkQuantDType('gptq', opts.dtype);
  const facts = quantInfo(opts.dtype);
  if (facts.family === 'codebook') throw new ValueError(`gptq quantizes scalar dtypes; ${opts.dtype} needs a codebook encoder (use errorFeedback)`);
  const ht = h instanceof HessianAccumulator ? h.hessian('f64') : h;
  checkTensor('gptq', ht, 'H (a Tensor or a HessianAccumulator)');
  if (ht.ndim !== 2 || ht.shape[0] !== cols || ht.shape[1] !== cols) {
    throw new ShapeError(`gptq: H must be [${cols},${cols}] for weight ${fmtShape(w.shape)}, got ${fmtShape(ht.shape)}`);
  }
  const gOpt = opts.groupSize ?? facts.blockSize ?? 'channel';
  if (gOpt !== 'channel' && (!Number.isInteger(gOpt) || gOpt < 1)) throw new ValueError(`groupSize must be a positive integer or 'channel', got ${String(gOpt)}`);
  if (facts.blockSize !== undefined && gOpt !== facts.blockSize) throw new ValueError(`${opts.dtype} uses blocks of ${facts.blockSize}; groupSize ${String(gOpt)} is not allowed`);
  const gs = gOpt === 'channel' ? cols : Math.min(gOpt, cols);
  const staticGroups = opts.staticGroups ?? false;
  const actOrder = opts.actOrder ?? false;

  // W is read in place when it is a plain f32/f64 matrix: GPTQ of a 4096² layer must not hold
  // several copies of it (peak memory is measured by bench/gptq.bench.ts). Views are re-taken after
  // every allocation (growing the wasm memory detaches them).
  const wc = w.dtype === 'f32' || w.dtype === 'f64' ? w.contiguous() : fromArray(w.toFloat32(), [rows, cols], 'f32');
  const wView = (): Float32Array | Float64Array => wc.raw() as Float32Array | Float64Array;
  let inputScale: Float32Array | null = null;
  let hIn = ht;
  let prep: ReturnType<typeof prepareHessian>;
  try {
    const wv = wView();
    for (let i = 0; i < rows * cols; i++) {
      if (!Number.isFinite(wv[i])) throw new ValueError(`gptq: non-finite weight ${wv[i]} at [${Math.floor(i / cols)},${i % cols}] of ${fmtShape(w.shape)}`);
    }
    if (opts.inputScale !== undefined) {
      // Input scales: GPTQ runs on W·diag(s) (applied below) with H / (s sᵀ).
      inputScale = toInputScale(opts.inputScale, cols);
      const hv = ht.dtype === 'f64' ? (ht.data() as Float64Array) : Float64Array.from(ht.toFloat32());
      for (let i = 0; i < hv.length; i++) hv[i] /= inputScale[Math.floor(i / cols)] * inputScale[i % cols];
      hIn = fromArray(hv, [cols, cols], 'f64');
    }
    prep = prepareHessian(hIn, { percDamp: opts.percDamp, maxPercDamp: opts.maxPercDamp, actOrder, precision: opts.precision });
  } catch (e) {
    if (wc !== w) wc.dispose();
    throw e;
  } finally {
    if (hIn !== ht) hIn.dispose();
    if (ht !== h) ht.dispose();
  }
  const perm = prep.perm;
  sw.lap('inverse');

  /** The working column of each original column (the inverse of act-order's perm). */
  const workCol = new Int32Array(cols);
  for (let j = 0; j < cols; j++) workCol[perm ? perm[j] : j] = j;
  // The working weight, columns in working order: W·s with dead columns zeroed, permuted. In f32
  // when that is exact (an f32 weight without input scales), else f64.
  const wt = scratchTensor([rows, cols], w.dtype === 'f32' && !inputScale ? 'f32' : 'f64'); // every element is written below
  {
    const src = wView();
    const dst = wt.raw() as Float32Array | Float64Array;
    // Per working column: its original column and its factor (0 marks a dead column, written as +0).
    const oc = new Int32Array(cols);
    const sc = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      oc[j] = perm ? perm[j] : j;
      sc[j] = inputScale ? inputScale[oc[j]] : 1;
    }
    for (const c of prep.dead) sc[workCol[c]] = 0;
    const plain = !inputScale && prep.dead.length === 0;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      // The common case (no input scales, no dead columns) is a plain gather: a third of the time.
      if (plain) for (let j = 0; j < cols; j++) dst[base + j] = src[base + oc[j]];
      else for (let j = 0; j < cols; j++) dst[base + j] = sc[j] === 0 ? 0 : src[base + oc[j]] * sc[j];
    }
  }
  if (wc !== w) wc.dispose();
  const choose = (vals: Float64Array, n: number): QParams => {
    const t = fromArray(vals, [rows, n], 'f64');
    try {
      return chooseGroupQParams(t, {
        dtype: opts.dtype,
        groupSize: facts.blockSize ?? 'channel',
        symmetric: opts.symmetric,
        scaleDtype: opts.scaleDtype,
        clipSearch: opts.clipSearch,
      }).qparams;
    } finally {
      t.dispose();
    }
  };
  const nGroups = Math.ceil(cols / gs);
  // Static groups: the original column groups, chosen before the loop.
  const staticQp: QParams[] = [];
  if (staticGroups) {
    for (let g = 0; g < nGroups; g++) {
      const c0 = g * gs;
      const n = Math.min(gs, cols - c0);
      const vals = new Float64Array(rows * n);
      const wv = wt.raw() as Float32Array | Float64Array;
      for (let r = 0; r < rows; r++) for (let k = 0; k < n; k++) vals[r * n + k] = wv[r * cols + workCol[c0 + k]];
      staticQp.push(choose(vals, n));
    }
  }
  const staticGrids = staticQp.map((qp) => columnGrid(opts.dtype, qp));
  const dynamicQp: QParams[] = [];
  let current: ScalarGrid | null = null;
  const gridOf = (j: number): ScalarGrid => (staticGroups ? staticGrids[Math.floor((perm ? perm[j] : j) / gs)] : current!);
  // The grid's code for every value, column-major in working order: packing reads them instead of
  // quantizing the values again (that second encode of a 4096² layer took ~0.8 s).
  const codesT = new Uint8Array(cols * rows);
  const encoder: ColumnEncoder = {
    width: 1,
    groupSize: staticGroups ? undefined : gs,
    startGroup: (b: ColumnBlock) => {
      const qp = choose(b.values, b.j1 - b.j0);
      dynamicQp.push(qp);
      current?.dispose();
      current = columnGrid(opts.dtype, qp);
    },
    encode: (b: ColumnBlock) => gridOf(b.j0).encode(b.values, codesT.subarray(b.j0 * rows, (b.j0 + 1) * rows)),
    // The loop's fused kernels, with the same values as `encode`.
    fusedGrid: (j: number) => gridOf(j).fused ?? undefined,
    takeCodes: (j: number, codes: Uint8Array) => codesT.set(codes, j * rows),
  };
  let qWork: Tensor;
  let loss: number;
  let dd = 0;
  try {
    ({ q: qWork, loss } = errorFeedback(wt, prep.v, encoder, { blockSize: opts.blockSize }));
    // ‖W − Q‖² in the working space, for the output error below.
    const wv = wt.raw() as Float32Array | Float64Array;
    const qv = qWork.raw() as Float32Array | Float64Array;
    for (let i = 0; i < rows * cols; i++) dd += (wv[i] - qv[i]) ** 2;
  } finally {
    wt.dispose();
    prep.v.dispose();
    (current as ScalarGrid | null)?.dispose(); // assigned in startGroup, which TS does not see
    for (const g of staticGrids) g.dispose();
  }
  sw.lap('loop');

  // Output error without the damping: Σ‖E‖²/2 − damp‖W − Q‖²/2 (both in the working space).
  const outputError = Math.max(0, loss - (prep.damp * dd) / 2);

  qWork.dispose();
  // Pack the grid's codes with the groups' qparams. Static groups are original column groups, so
  // they are stored in the original order (no permutation); otherwise in working order with perm.
  const groups = staticGroups ? staticQp : dynamicQp;
  const keepPerm = perm !== null && !staticGroups;
  const qp = assembleQParams(groups, rows, nGroups, gs);
  for (const g of groups) disposeQParams(g);
  const codes = packCodes(codesT, rows, cols, DTYPES[opts.dtype].bits, perm && !keepPerm ? workCol : null);
  const q = new QTensor(opts.dtype, [rows, cols], codes, {
    ...qp,
    ...(keepPerm ? { perm: fromArray(perm, [cols], 'int32') } : {}),
    ...(inputScale ? { inputScale: fromArray(inputScale, [cols], 'f32') } : {}),
  });
  sw.lap('pack');
  const report = makeReport('gptq', q, { kind: 'output', value: outputError }, sw.start, sw.record, {
    percDamp: prep.percDamp,
    damp: prep.damp,
    escalations: prep.escalations,
    deadColumns: prep.dead.length,
    loss,
    actOrder,
    staticGroups,
  });
  return { q, report };
}

/** AWQ input scales as f16-rounded positive f32 values. */
function toInputScale(s: ArrayLike<number> | Tensor, cols: number): Float32Array {
  const a = s instanceof Tensor ? s.toFloat32() : s;
  if (a.length !== cols) throw new ShapeError(`inputScale has ${a.length} entries, expected ${cols}`);
  const out = new Float32Array(cols);
  for (let i = 0; i < cols; i++) {
    out[i] = roundToF16(a[i]);
    if (!(out[i] > 0) || !Number.isFinite(out[i])) throw new ValueError(`inputScale ${a[i]} at [${i}] is not positive and finite in f16`);
  }
  return out;
}

/** The per-group qparams (scales [rows, 1] each) joined into [rows, nGroups]. */
function assembleQParams(groups: QParams[], rows: number, nGroups: number, gs: number): QParams {
  if (groups.length !== nGroups) throw new ValueError(`internal: ${groups.length} groups chosen, expected ${nGroups}`);
  const scales = new Float32Array(rows * nGroups);
  const hasZeros = groups[0].zeros !== undefined;
  const zeros = hasZeros ? new Uint8Array(rows * nGroups) : null;
  groups.forEach((g, gi) => {
    const s = g.scales!.data() as Float32Array;
    const z = g.zeros ? (g.zeros.data() as Uint8Array) : null;
    for (let r = 0; r < rows; r++) {
      scales[r * nGroups + gi] = s[r];
      if (zeros) zeros[r * nGroups + gi] = z![r];
    }
  });
  return {
    groupSize: gs,
    perTensor: false,
    scaleDtype: groups[0].scaleDtype,
    symmetric: groups[0].symmetric,
    scales: fromArray(scales, [rows, nGroups], 'f32'),
    ...(zeros ? { zeros: fromArray(zeros, [rows, nGroups], 'uint8') } : {}),
  };
}

/**
 * Packed codes [rows, rowBytes] from codes column-major [cols, rows]; stored column j is column
 * `from[j]` of codesT (identity when null). Transposed in bands of 64 rows, so each column's read
 * is one cache line of codesT (a row at a time read a line per code), then packed by `packRows`.
 */
function packCodes(codesT: Uint8Array, rows: number, cols: number, bits: number, from: Int32Array | null): Tensor {
  const rowBytes = packedBytes(cols, bits);
  const out = empty([rows, rowBytes], 'uint8');
  const band = 64;
  const buf = new Uint8Array(band * cols);
  for (let r0 = 0; r0 < rows; r0 += band) {
    const nr = Math.min(band, rows - r0);
    for (let j = 0; j < cols; j++) {
      const src = (from ? from[j] : j) * rows + r0;
      for (let i = 0; i < nr; i++) buf[i * cols + j] = codesT[src + i];
    }
    packRows(buf.subarray(0, nr * cols), nr, cols, bits, (out.raw() as Uint8Array).subarray(r0 * rowBytes, (r0 + nr) * rowBytes));
  }
  return out;
}

function disposeQParams(qp: QParams): void {
  for (const t of [qp.scales, qp.zeros, qp.codebook, qp.perm, qp.inputScale]) t?.dispose();
}
