/**
 * Vector quantization with learned codebooks, in the GPTVQ family (van Baalen, Kuzmin, Nagel et al.
 * 2024, "GPTVQ: The Blessing of Dimensionality for LLM Quantization"), with an AQLM/VPTQ-style
 * residual (two-stage additive) option. A weight W [rows, cols] is cut into vectors of `dim`
 * consecutive columns of one row; every group of `groupSize` columns (all rows) learns its own
 * codebook of 2^bits vectors by weighted k-means (./kmeans.ts) and stores one `bits`-bit index per
 * vector, i.e. bits / dim index bits per weight plus the codebook.
 *
 * With a Hessian H = 2/n Σ xxᵀ of the layer input, columns are quantized left to right with GPTQ's
 * error feedback (src/quantizers/gptq/error-feedback.ts, encoder width = dim, one `startGroup` per
 * codebook group), exactly the GPTVQ loop (their Algorithm 1): when a group starts, its codebook is
 * fitted by k-means to the group's columns as updated by the feedback so far; each step then assigns
 * the next `dim` columns of every row to the nearest codeword and spreads the error to later columns.
 *
 * Weighting (the choice, documented as the issue asks): both the k-means fit and the assignment use
 * the diagonal weights w_j = 1 / U_jj², U the upper Cholesky factor of (H + damp·I)⁻¹ (= V_jj², V
 * the factor errorFeedback takes). For one column (dim 1) (w_j − q_j)² / U_jj² is exactly the loss
 * increment GPTQ's feedback charges, so this is the GPTQ objective without the cross terms inside a
 * vector. GPTVQ's reference code weights the assignment by 1 / U_jj (power 1) and the k-means fit by
 * U_jj; we use the power that makes dim 1 reduce to GPTQ's loss, for both. Without H there is no
 * feedback and the weights are 1 (plain k-means on the weights, an RTN-like baseline).
 *
 * Codebooks are rounded to `codebookDtype` right after k-means (f16 default; 'int8' = GPTVQ's codebook
 * quantization, see ./codebook.ts), and assignment searches the rounded values, so the stored codes
 * are nearest for what dequantize returns.
 *
 * Residual (`residual: true`, two stages; AQLM's additive codebooks M = 2, encoded greedily rather
 * than by AQLM's beam search): inside the same feedback loop, when a group starts, codebook 0 is fitted
 * to the group's columns and codebook 1 to what codebook 0 leaves of them; each step encodes a vector
 * with codebook 0, then its remainder with codebook 1, and feeds back the error of the f32 sum. (Two
 * sequential feedback passes, the second on W − Q0, do worse: with a Hessian Q0 deliberately departs
 * from W in directions H barely sees, so W − Q0 is large where it does not matter and the second
 * codebook is spent there.) Storage: two QTensors per column group, summed in f32 (./vq-tensor.ts).
 *
 * After the loop, with a Hessian, every codebook is re-solved by least squares on the layer loss with
 * the indices fixed (`codebookUpdate`, ./codebook-update.ts; GPTVQ §3.3 takes gradient steps instead).
 *
 * Dead input channels (diag H = 0) get zero weights as in GPTQ; `actOrder` sorts columns by
 * decreasing diag H (the VqTensor keeps the permutation). Not the LUT matmul kernel (helper B's), and
 * no end-to-end fine-tuning (AQLM's PV-tuning).
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../../errors.js';
import { Rng } from '../../ops/random.js';
import { packRows } from '../../dtype/pack.js';
import { Tensor, checkTensor, tensor } from '../../tensor.js';
import { HessianAccumulator } from '../hessian.js';
import { errorFeedback, type ColumnBlock, type ColumnEncoder } from '../gptq/error-feedback.js';
import { prepareHessian } from '../gptq/hessian-prep.js';
import { Phases, type QuantReport } from '../report.js';
import { nearestCentroids } from './assign.js';
import { kmeans } from './kmeans.js';
import { roundCodebook, type StoredCodebook, type VqCodebookDType } from './codebook.js';
import { QTensor, roundToScaleDType } from '../../qtensor.js';
import { VqTensor } from './vq-tensor.js';
import { loss as layerLoss, updateCodebooks, type CodebookBlock } from './codebook-update.js';
import type { CodebookDType } from '../../dtype/bits.js';
import { roundHalfEven } from '../../dtype/round.js';

/** Options of `vqQuantize`. */
export interface VqOptions {
  /** Vector dimension: consecutive columns per index (1, 2, 4, 8, ...). */
  readonly dim: number;
  /** Index bits per vector, 1..8 (codebook of 2^bits entries). Give `bits` or `entries`. */
  readonly bits?: number;
  /** Codebook entries, a power of two from 2 to 256 (alternative to `bits`). */
  readonly entries?: number;
  /** Columns per codebook, a multiple of dim (default: all columns, one codebook per stage). */
  readonly groupSize?: number;
  /** Layer Hessian H [cols, cols] = 2/n Σ xxᵀ (or its accumulator): enables GPTQ error feedback and Hessian weights. */
  readonly hessian?: Tensor | HessianAccumulator;
  /** Seed of the k-means++ draws (default 0): the result is a function of (W, H, options). */
  readonly seed?: number;
  /** Maximum k-means E-steps per codebook (default 25). */
  readonly iters?: number;
  /** Precision of the stored codebooks (default 'f16'). */
  readonly codebookDtype?: VqCodebookDType;
  /**
   * One f16 scale per row and codebook group (default false): the group's points are divided by the
   * row's absmax before k-means, and decode multiplies back (QTensor codebook scales), so rows of
   * different magnitude share one codebook (GPTVQ's blockwise normalisation, block = codebook group).
   * Costs 16 / groupSize bits per weight.
   */
  readonly rowScales?: boolean;
  /** Two additive stages (residual VQ), stored as two QTensors per column group (default false). */
  readonly residual?: boolean;
  /** Columns per lazy batch of the error feedback (default: 128 rounded up to a multiple of dim). */
  readonly blockSize?: number;
  /** Damping as a fraction of mean(diag H) (default 0.01), escalated ×10 while the Cholesky fails. */
  readonly percDamp?: number;
  /** Upper limit of the damping escalation (default 100). */
  readonly maxPercDamp?: number;
  /**
   * With a Hessian: quantize columns in order of decreasing diag(H) (GPTQ's act-order; default false).
   * The column groups are then groups of the permuted order and the VqTensor keeps the permutation.
   */
  readonly actOrder?: boolean;
  /**
   * With a Hessian: after the loop, re-solve each codebook by least squares on the layer loss with
   * the indices fixed, kept only when the loss drops (GPTVQ's codebook update; default true).
   */
  readonly codebookUpdate?: boolean;
  /** Working precision of the inverse and the feedback loop (default 'f64'). */
  readonly precision?: 'f32' | 'f64';
}

/** Extras of a VQ report. */
export interface VqExtras {
  readonly dim: number;
  readonly indexBits: number;
  readonly entries: number;
  readonly groupSize: number;
  readonly stages: number;
  readonly codebookDtype: VqCodebookDType;
  readonly rowScales: boolean;
  readonly actOrder: boolean;
  /** Codebooks learned (stages × column groups). */
  readonly codebooks: number;
  /** Mean k-means E-steps per codebook. */
  readonly kmeansIterations: number;
  /** Empty clusters re-seeded, over all codebooks. */
  readonly reseeded: number;
  /** Bits per weight (int8 codebooks at 8 bits a value); equal to the report's bitsPerWeight since QTensor counts int8 codebooks exactly. */
  readonly trueBitsPerWeight: number;
  /** With a Hessian: the damping used and the feedback loss Σ‖E‖²/2 (under the damped H). */
  readonly percDamp?: number;
  readonly damp?: number;
  readonly escalations?: number;
  readonly loss?: number;
  /** With a Hessian and codebookUpdate: the output error tr(ΔHΔᵀ)/2 before and after, and codebooks whose update was kept. */
  readonly codebookUpdate?: { readonly lossBefore: number; readonly lossAfter: number; readonly kept: number };
  readonly deadColumns: number;
}

interface Resolved {
  rows: number;
  cols: number;
  d: number;
  bits: number;
  k: number;
  gs: number;
  iters: number;
  cbDtype: VqCodebookDType;
  stages: number;
  blockSize: number;
  rowScales: boolean;
}

function resolve(w: Tensor, opts: VqOptions): Resolved {
  checkTensor('vqQuantize', w, 'the weight');
  if (w.ndim !== 2) throw new ShapeError(`vqQuantize expects a weight [out, in], got ${fmtShape(w.shape)}`);
  const [rows, cols] = w.shape;
  if (rows < 1 || cols < 1) throw new ShapeError(`vqQuantize: the weight ${fmtShape(w.shape)} is empty`);
  checkOptions('vqQuantize', opts, 'required');
  const d = opts.dim;
  if (!Number.isInteger(d) || d < 1) throw new ValueError(`dim must be a positive integer, got ${String(d)}`);
  if (cols % d !== 0) throw new ShapeError(`vqQuantize: ${cols} columns of ${fmtShape(w.shape)} are not a multiple of dim ${d}`);
  let bits = opts.bits;
  if (opts.entries !== undefined) {
    const b = Math.log2(opts.entries);
    if (!Number.isInteger(b)) throw new ValueError(`entries must be a power of two, got ${opts.entries}`);
    if (bits !== undefined && bits !== b) throw new ValueError(`bits ${bits} and entries ${opts.entries} disagree (2^${bits} = ${2 ** bits})`);
    bits = b;
  }
  if (bits === undefined) throw new ValueError('vqQuantize needs bits (index bits) or entries');
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new ValueError(`index bits must be an integer from 1 to 8, got ${bits}`);
  const gs = opts.groupSize ?? cols;
  if (!Number.isInteger(gs) || gs < 1 || gs % d !== 0) throw new ValueError(`groupSize must be a positive multiple of dim ${d}, got ${gs}`);
  const iters = opts.iters ?? 25;
  if (!Number.isInteger(iters) || iters < 1) throw new ValueError(`iters must be a positive integer, got ${iters}`);
  const blockSize = opts.blockSize ?? Math.ceil(128 / d) * d;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize % d !== 0) throw new ValueError(`blockSize must be a positive multiple of dim ${d}, got ${blockSize}`);
  return {
    rows,
    cols,
    d,
    bits,
    k: 2 ** bits,
    gs: Math.min(gs, cols),
    iters,
    cbDtype: opts.codebookDtype ?? 'f16',
    stages: opts.residual ? 2 : 1,
    blockSize,
    rowScales: opts.rowScales ?? false,
  };
}

/** One stage's output: codes [rows, cols / d] and the codebook of every column group. */
interface StageOut {
  codes: Uint8Array;
  books: StoredCodebook[];
  /** Per column group: the stored scales (rows with rowScales, 1 for an int8 codebook alone) or null. */
  scales: (Float32Array | null)[];
}

/**
 * Quantizes a weight [out, in] with learned vector codebooks (GPTVQ with a Hessian; plain weighted
 * k-means without). Returns a VqTensor (stages × column groups of codebook QTensors) and a report
 * whose error is the output error tr(ΔHΔᵀ)/2 = mean‖(W − Q)x‖² with a Hessian (undamped, of what
 * dequantize returns), else the mean squared weight error.
 * @throws ShapeError for a non-matrix, a column count not a multiple of dim, or a Hessian of the
 *   wrong size; ValueError for bad options or a non-finite weight; LinAlgError when no damping up to
 *   maxPercDamp makes H positive definite
 * @example
 * const acc = new HessianAccumulator(384);
 * acc.add(x);                                                 // [tokens, 384] layer inputs
 * const { q, report } = vqQuantize(w, { dim: 2, bits: 4, groupSize: 128, hessian: acc, seed: 1 });
 * report.bitsPerWeight;                                       // 2 + codebooks: 16·2·16 bits per 128 columns
 * q.dequantize();                                             // f32 [out, in]
 * vqQuantize(w, { dim: 8, bits: 8, residual: true, hessian: acc }); // AQLM-like 2×8: 2 bits + codebooks
 */
export function vqQuantize(w: Tensor, opts: VqOptions): { q: VqTensor; report: QuantReport<VqExtras> } {
  const sw = new Phases();
  const R = resolve(w, opts);
  const { rows, cols, d, k, gs, stages } = R;
  const W = w.dtype === 'f64' ? Float64Array.from(w.data() as Float64Array) : Float64Array.from(w.toFloat32());
  for (let i = 0; i < W.length; i++) {
    if (!Number.isFinite(W[i])) throw new ValueError(`vqQuantize: non-finite weight ${W[i]} at [${Math.floor(i / cols)},${i % cols}] of ${fmtShape(w.shape)}`);
  }

  // Hessian: V (V Vᵀ = H + damp I) and the column weights 1 / U_jj² = V_jj² (U = V⁻¹).
  let v: Tensor | null = null;
  let colW: Float64Array | null = null;
  let hessExtras: Pick<VqExtras, 'percDamp' | 'damp' | 'escalations'> = {};
  let dead: number[] = [];
  let perm: Int32Array | null = null;
  let hOrig: Float64Array | null = null;
  if (opts.hessian !== undefined) {
    const ht = opts.hessian instanceof HessianAccumulator ? opts.hessian.hessian('f64') : opts.hessian;
    if (!(ht instanceof Tensor) || ht.ndim !== 2 || ht.shape[0] !== cols || ht.shape[1] !== cols) {
      throw new ShapeError(`vqQuantize: H must be [${cols},${cols}] for weight ${fmtShape(w.shape)}, got ${ht instanceof Tensor ? fmtShape(ht.shape) : typeof ht}`);
    }
    const prep = prepareHessian(ht, { percDamp: opts.percDamp, maxPercDamp: opts.maxPercDamp, actOrder: opts.actOrder, precision: opts.precision ?? 'f64' });
    hOrig = ht.dtype === 'f64' ? Float64Array.from(ht.data() as Float64Array) : Float64Array.from(ht.toFloat32());
    if (ht !== opts.hessian) ht.dispose();
    v = prep.v;
    dead = prep.dead;
    perm = prep.perm;
    hessExtras = { percDamp: prep.percDamp, damp: prep.damp, escalations: prep.escalations };
    for (const c of dead) for (let r = 0; r < rows; r++) W[r * cols + c] = 0;
    const vv = v.raw() as Float32Array | Float64Array;
    colW = new Float64Array(cols);
    for (let j = 0; j < cols; j++) colW[j] = vv[v.offset + j * cols + j] ** 2;
    sw.lap('inverse');
  }

  const rng = new Rng(opts.seed ?? 0);
  let kmIters = 0;
  let reseeded = 0;
  const cpr = cols / d;
  const outs: StageOut[] = Array.from({ length: stages }, () => ({ codes: new Uint8Array(rows * cpr), books: [], scales: [] }));
  // Working order: act-order permutes the columns (working column j is original column perm[j]).
  const target = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) target[r * cols + j] = W[r * cols + (perm ? perm[j] : j)];
  const quantized = new Float64Array(rows * cols);
  let fits: GroupFit[] = [];
  const codeBuf = new Int32Array(rows);
  const encoder: ColumnEncoder = {
    width: d,
    groupSize: gs,
    startGroup: (b: ColumnBlock) => {
      // Stage s is fitted to what stages 0..s-1 leave of the group's (fed-back) columns.
      fits = [];
      let vals = b.values;
      for (let s = 0; s < stages; s++) {
        const fit = fitGroup(vals, b.j0, b.j1, R, colW, rng.nextU32());
        kmIters += fit.iterations;
        reseeded += fit.reseeded;
        outs[s].books.push(fit.book);
        outs[s].scales.push(fit.rowScale);
        fits.push(fit);
        if (s + 1 < stages) {
          const n = (rows * (b.j1 - b.j0)) / d;
          const codes = new Int32Array(n);
          assign(vals, n, b.j1 - b.j0, fit, R, colW ? colW.subarray(b.j0, b.j1) : null, codes);
          vals = subtractDecoded(vals, n, b.j1 - b.j0, fit, R, codes);
        }
      }
    },
    encode: (b: ColumnBlock) => {
      // Residual VQ per vector: stage s encodes what the earlier stages left; the value is their f32 sum.
      const weights = colW ? colW.subarray(b.j0, b.j1) : null;
      let res = b.values;
      const q = new Float64Array(rows * d);
      for (let s = 0; s < stages; s++) {
        assign(res, rows, d, fits[s], R, weights, codeBuf);
        const v = b.j0 / d;
        for (let r = 0; r < rows; r++) outs[s].codes[r * cpr + v] = codeBuf[r];
        const next = s + 1 < stages ? subtractDecoded(res, rows, d, fits[s], R, codeBuf) : null;
        const tab = fits[s].table;
        for (let r = 0; r < rows; r++) {
          const t0 = (R.rowScales ? r * k * d : 0) + codeBuf[r] * d;
          for (let t = 0; t < d; t++) q[r * d + t] = Math.fround(q[r * d + t] + tab[t0 + t]);
        }
        if (next) res = next;
      }
      for (let r = 0; r < rows; r++) for (let t = 0; t < d; t++) quantized[r * cols + b.j0 + t] = q[r * d + t];
      return q;
    },
  };
  let loss: number | undefined;
  try {
    if (v) {
      const t = tensor(target, [rows, cols], 'f64');
      const fb = errorFeedback(t, v, encoder, { blockSize: R.blockSize });
      t.dispose();
      fb.q.dispose();
      loss = fb.loss;
    } else {
      runWithoutFeedback(target, rows, cols, gs, d, encoder);
    }
  } finally {
    v?.dispose();
  }
  sw.lap('quantize');

  // Codebook update (./codebook-update.ts), in working order.
  let update: VqExtras['codebookUpdate'];
  if (hOrig && (opts.codebookUpdate ?? true)) {
    // The undamped H: the update minimises exactly the output error the report shows.
    const hp = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++) {
      const pi = perm ? perm[i] : i;
      for (let j = 0; j < cols; j++) hp[i * cols + j] = hOrig[pi * cols + (perm ? perm[j] : j)];
    }
    const round = R.cbDtype === 'int8' ? (v: number) => Math.max(-127, Math.min(127, roundHalfEven(v))) : (v: number) => roundToScaleDType(v, R.cbDtype as Exclude<CodebookDType, 'int8'>);
    const blocks: CodebookBlock[] = [];
    outs.forEach((o) =>
      o.books.forEach((book, g) => {
        const j0 = g * gs;
        const width = Math.min(gs, cols - j0);
        const per = width / d;
        const codes = new Int32Array(rows * per);
        for (let r = 0; r < rows; r++) for (let v = 0; v < per; v++) codes[r * per + v] = o.codes[r * cpr + j0 / d + v];
        blocks.push({ j0, width, codes, stored: book.stored, scale: o.scales[g] ?? null, round });
      }),
    );
    const res = updateCodebooks(target, quantized, hp, rows, cols, d, k, blocks);
    update = { lossBefore: res.before / 2, lossAfter: res.after / 2, kept: res.kept };
    sw.lap('update');
  }

  const q = new VqTensor([rows, cols], gs, outs.map((o) => packStage(o, R)), perm ?? undefined);
  sw.lap('pack');

  // The error of what dequantize returns, in the original column order.
  const deqT = q.dequantize();
  const deq = Float64Array.from(deqT.raw() as Float32Array);
  deqT.dispose();
  let error: QuantReport['error'];
  if (hOrig) {
    error = { kind: 'output', value: layerLoss(W, deq, hOrig, rows, cols) / 2 };
  } else {
    let sq = 0;
    for (let i = 0; i < W.length; i++) sq += (W[i] - deq[i]) ** 2;
    error = { kind: 'weight', value: sq / (rows * cols) };
  }
  sw.lap('error');
  const size = q.sizeBits();
  const nBooks = stages * Math.ceil(cols / gs);
  const report: QuantReport<VqExtras> = {
    method: v ? (stages > 1 ? 'gptvq-residual' : 'gptvq') : stages > 1 ? 'vq-residual' : 'vq',
    dtype: 'codebook',
    shape: [rows, cols],
    bitsPerWeight: size.bitsPerWeight,
    error,
    timeMs: performance.now() - sw.start,
    phases: sw.record,
    extras: {
      dim: d,
      indexBits: R.bits,
      entries: k,
      groupSize: gs,
      stages,
      codebookDtype: R.cbDtype,
      rowScales: R.rowScales,
      actOrder: perm !== null,
      codebooks: nBooks,
      kmeansIterations: kmIters / nBooks,
      reseeded,
      trueBitsPerWeight: size.bitsPerWeight,
      ...hessExtras,
      ...(loss !== undefined ? { loss } : {}),
      ...(update ? { codebookUpdate: update } : {}),
      deadColumns: dead.length,
    },
  };
  return { q, report };
}

/** A column group's codebook: k-means (on row-normalised points with rowScales), rounded; its decode table. */
interface GroupFit {
  book: StoredCodebook;
  /** Stored scales: [rows] with rowScales, [1] for an int8 codebook alone, else null. */
  rowScale: Float32Array | null;
  /** Decoded codewords: [k, d], or [rows, k, d] with rowScales (fround(stored · scale)), f32 values in f64. */
  table: Float64Array;
  /** The stored codebook [k, d] (what the QTensor holds), f32 values in f64. */
  stored: Float64Array;
  iterations: number;
  reseeded: number;
}

function fitGroup(values: Float64Array, j0: number, j1: number, R: Resolved, colW: Float64Array | null, seed: number): GroupFit {
  const { rows, d, k } = R;
  const gc = j1 - j0;
  let points = values;
  let weights: Float64Array | null = colW ? colW.subarray(j0, j1) : null;
  let s: Float64Array | null = null;
  if (R.rowScales) {
    // Row r of the group is w_r / s_r with s_r = absmax rounded up to f16; the error of row r in the
    // original units is s_r² times the normalised one, hence the weights s_r² · w_j.
    s = new Float64Array(rows);
    points = new Float64Array(rows * gc);
    weights = new Float64Array(rows * gc);
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let t = 0; t < gc; t++) m = Math.max(m, Math.abs(values[r * gc + t]));
      const sr = m === 0 ? 1 : roundToScaleDType(m, 'f16', 'up');
      if (!Number.isFinite(sr)) throw new ValueError(`row ${r} of columns [${j0}, ${j1}) has absmax ${m}, beyond the f16 scale range`);
      s[r] = sr;
      for (let t = 0; t < gc; t++) {
        points[r * gc + t] = values[r * gc + t] / sr;
        weights[r * gc + t] = sr * sr * (colW ? colW[j0 + t] : 1);
      }
    }
  }
  const km = kmeans({ points, n: (rows * gc) / d, d, weights }, { k, iters: R.iters, seed });
  const book = roundCodebook(km.centroids, R.cbDtype);
  let rowScale: Float32Array | null = null;
  let table = Float64Array.from(book.values);
  if (s) {
    // An int8 codebook's own scale is folded into the row scales (one scale slot per QTensor).
    rowScale = new Float32Array(rows);
    table = new Float64Array(rows * k * d);
    for (let r = 0; r < rows; r++) {
      rowScale[r] = book.scale === undefined ? s[r] : roundToScaleDType(s[r] * book.scale, 'f16');
      for (let i = 0; i < k * d; i++) table[r * k * d + i] = Math.fround(book.stored[i] * rowScale[r]);
    }
  } else if (book.scale !== undefined) {
    rowScale = Float32Array.of(book.scale);
  }
  return { book, rowScale, table, stored: Float64Array.from(book.stored), iterations: km.iterations, reseeded: km.reseeded };
}

/**
 * Nearest decoded codeword of each of the n vectors of `values` ([rows, width] row-major, width a
 * multiple of d, n = rows · width / d): with row scales, row r compares with the stored codebook
 * times its scale (f32 products, exactly the table's values).
 */
function assign(values: Float64Array, n: number, width: number, fit: GroupFit, R: Resolved, weights: Float64Array | null, codes: Int32Array): void {
  const { d, k } = R;
  const pts = { points: values, n, d, weights };
  if (fit.rowScale && R.rowScales) nearestCentroids(pts, fit.stored, k, codes, { scales: fit.rowScale, per: width / d });
  else nearestCentroids(pts, fit.table, k, codes);
}

/** values − decoded codewords (the residual the next stage encodes), same layout as `assign`. */
function subtractDecoded(values: Float64Array, n: number, width: number, fit: GroupFit, R: Resolved, codes: Int32Array): Float64Array {
  const { d, k } = R;
  const per = width / d;
  const out = new Float64Array(values.length);
  for (let i = 0; i < n; i++) {
    const t0 = (R.rowScales ? Math.floor(i / per) * k * d : 0) + codes[i] * d;
    for (let t = 0; t < d; t++) out[i * d + t] = values[i * d + t] - fit.table[t0 + t];
  }
  return out;
}

/** The encoder's loop without a Hessian: each group's codebook from the target, then its vectors, no feedback. */
function runWithoutFeedback(target: Float64Array, rows: number, cols: number, gs: number, d: number, enc: ColumnEncoder): void {
  const cut = (j0: number, j1: number): ColumnBlock => {
    const n = j1 - j0;
    const values = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) for (let t = 0; t < n; t++) values[r * n + t] = target[r * cols + j0 + t];
    return { j0, j1, rows, values };
  };
  for (let g0 = 0; g0 < cols; g0 += gs) {
    const g1 = Math.min(cols, g0 + gs);
    enc.startGroup!(cut(g0, g1));
    for (let s0 = g0; s0 < g1; s0 += d) enc.encode(cut(s0, s0 + d));
  }
}

/** The QTensors of one stage: one per column group, codes packed row by row. */
function packStage(o: StageOut, R: Resolved): QTensor[] {
  const { rows, cols, d, bits, gs } = R;
  const cpr = cols / d;
  const parts: QTensor[] = [];
  o.books.forEach((book, g) => {
    const c0 = g * gs;
    const gc = Math.min(gs, cols - c0);
    const n = gc / d;
    const codes = new Uint8Array(rows * n);
    for (let r = 0; r < rows; r++) codes.set(o.codes.subarray(r * cpr + c0 / d, r * cpr + c0 / d + n), r * n);
    const packed = packRows(codes, rows, n, bits);
    const rowBytes = packed.length / rows;
    const sc = o.scales[g];
    parts.push(
      new QTensor('codebook', [rows, gc], tensor(packed, [rows, rowBytes], 'uint8'), {
        groupSize: gc,
        perTensor: sc !== null && !R.rowScales,
        scaleDtype: 'f16',
        symmetric: true,
        ...(sc ? { scales: tensor(sc, [sc.length, 1], 'f32') } : {}),
        codebook: tensor(book.stored, [2 ** bits, d], 'f32'),
        codebookDtype: book.codebookDtype,
        indexBits: bits,
        vectorDim: d,
      }),
    );
  });
  return parts;
}
