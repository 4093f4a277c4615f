/**
 * Fast Walsh–Hadamard transform export (the reference is src/kernels/js/fwht.ts):
 *
 *   x: f32 (rows, n) at x, row r at x + r * rsx elements, transformed in place; n a power of two
 *   signsIn, signsOut: f32 (n) or 0 (none); scale: f32 applied after the butterflies
 *
 * Each row: x ← signsOut ⊙ (scale · H_n (signsIn ⊙ x)), f32 arithmetic in the reference's order.
 * Not the randomized rotation's sign generation (src/quantizers/hadamard.ts).
 */
import { fwhtRow } from './inline/fwht-core';

/** In-place FWHT of `rows` rows of length n (power of two); see the file header. */
export function fwht_f32(rows: i32, n: i32, x: usize, rsx: i32, signsIn: usize, signsOut: usize, scale: f32): void {
  for (let r = 0; r < rows; r++) fwhtRow(x + ((<usize>r * <usize>rsx) << 2), n, signsIn, signsOut, scale);
}
