/**
 * Reference packed-weight kernels: the definition of `qdequant_f32`, `qmatmul_f32` and `qmatmul_i8`
 * and the fallback when WebAssembly SIMD is unavailable. They read a weight W [n, k] straight from
 * its packed codes (the QTensor storage contract, src/qtensor.ts), never from a dequantized copy.
 *
 *   codes   u8  [n, rowBytes]       each row a little-endian bit stream of `bits`-wide codes (pack.ts)
 *   scales  f32 [n or 1, nGroups]   row r at scales + r * scaleStride (scaleStride 0: per tensor);
 *                                   null: every scale is 1 (a codebook tensor without scales)
 *   zeros   u8  [n or 1, nGroups]   affine asymmetric; null: the symmetric zero 2^(bits-1)
 *   table   f32 [entries, vectorDim] table kind: a fixed codebook (nf4, fp4, mxfp4: 16 values,
 *                                   vectorDim 1) or a learned VQ codebook (one index per vectorDim cols)
 *
 * Value of stored element (r, j), g = floor(j / groupSize), c = code (index k = floor(j / vectorDim)):
 *   affine: f32((c - z) * s)            table: f32(table[c_k * vectorDim + j mod vectorDim] * s)
 * exactly `dequantize` before perm and inputScale (those are the op's business, src/ops/linear.ts).
 *
 * Kernels work on output rows [r0, r1) only (so threads can split by rows); row r of an [m, n]
 * output is at y + i * rsy + r, of a dequantized [n, k] output at out + r * k.
 *
 * - qdequant_f32: out[r, :] = W[r, :]. Bit-exact in every backend.
 * - qmatmul_f32:  y[i, r] = sum_j W[r, j] x[i, j], summed in f64 and rounded once. The WASM kernels
 *   sum in f32 in another order and fold the zero point per group (s * (sum c x - z sum x)), so they
 *   agree within (k + 8) u sum_j s (c_j + z) |x_ij| (affine) or (k + 8) u sum_j |W[r, j] x_ij| (table),
 *   u = 2^-24, for activations in the normal f32 range: the fused loops scale x by powers of two
 *   down to 2^-12 (assembly/inline/quant-core.ts, LAYOUT_OCT), so |x| < 2^-114 rounds as a subnormal
 *   (an absolute error below 2^-138 c s per product), as do products below 2^-126 in any order.
 * - qmatmul_i8 (affine only): activations quantized to int8 per block, integer dot products, scales
 *   applied per block (the ggml q8 / onnxruntime MatMulNBits accuracy-level-4 scheme). Defined
 *   bit-exactly below; the WASM kernel returns identical bits.
 *
 * int8 activations, exactly. Blocks: each group [g*gs, min(k, (g+1)*gs)) is one block when it has at
 * most ACT_BLOCK_MAX columns, otherwise it is cut into blocks of ACT_BLOCK columns (the last ragged).
 * For token i and block b (all arithmetic f32, rounded at every step as written):
 *   amax = max_j |x_j|;  amax == 0: xs = 0, q_j = 0;  else xs = amax / 127, inv = 127 / amax,
 *   q_j = clamp(roundHalfEven(x_j * inv), -127, 127)
 *   isum_b = sum_j c_j q_j - z_g sum_j q_j                      (exact, i32)
 *   y = 0; for each block b in column order: y = y + (s_g * xs_b) * f32(isum_b)
 * Activations must be finite (the op checks).
 *
 * Not the op (src/ops/linear.ts): no shape checks beyond what the arguments imply.
 */
import { view, type Ref } from '../ref.js';
import { roundHalfEven } from '../../dtype/round.js';

/** How codes decode: 0 affine ((c - z) * s), 1 table (table[c] * s). */
export const QKIND = { affine: 0, table: 1 } as const;
export type QKind = (typeof QKIND)[keyof typeof QKIND];

/** A group of at most this many columns is one int8 activation block. */
export const ACT_BLOCK_MAX = 128;
/** Larger groups are cut into activation blocks of this many columns. */
export const ACT_BLOCK = 32;

/** A packed weight W [n, k] as the kernels see it (see the layout at the top of this file). */
export interface QWeightArgs {
  readonly kind: QKind;
  /** Width of one code (indexBits for a VQ codebook), 1..8. */
  readonly bits: number;
  readonly n: number;
  readonly k: number;
  readonly codes: Ref;
  readonly rowBytes: number;
  readonly scales: Ref | null;
  /** Elements between scale rows: nGroups, or 0 when per tensor. */
  readonly scaleStride: number;
  readonly zeros: Ref | null;
  readonly groupSize: number;
  readonly nGroups: number;
  readonly table: Ref | null;
  /** Columns per code: 1, or the VQ vector dimension. */
  readonly vectorDim: number;
}

/** Arguments of `qdequant_f32`: rows [r0, r1) of W into out (row r at out + r * k). */
export interface QDequantArgs extends QWeightArgs {
  readonly out: Ref;
  readonly r0: number;
  readonly r1: number;
}

/** Arguments of `qmatmul_f32` / `qmatmul_i8`: y[i, r] = sum_j W[r, j] x[i, j] for r in [r0, r1). */
export interface QMatmulArgs extends QWeightArgs {
  /** Tokens (rows of x and y). */
  readonly m: number;
  /** f32 [m, k], row i at x + i * rsx, columns contiguous. */
  readonly x: Ref;
  readonly rsx: number;
  /** f32 [m, n], row i at y + i * rsy, columns contiguous. */
  readonly y: Ref;
  readonly rsy: number;
  readonly r0: number;
  readonly r1: number;
}

/** Views of a weight's operands (taken once per kernel call). */
interface WView {
  codes: Uint8Array;
  scales: Float32Array | null;
  zeros: Uint8Array | null;
  table: Float32Array | null;
}

function wview(w: QWeightArgs): WView {
  return {
    codes: view(w.codes, Uint8Array),
    scales: w.scales && view(w.scales, Float32Array),
    zeros: w.zeros && view(w.zeros, Uint8Array),
    table: w.table && view(w.table, Float32Array),
  };
}

/** Unpacks the codes of row r (codesPerRow of them) into `out`. */
function rowCodes(w: QWeightArgs, v: WView, r: number, out: Uint8Array): void {
  const base = w.codes.offset + r * w.rowBytes;
  const b = w.bits;
  const mask = (1 << b) - 1;
  for (let q = 0; q < out.length; q++) {
    const t = q * b;
    const p = base + (t >> 3);
    const sh = t & 7;
    const two = v.codes[p] | (sh + b > 8 ? v.codes[p + 1] << 8 : 0);
    out[q] = (two >> sh) & mask;
  }
}

/** The scale and zero of (row r, group g). */
function scaleOf(w: QWeightArgs, v: WView, r: number, g: number): number {
  return v.scales ? v.scales[w.scales!.offset + r * w.scaleStride + g] : 1;
}
function zeroOf(w: QWeightArgs, v: WView, r: number, g: number): number {
  return v.zeros ? v.zeros[w.zeros!.offset + r * w.scaleStride + g] : 1 << (w.bits - 1);
}

/** Row r of W in f32 (stored column order), rounded exactly as `dequantize` rounds. */
function decodeRow(w: QWeightArgs, v: WView, r: number, codes: Uint8Array, row: Float32Array): void {
  rowCodes(w, v, r, codes);
  const { k, groupSize: gs, vectorDim: d } = w;
  for (let g = 0, j0 = 0; j0 < k; g++, j0 += gs) {
    const j1 = Math.min(k, j0 + gs);
    const s = scaleOf(w, v, r, g);
    if (w.kind === QKIND.affine) {
      const z = zeroOf(w, v, r, g);
      for (let j = j0; j < j1; j++) row[j] = (codes[j] - z) * s;
    } else {
      const t = v.table!;
      const to = w.table!.offset;
      for (let j = j0; j < j1; j++) {
        const q = Math.floor(j / d);
        row[j] = t[to + codes[q] * d + (j - q * d)] * s;
      }
    }
  }
}

function codesPerRow(w: QWeightArgs): number {
  return Math.ceil(w.k / w.vectorDim);
}

/**
 * out[r, :] = row r of W in f32 for r in [r0, r1) (stored column order).
 * @example
 * qdequantF32({ ...weight, out: ref(storage), r0: 0, r1: weight.n });
 */
export function qdequantF32(a: QDequantArgs): void {
  const v = wview(a);
  const out = view(a.out, Float32Array);
  const codes = new Uint8Array(codesPerRow(a));
  const row = new Float32Array(a.k);
  for (let r = a.r0; r < a.r1; r++) {
    decodeRow(a, v, r, codes, row);
    out.set(row, a.out.offset + r * a.k);
  }
}

/**
 * y[i, r] = sum_j W[r, j] x[i, j] (f64 sum, rounded once) for r in [r0, r1), i in [0, m).
 * @example
 * qmatmulF32({ ...weight, m: 1, x, rsx: weight.k, y, rsy: weight.n, r0: 0, r1: weight.n });
 */
export function qmatmulF32(a: QMatmulArgs): void {
  const v = wview(a);
  const X = view(a.x, Float32Array);
  const Y = view(a.y, Float32Array);
  const codes = new Uint8Array(codesPerRow(a));
  const row = new Float32Array(a.k);
  for (let r = a.r0; r < a.r1; r++) {
    decodeRow(a, v, r, codes, row);
    for (let i = 0; i < a.m; i++) {
      const xo = a.x.offset + i * a.rsx;
      let s = 0;
      for (let j = 0; j < a.k; j++) s += row[j] * X[xo + j];
      Y[a.y.offset + i * a.rsy + r] = s;
    }
  }
}

/** Activation blocks of a weight: [start, end) column pairs, in column order, and each block's group. */
export interface ActBlocks {
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly group: Int32Array;
}

/**
 * The int8 activation blocks for k columns in groups of groupSize (see the top of this file).
 * @example
 * actBlocks(300, 128).start; // [0, 128, 256]: groups of 128 are one block each
 * actBlocks(300, 300).start; // [0, 32, ..., 288]: a larger group is cut into blocks of 32
 */
export function actBlocks(k: number, groupSize: number): ActBlocks {
  const s: number[] = [];
  const e: number[] = [];
  const gr: number[] = [];
  for (let g = 0, j0 = 0; j0 < k; g++, j0 += groupSize) {
    const j1 = Math.min(k, j0 + groupSize);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : ACT_BLOCK;
    for (let b = j0; b < j1; b += step) {
      s.push(b);
      e.push(Math.min(j1, b + step));
      gr.push(g);
    }
  }
  return { start: Int32Array.from(s), end: Int32Array.from(e), group: Int32Array.from(gr) };
}

/**
 * Quantizes one token's activations to int8 per block (the rule at the top of this file): fills
 * q (k codes) and xs (one scale per block).
 * @example
 * quantizeActI8(x, 0, k, actBlocks(k, 128), q, xs);
 */
export function quantizeActI8(x: ArrayLike<number>, xo: number, blocks: ActBlocks, q: Int8Array, xs: Float32Array): void {
  const f = Math.fround;
  for (let b = 0; b < blocks.start.length; b++) {
    const j0 = blocks.start[b];
    const j1 = blocks.end[b];
    let amax = 0;
    for (let j = j0; j < j1; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
    if (amax === 0) {
      xs[b] = 0;
      q.fill(0, j0, j1);
      continue;
    }
    xs[b] = f(amax / 127);
    const inv = f(127 / amax);
    for (let j = j0; j < j1; j++) q[j] = Math.max(-127, Math.min(127, roundHalfEven(f(x[xo + j] * inv))));
  }
}

/**
 * The int8-activation product (affine weights only): y[i, r] for r in [r0, r1), bit-exact as defined
 * at the top of this file.
 * @example
 * qmatmulI8({ ...weight, m: 1, x, rsx: weight.k, y, rsy: weight.n, r0: 0, r1: weight.n });
 */
export function qmatmulI8(a: QMatmulArgs): void {
  if (a.kind !== QKIND.affine) throw new Error('qmatmul_i8 serves affine weights only');
  const f = Math.fround;
  const v = wview(a);
  const X = view(a.x, Float32Array);
  const Y = view(a.y, Float32Array);
  const blocks = actBlocks(a.k, a.groupSize);
  const nb = blocks.start.length;
  const q = new Int8Array(a.m * a.k);
  const xs = new Float32Array(a.m * nb);
  const qsum = new Int32Array(a.m * nb);
  for (let i = 0; i < a.m; i++) {
    const qi = q.subarray(i * a.k, (i + 1) * a.k);
    quantizeActI8(X, a.x.offset + i * a.rsx, blocks, qi, xs.subarray(i * nb, (i + 1) * nb));
    for (let b = 0; b < nb; b++) {
      let t = 0;
      for (let j = blocks.start[b]; j < blocks.end[b]; j++) t += qi[j];
      qsum[i * nb + b] = t;
    }
  }
  const codes = new Uint8Array(a.k);
  for (let r = a.r0; r < a.r1; r++) {
    rowCodes(a, v, r, codes);
    for (let i = 0; i < a.m; i++) {
      let y = 0;
      for (let b = 0; b < nb; b++) {
        const g = blocks.group[b];
        let dot = 0;
        for (let j = blocks.start[b]; j < blocks.end[b]; j++) dot += codes[j] * q[i * a.k + j];
        const isum = dot - zeroOf(a, v, r, g) * qsum[i * nb + b];
        y = f(y + f(f(scaleOf(a, v, r, g) * xs[i * nb + b]) * isum));
      }
      Y[a.y.offset + i * a.rsy + r] = y;
    }
  }
}
