/**
 * Reference LUT matmul of a learned-codebook (VQ) weight, the definition of `vq_matmul_f32` and the
 * fallback without WebAssembly SIMD. A `codebook` QTensor (src/qtensor.ts) W [rows, cols] stores one
 * index per `dim` columns, so instead of decoding W the kernel precomputes, per token, the dot product
 * of every codebook entry with every vector position of x, then each output is a sum of gathered
 * table entries (GPTVQ / AQLM style "lookup-table" matmul):
 *
 *   codes    u8  [rows, rowBytes]       little-endian bit stream of `bits`-wide indices, nk = ceil(cols / dim) per row
 *   codebook f32 [2^bits, dim]          entry c at c · dim
 *   scales   f32 [rows or 1, nGroups]   row r at scales + r · scaleStride (0: per tensor); null: all 1
 *   x        f32 [m, cols]              token i at x + i · rsx;   y f32 [m, rows], token i at y + i · rsy
 *
 * Groups hold whole vectors: group g covers vector positions [g · vpg, min(nk, (g + 1) · vpg)),
 * vpg = groupSize / dim (nk when nGroups is 1). The last vector may be partial (dk = cols − kk · dim
 * columns). Exactly, every operation rounded to f32 (no fused multiply-add), in this order:
 *
 *   lut[kk][c] = 0;  for t < dk ascending:  lut[kk][c] = lut[kk][c] + x[kk · dim + t] · codebook[c, t]
 *   y[i, r] = 0;  for each group g:  s = 0;  for kk in g ascending:  s = s + lut[kk][code(r, kk)]
 *                                    y[i, r] = y[i, r] + scale[r, g] · s
 *
 * The WASM kernel (assembly/vq.ts) performs the same operations in the same order per output, so the
 * two agree bit for bit. Against `dequantize` then an f64 product the result differs only by rounding:
 * within (dk + vpg + nGroups + 2) u Σ_j |W[r, j] x[i, j]|, u = 2^-24 (each product is formed once
 * and passes through at most that many f32 additions).
 *
 * Not the generic packed kernels (src/kernels/js/quant.ts, which decode W) and not the op
 * (src/qtensor-codebook.ts checks shapes and routes `linear` here).
 */
import { view, type Ref } from '../ref.js';

/** Arguments of `vq_matmul_f32`: y[i, r] = Σ_j W[r, j] x[i, j] for output rows r in [r0, r1). */
export interface VqMatmulArgs {
  /** Index width, 1..8 (the codebook has 2^bits entries). */
  readonly bits: number;
  /** Rows of W (outputs). */
  readonly rows: number;
  /** Columns of W (inputs). */
  readonly cols: number;
  /** Columns per index (vector dimension, >= 1). */
  readonly dim: number;
  readonly codes: Ref;
  readonly rowBytes: number;
  readonly scales: Ref | null;
  /** Elements between scale rows: nGroups, or 0 when per tensor. */
  readonly scaleStride: number;
  /** Columns per group, a multiple of dim when nGroups > 1. */
  readonly groupSize: number;
  readonly nGroups: number;
  /** f32 [2^bits, dim]. */
  readonly codebook: Ref;
  /** Tokens. */
  readonly m: number;
  readonly x: Ref;
  readonly rsx: number;
  readonly y: Ref;
  readonly rsy: number;
  readonly r0: number;
  readonly r1: number;
}

/** Vector positions per group (see the file header). */
export function vectorsPerGroup(a: Pick<VqMatmulArgs, 'cols' | 'dim' | 'groupSize' | 'nGroups'>): number {
  return a.nGroups > 1 ? a.groupSize / a.dim : Math.ceil(a.cols / a.dim);
}

/**
 * The lookup table of one token: lut[kk · 2^bits + c] = x[kk·dim : kk·dim + dk] · codebook[c, :dk].
 * @example
 * vqLut(xs, 0, 6, 2, book, 4, lut); // 3 vector positions × 4 entries
 */
export function vqLut(x: Float32Array, xo: number, cols: number, dim: number, book: Float32Array, bo: number, entries: number, lut: Float32Array): void {
  const f = Math.fround;
  const nk = Math.ceil(cols / dim);
  for (let kk = 0; kk < nk; kk++) {
    const dk = Math.min(dim, cols - kk * dim);
    const xk = xo + kk * dim;
    for (let c = 0; c < entries; c++) {
      let acc = 0;
      for (let t = 0; t < dk; t++) acc = f(acc + f(x[xk + t] * book[bo + c * dim + t]));
      lut[kk * entries + c] = acc;
    }
  }
}

/**
 * y = x Wᵀ for a VQ codebook weight by table lookups (see the file header).
 * @example
 * // W [1, 2] = one 2-d vector with index 1 of codebook [[0, 0], [1, 2]]: y = x0 + 2 x1 = 11
 * vqMatmulF32({ bits: 1, rows: 1, cols: 2, dim: 2, codes: refOf(Uint8Array.of(1)), rowBytes: 1, scales: null,
 *   scaleStride: 0, groupSize: 2, nGroups: 1, codebook: refOf(Float32Array.of(0, 0, 1, 2)), m: 1,
 *   x: refOf(Float32Array.of(3, 4)), rsx: 2, y: refOf(new Float32Array(1)), rsy: 1, r0: 0, r1: 1 });
 */
export function vqMatmulF32(a: VqMatmulArgs): void {
  const f = Math.fround;
  const { bits, cols, dim, rowBytes } = a;
  const entries = 1 << bits;
  const mask = entries - 1;
  const nk = Math.ceil(cols / dim);
  const vpg = vectorsPerGroup(a);
  const codes = view(a.codes, Uint8Array);
  const sc = a.scales ? view(a.scales, Float32Array) : null;
  const book = view(a.codebook, Float32Array);
  const x = view(a.x, Float32Array);
  const y = view(a.y, Float32Array);
  const lut = new Float32Array(nk * entries);
  const idx = new Uint8Array(nk);
  for (let i = 0; i < a.m; i++) {
    vqLut(x, a.x.offset + i * a.rsx, cols, dim, book, a.codebook.offset, entries, lut);
    for (let r = a.r0; r < a.r1; r++) {
      const base = a.codes.offset + r * rowBytes;
      for (let kk = 0; kk < nk; kk++) {
        const t = kk * bits;
        const p = base + (t >> 3);
        const sh = t & 7;
        idx[kk] = ((codes[p] | (sh + bits > 8 ? codes[p + 1] << 8 : 0)) >> sh) & mask;
      }
      let acc = 0;
      for (let g = 0; g < a.nGroups; g++) {
        const k1 = Math.min(nk, (g + 1) * vpg);
        let s = 0;
        for (let kk = g * vpg; kk < k1; kk++) s = f(s + lut[kk * entries + idx[kk]]);
        acc = f(acc + f((sc ? sc[a.scales!.offset + r * a.scaleStride + g] : 1) * s));
      }
      y[a.y.offset + i * a.rsy + r] = acc;
    }
  }
}
