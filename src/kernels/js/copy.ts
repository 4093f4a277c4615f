/**
 * Reference 2-D copies with a change of element type: the definition of `copy2d_f32_f64`,
 * `copy2d_f64_f32` and `copy2d_f64_f64` and their fallback without WebAssembly SIMD.
 *
 *   dst[i·rsd + j·csd] = src[i·rss + j·css]   for i < rows, j < cols (element offsets of the refs added)
 *
 * f32 → f64 is exact; f64 → f32 rounds to nearest even (a Float32Array store, as f32.demote_f64
 * in the WASM kernels), so the two agree bit for bit. With one side's strides swapped this is a
 * transposing copy: GPTQ's loop moves its column blocks in and out of the transposed layout this way.
 * Not a general strided iterator (src/ops/strided.ts): two dimensions, non-negative strides.
 */
import { view, type Ref } from '../ref.js';

/** Arguments of the copy2d kernels (strides in elements). */
export interface Copy2dArgs {
  readonly rows: number;
  readonly cols: number;
  readonly src: Ref;
  readonly rss: number;
  readonly css: number;
  readonly dst: Ref;
  readonly rsd: number;
  readonly csd: number;
}

type FloatArray = Float32Array | Float64Array;

function copy2d(g: Copy2dArgs, S: FloatArray, D: FloatArray): void {
  for (let i = 0; i < g.rows; i++) {
    const s = g.src.offset + i * g.rss;
    const d = g.dst.offset + i * g.rsd;
    for (let j = 0; j < g.cols; j++) D[d + j * g.csd] = S[s + j * g.css];
  }
}

/**
 * f32 → f64 2-D copy.
 * @example
 * // a 2x3 f32 matrix transposed into a 3x2 f64 one
 * copy2dF32F64({ rows: 2, cols: 3, src, rss: 3, css: 1, dst, rsd: 1, csd: 2 });
 */
export const copy2dF32F64 = (g: Copy2dArgs): void => copy2d(g, view(g.src, Float32Array), view(g.dst, Float64Array));
/** f64 → f32 2-D copy (round to nearest even). @example copy2dF64F32(args); */
export const copy2dF64F32 = (g: Copy2dArgs): void => copy2d(g, view(g.src, Float64Array), view(g.dst, Float32Array));
/** f64 → f64 2-D copy. @example copy2dF64F64(args); */
export const copy2dF64F64 = (g: Copy2dArgs): void => copy2d(g, view(g.src, Float64Array), view(g.dst, Float64Array));
