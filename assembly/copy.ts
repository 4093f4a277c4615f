/**
 * 2-D copy with a change of element type (the reference is src/kernels/js/copy.ts):
 *
 *   dst[i·rsd + j·csd] = src[i·rss + j·css]   for i < rows, j < cols, converted from S to D
 *
 * f32 → f64 is exact; f64 → f32 rounds to nearest even (f32.demote_f64, as a Float32Array store
 * does). The loops run over 16 x 16 tiles so that a transposing copy (one side strided) keeps both
 * tiles in L1. Not a general strided iterator: two dimensions, non-negative element strides.
 */
import { ld, st } from './inline/simd';

const TILE = 16;

// @ts-ignore: decorator
@inline function copy2d<S, D>(rows: i32, cols: i32, src: usize, rss: usize, css: usize, dst: usize, rsd: usize, csd: usize): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = min(cols, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const s = <usize>i * rss;
        const d = <usize>i * rsd;
        for (let j = j0; j < j1; j++) st<D>(dst, d + <usize>j * csd, <D>ld<S>(src, s + <usize>j * css));
      }
    }
  }
}

/** f32 (rows, cols) strided → f64 strided. */
export function copy2d_f32_f64(rows: i32, cols: i32, src: usize, rss: i32, css: i32, dst: usize, rsd: i32, csd: i32): void {
  copy2d<f32, f64>(rows, cols, src, rss, css, dst, rsd, csd);
}

/** f64 (rows, cols) strided → f32 strided (round to nearest even). */
export function copy2d_f64_f32(rows: i32, cols: i32, src: usize, rss: i32, css: i32, dst: usize, rsd: i32, csd: i32): void {
  copy2d<f64, f32>(rows, cols, src, rss, css, dst, rsd, csd);
}

/** f64 (rows, cols) strided → f64 strided. */
export function copy2d_f64_f64(rows: i32, cols: i32, src: usize, rss: i32, css: i32, dst: usize, rsd: i32, csd: i32): void {
  copy2d<f64, f64>(rows, cols, src, rss, css, dst, rsd, csd);
}
