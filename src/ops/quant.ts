/**
 * The quantize triad (after torchao's choose_qparams / quantize / dequantize), with one options
 * object: `chooseQParams(x, opts)` picks scales and zero points, `quantize(x, opts)` computes and packs
 * the codes (with chosen or given qparams), `dequantize(q)` (src/qtensor.ts) is the reference decode.
 * Round-to-nearest only: GPTQ/AWQ/VQ search better qparams or codes and call into this. Not a kernel:
 * plain TS over whole rows.
 *
 * Rules, per group of `groupSize` columns of one row (of the whole tensor when per-tensor). min and
 * max are over the group's values (times `clip`), with 0 included in the range (as GPTQ and torchao
 * do, so 0 is exact):
 * - affine asymmetric (default for int*): scale = (max - min) / (2^bits - 1), zero = round(-min / scale)
 *   clamped to [0, 2^bits - 1]; code = clamp(round(x / scale) + zero).
 * - affine symmetric: zero fixed at 2^(bits-1); scale = max(-min / 2^(bits-1), max / (2^(bits-1) - 1))
 *   (torchao's SYMMETRIC_NO_CLIPPING_ERR: both ends of the code range are used, nothing clips).
 * - lut (nf4, fp4): scale = absmax / max|values|; code = the nearest of values to x / scale.
 * - mx (mxfp4, OCP MX v1.0 §6.3): blocks of 32; X = 2^(floor(log2(amax)) - emax_elem) with the exponent
 *   clamped to the e8m0 range [-127, 127] (-127 for an all-zero block); code = nearest E2M1 value to
 *   x / X, saturating to ±6.
 * - codebook (VQ): code = the index of the codebook vector nearest (L2) to the vector of `vectorDim`
 *   consecutive columns (divided by the group scale, if any; a ragged last vector compares its first
 *   columns only); ties go to the lower index. Scales only with an explicit groupSize:
 *   absmax / max|codebook|.
 *
 * Rounding: `round` is half to even (like torch.round). The scale is rounded UP to scaleDtype (the
 * smallest representable value >= the exact scale) before codes are computed, so codes are optimal
 * for the stored scale and the grid still covers the range: |x - deq| <= scale / 2 for every value
 * inside the (clipped) range. Nearest lut/E2M1 value: ties go to the even code, which for E2M1 is
 * round-half-to-even of the mantissa (0.25 -> 0, 0.75 -> 1, 2.5 -> 2, 5 -> 4); between 0 and -0 (fp4
 * codes 0 and 8) the lower code, 0.
 *
 * Degenerate groups (defined, so dequantize is exact where it can be):
 * - all zeros: scale 1 (mx: 2^-127) and the code of 0; dequantizes to exactly 0.
 * - constant c != 0 (every value equal): when the usual scale does not reproduce c exactly, affine and
 *   lut use scale = |c| (rounded up) and the code of ±1 step (affine) or of the value ±1 (lut), so the
 *   group dequantizes to exactly c whenever c is representable in scaleDtype. mx keeps the spec's rule.
 * - a group of one element is a constant group.
 * - huge values: a scale that overflows scaleDtype (e.g. 3e38 / 15 in f16) is a ValueError naming the
 *   group; codes whose value would overflow f32 are never emitted (the grid is cut at f32 max), so
 *   dequantize never returns ±Inf for finite input.
 * - non-finite input: ValueError naming the first position ("non-finite value NaN at [3, 17]"), unless
 *   `nonFinite: 'saturate'`: qparams are chosen from the finite values, then NaN encodes as 0 and ±Inf
 *   as the largest representable magnitude of its sign.
 */
import { DTypeError, ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { DTYPES, SCALE_BITS, checkQuantDType, quantInfo, E8M0, type QuantDType, type QuantFacts, type ScaleDType } from '../dtype/table.js';
import { roundToF16 } from '../dtype/half.js';
import { packBits } from '../dtype/pack.js';
import type { CodebookDType } from '../dtype/bits.js';
import {
  QTensor,
  checkPermutation,
  checkQParams,
  dequantize,
  floorLog2,
  roundToScaleDType,
  type QParams,
} from '../qtensor.js';
import { Tensor, checkTensor, empty, tensor } from '../tensor.js';
import { nearestIndex, roundHalfEven } from '../dtype/round.js';

export { dequantize } from '../qtensor.js';

/** Granularity of the scales: columns per group, one group per row ('channel') or one for all ('tensor'). */
export type GroupSizeOption = number | 'channel' | 'tensor';

/** The one options object of `chooseQParams` and `quantize`. */
export interface QuantizeOptions {
  /** A quantized dtype of the table: int2, int3, int4, int8, fp4, nf4, mxfp4, codebook. */
  readonly dtype: QuantDType;
  /**
   * Columns per scale group (the last group may be ragged), 'channel' (one per row) or 'tensor'.
   * Default 'channel'; mxfp4: 32 (the only value it accepts); codebook: no scales unless given.
   */
  readonly groupSize?: GroupSizeOption;
  /** Affine: fixed zero point 2^(bits-1) instead of a stored one. Default false (asymmetric); lut/mx/codebook: true only. */
  readonly symmetric?: boolean;
  /** Precision of the stored scales. Default 'f16' (like real checkpoints); mxfp4: 'e8m0' only. */
  readonly scaleDtype?: ScaleDType;
  /** Fraction (0, 1] of the observed range (or absmax) the grid spans; values beyond it clip. Default 1. */
  readonly clip?: number;
  /** codebook dtype: the codebook, a float tensor [2^indexBits, vectorDim] (indexBits 1..8). */
  readonly codebook?: Tensor;
  /** codebook dtype: precision the codebook values are rounded to and counted in. Default 'f32'. */
  readonly codebookDtype?: CodebookDType;
  /** Act-order: stored column j takes original column perm[j]; groups follow the stored order. */
  readonly perm?: Tensor | ArrayLike<number>;
  /** AWQ input scales (rounded to f16): columns are multiplied by them before quantizing and divided on dequantize. */
  readonly inputScale?: Tensor | ArrayLike<number>;
  /** Non-finite input: 'error' (default) throws a ValueError; 'saturate' is described at the top of this file. */
  readonly nonFinite?: 'error' | 'saturate';
  /** `quantize` only: use these qparams (copied) instead of choosing them; then pass no other option but nonFinite. */
  readonly qparams?: QParams;
}

/**
 * The defaults of `QuantizeOptions` (dtype-specific overrides: mxfp4 forces groupSize 32 and e8m0
 * scales; lut, mx and codebook are always symmetric; codebook has no scales unless groupSize is given).
 * @example
 * QUANTIZE_DEFAULTS.scaleDtype === 'f16'
 */
export const QUANTIZE_DEFAULTS = Object.freeze({
  groupSize: 'channel',
  symmetric: false,
  scaleDtype: 'f16',
  clip: 1,
  codebookDtype: 'f32',
  nonFinite: 'error',
} as const);

const F32_MAX = 3.4028234663852886e38;

/** Options resolved against a shape: everything the choose and encode passes need. */
interface Spec {
  dtype: QuantDType;
  facts: QuantFacts;
  bits: number;
  shape: readonly number[];
  rows: number;
  cols: number;
  groupSize: number;
  perTensor: boolean;
  nGroups: number;
  scaleRows: number;
  symmetric: boolean;
  scaleDtype: ScaleDType;
  clip: number;
  hasScales: boolean;
  vectorDim: number;
  codebook: Float32Array | null;
  codebookDtype: CodebookDType;
  perm: Int32Array | null;
  inputScale: Float32Array | null;
  nonFinite: 'error' | 'saturate';
}

function checkInput(x: Tensor, dtype: unknown): { rows: number; cols: number } {
  checkTensor('quantize', x);
  checkQuantDType('quantize', dtype);
  const maker = quantInfo(dtype).quantizer;
  if (maker) throw new DTypeError(`quantize cannot encode ${dtype}: its codes come from ${maker} (src/quantizers)`);
  if (x.ndim === 0) throw new ShapeError(`cannot quantize a 0-d tensor: need a last axis to group along`);
  if (x.size === 0) throw new ShapeError(`cannot quantize an empty tensor ${fmtShape(x.shape)}`);
  const cols = x.shape[x.ndim - 1];
  return { rows: x.size / cols, cols };
}

function toArray(v: Tensor | ArrayLike<number>): ArrayLike<number> {
  return v instanceof Tensor ? (v.dtype === 'f64' ? (v.data() as Float64Array) : v.toFloat32()) : v;
}

function resolveOptions(x: Tensor, opts: QuantizeOptions): Spec {
  const { rows, cols } = checkInput(x, opts.dtype);
  const dtype = opts.dtype;
  const facts = quantInfo(dtype);
  const family = facts.family;
  const nonFinite = opts.nonFinite ?? QUANTIZE_DEFAULTS.nonFinite;
  if (nonFinite !== 'error' && nonFinite !== 'saturate') throw new ValueError(`nonFinite must be 'error' or 'saturate', got ${String(nonFinite)}`);

  // Scale dtype
  const scaleDtype: ScaleDType = opts.scaleDtype ?? facts.scaleDtype ?? QUANTIZE_DEFAULTS.scaleDtype;
  if (!(scaleDtype in SCALE_BITS)) throw new ValueError(`unknown scaleDtype ${String(scaleDtype)} (f32, f16, bf16 or e8m0)`);
  if (facts.scaleDtype && scaleDtype !== facts.scaleDtype) {
    throw new ValueError(`${dtype} scales are ${facts.scaleDtype} by definition; scaleDtype ${scaleDtype} is not allowed`);
  }

  // Symmetry
  const symmetric = opts.symmetric ?? (facts.zeroPoint ? QUANTIZE_DEFAULTS.symmetric : true);
  if (typeof symmetric !== 'boolean') throw new ValueError(`symmetric must be a boolean, got ${String(symmetric)}`);
  if (!facts.zeroPoint && !symmetric) throw new ValueError(`${dtype} has no zero point: symmetric: false is not allowed`);

  // Codebook
  let bits: number = DTYPES[dtype].bits;
  let vectorDim = 1;
  let codebook: Float32Array | null = null;
  const codebookDtype = opts.codebookDtype ?? QUANTIZE_DEFAULTS.codebookDtype;
  if (family === 'codebook') {
    if (!(opts.codebook instanceof Tensor) || opts.codebook.ndim !== 2) {
      throw new ValueError(`${dtype} needs opts.codebook, a tensor [entries, vectorDim]`);
    }
    if (codebookDtype !== 'f32' && codebookDtype !== 'f16' && codebookDtype !== 'bf16') {
      throw new ValueError(`codebookDtype must be f32, f16 or bf16, got ${String(codebookDtype)}`);
    }
    const [entries, dim] = opts.codebook.shape;
    const ib = Math.log2(entries);
    if (!Number.isInteger(ib) || ib < 1 || ib > 8) {
      throw new ValueError(`codebook must have 2^indexBits entries with indexBits 1..8, got ${entries} entries`);
    }
    if (dim < 1) throw new ShapeError(`codebook vectors must have at least one element, got shape ${fmtShape(opts.codebook.shape)}`);
    bits = ib;
    vectorDim = dim;
    const raw = toArray(opts.codebook);
    codebook = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      if (!Number.isFinite(raw[i])) throw new ValueError(`non-finite codebook value ${raw[i]} at [${Math.floor(i / dim)}, ${i % dim}]`);
      codebook[i] = roundToScaleDType(raw[i], codebookDtype);
      if (!Number.isFinite(codebook[i])) throw new ValueError(`codebook value ${raw[i]} at [${Math.floor(i / dim)}, ${i % dim}] overflows ${codebookDtype}`);
    }
  } else if (opts.codebook !== undefined || opts.codebookDtype !== undefined) {
    throw new ValueError(`${dtype} has a fixed code format: codebook and codebookDtype apply to the codebook dtype only`);
  }

  // Granularity
  const g = opts.groupSize ?? (family === 'codebook' ? undefined : facts.blockSize ?? QUANTIZE_DEFAULTS.groupSize);
  if (facts.blockSize !== undefined && g !== facts.blockSize) {
    throw new ValueError(`${dtype} uses blocks of ${facts.blockSize} (OCP MX); groupSize ${JSON.stringify(g)} is not allowed`);
  }
  let groupSize: number;
  let perTensor = false;
  if (g === undefined) groupSize = cols; // codebook without scales
  else if (g === 'channel') groupSize = cols;
  else if (g === 'tensor') {
    groupSize = cols;
    perTensor = true;
  } else if (typeof g === 'number' && Number.isInteger(g) && g >= 1) groupSize = g;
  else throw new ValueError(`groupSize must be a positive integer, 'channel' or 'tensor', got ${JSON.stringify(g)}`);
  const hasScales = family !== 'codebook' || g !== undefined;
  const nGroups = perTensor ? 1 : Math.ceil(cols / groupSize);
  if (family === 'codebook' && hasScales && nGroups > 1 && groupSize % vectorDim !== 0) {
    throw new ValueError(`codebook groupSize ${groupSize} must be a multiple of the vector dimension ${vectorDim}`);
  }

  const clip = opts.clip ?? QUANTIZE_DEFAULTS.clip;
  if (typeof clip !== 'number' || !(clip > 0 && clip <= 1)) throw new ValueError(`clip must be in (0, 1], got ${clip}`);

  // Act-order permutation and input scales
  let perm: Int32Array | null = null;
  if (opts.perm !== undefined) {
    const p = toArray(opts.perm);
    if (p.length !== cols) throw new ShapeError(`perm has ${p.length} entries, expected cols = ${cols} of ${fmtShape(x.shape)}`);
    checkPermutation(p);
    perm = Int32Array.from(p);
  }
  let inputScale: Float32Array | null = null;
  if (opts.inputScale !== undefined) {
    const a = toArray(opts.inputScale);
    if (a.length !== cols) throw new ShapeError(`inputScale has ${a.length} entries, expected cols = ${cols} of ${fmtShape(x.shape)}`);
    inputScale = new Float32Array(cols);
    for (let i = 0; i < cols; i++) {
      inputScale[i] = roundToF16(a[i]);
      if (!(inputScale[i] > 0) || !Number.isFinite(inputScale[i])) {
        throw new ValueError(`inputScale ${a[i]} at [${i}] is not positive and finite in f16`);
      }
    }
  }

  return {
    dtype,
    facts,
    bits,
    shape: x.shape,
    rows,
    cols,
    groupSize,
    perTensor,
    nGroups,
    scaleRows: perTensor ? 1 : rows,
    symmetric,
    scaleDtype,
    clip,
    hasScales,
    vectorDim,
    codebook,
    codebookDtype,
    perm,
    inputScale,
    nonFinite,
  };
}

/** The spec of given qparams (quantize with precomputed qparams). */
function specFromQParams(x: Tensor, opts: QuantizeOptions, qp: QParams): Spec {
  const { rows, cols } = checkInput(x, opts.dtype);
  for (const k of ['groupSize', 'symmetric', 'scaleDtype', 'clip', 'codebook', 'codebookDtype', 'perm', 'inputScale'] as const) {
    if (opts[k] !== undefined) throw new ValueError(`quantize: pass either qparams or ${k}, not both (qparams already fix it)`);
  }
  const chk = checkQParams(opts.dtype, x.shape, qp);
  return {
    dtype: opts.dtype,
    facts: chk.facts,
    bits: chk.bits,
    shape: x.shape,
    rows,
    cols,
    groupSize: qp.groupSize,
    perTensor: qp.perTensor,
    nGroups: chk.geometry.nGroups,
    scaleRows: chk.geometry.scaleRows,
    symmetric: qp.symmetric,
    scaleDtype: qp.scaleDtype,
    clip: 1,
    hasScales: qp.scales !== undefined,
    vectorDim: qp.vectorDim ?? 1,
    codebook: qp.codebook ? (qp.codebook.data() as Float32Array) : null,
    codebookDtype: qp.codebookDtype ?? 'f32',
    perm: qp.perm ? (qp.perm.data() as Int32Array) : null,
    inputScale: qp.inputScale ? (qp.inputScale.data() as Float32Array) : null,
    nonFinite: opts.nonFinite ?? QUANTIZE_DEFAULTS.nonFinite,
  };
}

/** Formats a flat index of `shape` as "[3, 17]". */
function fmtIndex(flat: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

/** The input values in row-major order (f64 input stays f64), checked for non-finite values. */
function readInput(x: Tensor, spec: Spec): Float32Array | Float64Array {
  const src = x.dtype === 'f64' ? (x.data() as Float64Array) : x.toFloat32();
  if (spec.nonFinite === 'error') {
    for (let i = 0; i < src.length; i++) {
      if (!Number.isFinite(src[i])) {
        throw new ValueError(`non-finite value ${src[i]} at ${fmtIndex(i, x.shape)} of ${x.dtype} ${fmtShape(x.shape)} (pass nonFinite: 'saturate' to encode it)`);
      }
    }
  }
  return src;
}

/**
 * Fills `buf` with row r in stored column order (perm applied, input scales multiplied). Non-finite
 * values become NaN-free: NaN -> 0, ±Inf -> ±f32 max when `sanitize` (the encode pass); the choose
 * pass skips them instead.
 */
function loadRow(src: Float32Array | Float64Array, spec: Spec, r: number, buf: Float64Array, sanitize: boolean): void {
  const { cols, perm, inputScale } = spec;
  const base = r * cols;
  for (let j = 0; j < cols; j++) {
    const oc = perm ? perm[j] : j;
    let v = src[base + oc];
    if (inputScale) v *= inputScale[oc];
    if (sanitize && !Number.isFinite(v)) v = Number.isNaN(v) ? 0 : v > 0 ? F32_MAX : -F32_MAX;
    buf[j] = v;
  }
}

function scaleOverflow(spec: Spec, raw: number, sr: number, g: number): never {
  throw new ValueError(
    `scale ${raw.toPrecision(5)} of group [${sr}, ${g}] of ${fmtShape(spec.shape)} overflows ${spec.scaleDtype}; use scaleDtype 'f32' or 'bf16' (or clip)`,
  );
}

// ---------------------------------------------------------------------------------------------
// lut encoder: nearest value, ties to the even code

/** A value table prepared for nearest-value encoding (shared with GPTQ's scalar grid). */
export interface LutEncoder {
  /** Sorted distinct values and their codes (of equal values, the lowest code). */
  sorted: Float64Array;
  codes: Uint8Array;
  /** Midpoints between neighbours. */
  mids: Float64Array;
  /** At a tie on midpoint m, the index m + ties[m]: the even code, or the lower code when both are even or odd. */
  ties: Float64Array;
  maxAbs: number;
}

const lutCache = new Map<readonly number[], LutEncoder>();

/**
 * The encoder of a value table (cached per table).
 * @example
 * const enc = lutEncoder(quantInfo('nf4').values!);
 * enc.sorted[lutNearest(enc, 0.3)]; // the nf4 value nearest 0.3
 */
export function lutEncoder(values: readonly number[]): LutEncoder {
  const hit = lutCache.get(values);
  if (hit) return hit;
  const pairs = values.map((v, code) => ({ v, code })).sort((a, b) => a.v - b.v || a.code - b.code);
  const uniq = pairs.filter((p, i) => i === 0 || p.v !== pairs[i - 1].v);
  const sorted = Float64Array.from(uniq, (p) => p.v);
  const codes = Uint8Array.from(uniq, (p) => p.code);
  const ties = new Float64Array(sorted.length);
  for (let m = 0; m + 1 < codes.length; m++) {
    const aEven = (codes[m] & 1) === 0;
    ties[m] = aEven !== ((codes[m + 1] & 1) === 0) ? (aEven ? 0 : 1) : codes[m] < codes[m + 1] ? 0 : 1;
  }
  const enc: LutEncoder = {
    sorted,
    codes,
    mids: Float64Array.from(uniq.slice(1), (p, i) => (sorted[i] + p.v) / 2),
    ties,
    maxAbs: Math.max(...values.map(Math.abs)),
  };
  lutCache.set(values, enc);
  return enc;
}

/**
 * Index into `enc.sorted` of the value nearest u (ties: the even code, then the lower code).
 * @example
 * lutNearest(lutEncoder(quantInfo('fp4').values!), 2.5); // the index of 2 or 3, whichever code is even
 */
export function lutNearest(enc: LutEncoder, u: number): number {
  return nearestIndex(enc.mids, enc.ties, u);
}

// ---------------------------------------------------------------------------------------------
// choose

/** Per (scale row, group): min and max of the finite values (0 included), and whether all were equal. */
interface Stats {
  min: Float64Array;
  max: Float64Array;
  /** 1 when the group's finite values are all equal (and there is at least one). */
  constant: Uint8Array;
}

function collectStats(src: Float32Array | Float64Array, spec: Spec): Stats {
  const n = spec.scaleRows * spec.nGroups;
  const vmin = new Float64Array(n).fill(Infinity);
  const vmax = new Float64Array(n).fill(-Infinity);
  // Rows are read in place unless a permutation or input scales must be applied first (loadRow).
  const direct = !spec.perm && !spec.inputScale;
  const buf = direct ? null : new Float64Array(spec.cols);
  for (let r = 0; r < spec.rows; r++) {
    if (buf) loadRow(src, spec, r, buf, false);
    const row = buf ?? src;
    const at = buf ? 0 : r * spec.cols;
    const sBase = spec.perTensor ? 0 : r * spec.nGroups;
    // Group by group, so the hot loop has no index division (GPTQ calls this once per group of a
    // 4096² layer); the values are visited in the same order as a flat loop.
    const gs = spec.perTensor ? spec.cols : spec.groupSize;
    for (let j0 = 0, g = 0; j0 < spec.cols; j0 += gs, g++) {
      const gi = spec.perTensor ? 0 : sBase + g;
      const j1 = Math.min(spec.cols, j0 + gs);
      let lo = vmin[gi];
      let hi = vmax[gi];
      for (let j = at + j0; j < at + j1; j++) {
        const v = row[j];
        if (!Number.isFinite(v)) continue; // only with nonFinite: 'saturate'
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      vmin[gi] = lo;
      vmax[gi] = hi;
    }
  }
  const constant = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (vmin[i] > vmax[i]) {
      vmin[i] = vmax[i] = 0; // no finite value: an all-zero group
      constant[i] = 1;
    } else {
      constant[i] = vmin[i] === vmax[i] ? 1 : 0;
    }
    vmin[i] *= spec.clip;
    vmax[i] *= spec.clip;
  }
  return { min: vmin, max: vmax, constant };
}

function chooseFromData(src: Float32Array | Float64Array, spec: Spec): QParams {
  const { facts, bits, nGroups, scaleRows, scaleDtype, symmetric } = spec;
  const n = scaleRows * nGroups;
  const st = collectStats(src, spec);
  const scales = new Float32Array(n);
  const zeros = facts.zeroPoint && !symmetric ? new Uint8Array(n) : null;
  const up = (raw: number, i: number): number => {
    const s = roundToScaleDType(raw, scaleDtype, 'up');
    if (!Number.isFinite(s)) scaleOverflow(spec, raw, Math.floor(i / nGroups), i % nGroups);
    return s;
  };
  const maxq = facts.ucodeMax;
  const half = 2 ** (bits - 1);
  // The zero point of a group with lower end lo under scale sc (a closure made once, not per group).
  const zeroFor = (lo: number, sc: number): number => (zeros ? Math.min(maxq, Math.max(0, roundHalfEven(-lo / sc))) : half);
  for (let i = 0; i < n; i++) {
    const lo = Math.min(st.min[i], 0);
    const hi = Math.max(st.max[i], 0);
    const amax = Math.max(-lo, hi);
    const c = st.constant[i] ? (st.min[i] !== 0 ? st.min[i] : 0) : NaN; // the constant, if any
    switch (facts.family) {
      case 'affine': {
        let s: number;
        if (amax === 0) s = 1;
        else if (symmetric) s = up(Math.max(-lo / half, half > 1 ? hi / (half - 1) : 0), i);
        else s = up((hi - lo) / maxq, i);
        if (c === c && c !== 0 && half >= 2) {
          // A constant group the usual grid misses gets scale |c|: c is then one step from zero.
          const z = zeroFor(lo, s);
          const q = Math.min(maxq, Math.max(0, roundHalfEven(c / s) + z));
          if (Math.fround((q - z) * s) !== Math.fround(c)) s = up(Math.abs(c), i);
        }
        scales[i] = s;
        if (zeros) zeros[i] = zeroFor(lo, s);
        break;
      }
      case 'lut': {
        const enc = lutEncoder(facts.values!);
        let s = amax === 0 ? 1 : up(amax / enc.maxAbs, i);
        if (c === c && c !== 0 && enc.sorted.includes(Math.sign(c))) {
          // A constant group the usual grid misses gets scale |c| and the code of the value ±1.
          if (Math.fround(enc.sorted[lutNearest(enc, c / s)] * s) !== Math.fround(c)) s = up(Math.abs(c), i);
        }
        scales[i] = capScale(s, enc.maxAbs, scaleDtype);
        break;
      }
      case 'mx': {
        // OCP MX v1.0 §6.3: shared exponent floor(log2(amax)) - emax_elem, clamped to e8m0.
        const e = amax === 0 ? E8M0.minExp : floorLog2(amax) - facts.emaxElem!;
        scales[i] = 2 ** Math.min(E8M0.maxExp, Math.max(E8M0.minExp, e));
        break;
      }
      case 'codebook': {
        let cmax = 0;
        for (const v of spec.codebook!) cmax = Math.max(cmax, Math.abs(v));
        if (cmax === 0) throw new ValueError(`a codebook of zeros cannot be scaled: pass no groupSize`);
        scales[i] = amax === 0 ? 1 : capScale(up(amax / cmax, i), cmax, scaleDtype);
        break;
      }
    }
  }
  return buildQParams(spec, spec.hasScales ? scales : null, zeros);
}

/**
 * Lowers a scale, if needed, so that maxAbs * scale stays finite in f32 (only at the very top of the
 * f32 range, where rounding the scale up would make the largest code decode to Inf).
 */
function capScale(s: number, maxAbs: number, d: ScaleDType): number {
  if (Number.isFinite(Math.fround(maxAbs * s))) return s;
  return Math.min(s, roundToScaleDType(F32_MAX / maxAbs, d, 'down'));
}

function buildQParams(spec: Spec, scales: Float32Array | null, zeros: Uint8Array | null): QParams {
  const sShape = [spec.scaleRows, spec.nGroups];
  const isCodebook = spec.facts.family === 'codebook';
  return {
    groupSize: spec.groupSize,
    perTensor: spec.perTensor,
    scaleDtype: spec.scaleDtype,
    symmetric: spec.symmetric,
    ...(scales ? { scales: tensor(scales, sShape, 'f32') } : {}),
    ...(zeros ? { zeros: tensor(zeros, sShape, 'uint8') } : {}),
    ...(isCodebook
      ? {
          codebook: tensor(spec.codebook!, [2 ** spec.bits, spec.vectorDim], 'f32'),
          codebookDtype: spec.codebookDtype,
          indexBits: spec.bits,
          vectorDim: spec.vectorDim,
        }
      : {}),
    ...(spec.perm ? { perm: tensor(spec.perm, [spec.cols], 'int32') } : {}),
    ...(spec.inputScale ? { inputScale: tensor(spec.inputScale, [spec.cols], 'f32') } : {}),
  };
}

/**
 * Chooses quantization parameters (scales, zero points; codebook, perm and input scales as given)
 * for `x` under the rules at the top of this file. `quantize(x, { dtype, qparams })` then encodes
 * with them.
 * @throws DTypeError for a dtype that is not quantized; ShapeError for a 0-d or empty x; ValueError for
 *   a bad option, a non-finite value (by default) or a scale that overflows scaleDtype
 * @example
 * const qp = chooseQParams(w, { dtype: 'int4', groupSize: 128, symmetric: true });
 * qp.scales!.shape; // [rows, ceil(cols / 128)]
 */
export function chooseQParams(x: Tensor, opts: QuantizeOptions): QParams {
  checkTensor('chooseQParams', x);
  checkOptions('chooseQParams', opts, 'required');
  if (opts.qparams !== undefined) throw new ValueError(`chooseQParams computes qparams; do not pass opts.qparams`);
  const spec = resolveOptions(x, opts);
  return chooseFromData(readInput(x, spec), spec);
}

// ---------------------------------------------------------------------------------------------
// encode

/** Lowest and highest code of an affine group whose values stay finite in f32. */
function affineCodeRange(z: number, s: number, maxq: number): [number, number] {
  let lo = 0;
  let hi = maxq;
  while (lo < z && !Number.isFinite(Math.fround((lo - z) * s))) lo++;
  while (hi > z && !Number.isFinite(Math.fround((hi - z) * s))) hi--;
  return [lo, hi];
}

function encode(src: Float32Array | Float64Array, spec: Spec, qp: QParams): Tensor {
  const { facts, bits, rows, cols, nGroups, groupSize: gs, vectorDim: d } = spec;
  const codesPerRow = Math.ceil(cols / d);
  const rowBytes = Math.ceil((codesPerRow * bits) / 8);
  const out = empty([rows, rowBytes], 'uint8');
  const scales = qp.scales ? (qp.scales.data() as Float32Array) : null;
  const zeros = qp.zeros ? (qp.zeros.data() as Uint8Array) : null;
  // Rows are read in place when nothing must be applied first: no permutation, no input scales, and
  // no non-finite value to saturate (readInput rejected them in 'error' mode).
  const direct = !spec.perm && !spec.inputScale && spec.nonFinite === 'error';
  const buf = direct ? null : new Float64Array(cols);
  const codeRow = new Uint8Array(codesPerRow);
  const maxq = facts.ucodeMax;
  const symZero = 2 ** (bits - 1);
  const enc = facts.values ? lutEncoder(facts.values) : null;
  const cb = spec.codebook;
  const entries = 2 ** bits;
  const packed = new Uint8Array(rowBytes);
  // Code ranges of affine groups, cached per scale row (per-tensor: computed once).
  const cLo = new Int32Array(nGroups);
  const cHi = new Int32Array(nGroups);
  // Scalar families run group by group (no index division per element; the same operations).
  const span = spec.perTensor ? cols : gs;
  for (let r = 0; r < rows; r++) {
    if (buf) loadRow(src, spec, r, buf, true);
    const row = buf ?? src;
    const at = buf ? 0 : r * cols;
    const sBase = spec.perTensor ? 0 : r * nGroups;
    switch (facts.family) {
      case 'affine':
        if (r === 0 || !spec.perTensor) {
          for (let g = 0; g < nGroups; g++) {
            const z = zeros ? zeros[sBase + g] : symZero;
            [cLo[g], cHi[g]] = affineCodeRange(z, scales![sBase + g], maxq);
          }
        }
        for (let j0 = 0, g = 0; j0 < cols; j0 += span, g++) {
          const gi = sBase + g;
          const z = zeros ? zeros[gi] : symZero;
          const s = scales![gi];
          const lo = cLo[g];
          const hi = cHi[g];
          const j1 = Math.min(cols, j0 + span);
          for (let j = j0; j < j1; j++) {
            const q = roundHalfEven(row[at + j] / s) + z;
            codeRow[j] = q < lo ? lo : q > hi ? hi : q;
          }
        }
        break;
      case 'lut':
      case 'mx':
        for (let j0 = 0, g = 0; j0 < cols; j0 += span, g++) {
          const s = scales![sBase + g];
          const j1 = Math.min(cols, j0 + span);
          // Never emit a code whose value overflows f32 (only reachable at the top of the f32 range):
          // the walk toward zero below runs only for groups where some table value overflows.
          let finite = true;
          for (const v of enc!.sorted) if (!Number.isFinite(Math.fround(v * s))) finite = false;
          for (let j = j0; j < j1; j++) {
            let k = lutNearest(enc!, row[at + j] / s);
            if (!finite) while (!Number.isFinite(Math.fround(enc!.sorted[k] * s))) k += enc!.sorted[k] > 0 ? -1 : 1;
            codeRow[j] = enc!.codes[k];
          }
        }
        break;
      case 'codebook':
        for (let k = 0; k < codesPerRow; k++) {
          const j0 = k * d;
          const len = Math.min(d, cols - j0);
          const s = scales ? scales[sBase + (spec.perTensor ? 0 : Math.floor(j0 / gs))] : 1;
          let best = 0;
          let bestDist = Infinity;
          for (let e = 0; e < entries; e++) {
            let dist = 0;
            for (let t = 0; t < len; t++) {
              const diff = row[at + j0 + t] / s - cb![e * d + t];
              dist += diff * diff;
            }
            if (dist < bestDist) {
              bestDist = dist;
              best = e;
            }
          }
          codeRow[k] = best;
        }
        break;
    }
    packBits(codeRow, bits, packed);
    (out.raw() as Uint8Array).set(packed, r * rowBytes);
  }
  return out;
}

function cloneQParams(qp: QParams): QParams {
  const copy = (t: Tensor | undefined): Tensor | undefined => t && tensor(t.data() as never, t.shape, t.dtype);
  return {
    ...qp,
    scales: copy(qp.scales),
    zeros: copy(qp.zeros),
    codebook: copy(qp.codebook),
    perm: copy(qp.perm),
    inputScale: copy(qp.inputScale),
  };
}

/**
 * Quantizes `x` (any dense dtype, any rank >= 1; groups run along the last axis) to a QTensor:
 * chooses qparams with `chooseQParams` (or uses `opts.qparams`, copied) and packs the nearest codes.
 * @throws as chooseQParams; ValueError when opts.qparams is combined with options it already fixes
 * @example
 * const q = quantize(w, { dtype: 'int4', groupSize: 128 });                 // asymmetric, f16 scales
 * const s = quantize(w, { dtype: 'int8', groupSize: 'channel', symmetric: true, scaleDtype: 'f32' });
 * const m = quantize(w, { dtype: 'mxfp4' });                                // blocks of 32, e8m0 scales
 * const again = quantize(w2, { dtype: 'int4', qparams: q.qparams });       // reuse qparams
 */
export function quantize(x: Tensor, opts: QuantizeOptions): QTensor {
  checkTensor('quantize', x);
  checkOptions('quantize', opts, 'required');
  let spec: Spec;
  let qp: QParams;
  let src: Float32Array | Float64Array;
  if (opts.qparams !== undefined) {
    spec = specFromQParams(x, opts, opts.qparams);
    src = readInput(x, spec);
    qp = cloneQParams(opts.qparams);
  } else {
    spec = resolveOptions(x, opts);
    src = readInput(x, spec);
    qp = chooseFromData(src, spec);
  }
  return new QTensor(spec.dtype, x.shape, encode(src, spec, qp), qp);
}

/**
 * Quantizes and dequantizes in one step (fake quantization): the values `x` takes when stored as
 * `opts.dtype`, as an f32 tensor of x's shape.
 * @example
 * const wq = fakeQuantize(w, { dtype: 'nf4', groupSize: 64 });
 */
export function fakeQuantize(x: Tensor, opts: QuantizeOptions): Tensor {
  checkTensor('fakeQuantize', x);
  checkOptions('fakeQuantize', opts, 'required');
  const q = quantize(x, opts);
  try {
    return dequantize(q);
  } finally {
    q.dispose();
  }
}
