/**
 * Reference fast Walsh–Hadamard transform: the definition of `fwht_f32` and the fallback without
 * WebAssembly SIMD. For each of `rows` rows of length n (a power of two) at x + r * rsx:
 *
 *   x[r, :] ← signsOut ⊙ (scale · H_n (signsIn ⊙ x[r, :]))
 *
 * with H_n the Sylvester–Hadamard matrix, H_n[i][j] = (−1)^popcount(i & j) (unnormalised: H_n H_n =
 * n I; pass scale = 1/√n for the orthonormal transform). Absent signs are all ones.
 *
 * Arithmetic is f32 step by step in a fixed order: the sign multiply, then log2(n) radix-2 butterfly
 * stages (h = 1, 2, 4, ...; (a, b) → (a + b, a − b) on elements j and j + h of each block of 2h),
 * then the scale multiply, then the output sign multiply, every result rounded to f32 (storing into
 * a Float32Array rounds a sum or product of two f32 values exactly as one f32 operation). The WASM
 * kernel does the same operations, so the two agree bit for bit.
 *
 * Not the randomized Hadamard rotation (src/ops/hadamard.ts builds it on this kernel).
 */
import { view, type Ref } from '../ref.js';

/** Arguments of `fwht_f32` (x is transformed in place). */
export interface FwhtArgs {
  readonly rows: number;
  /** Row length: a power of two (1 is the identity up to scale). */
  readonly n: number;
  /** f32 rows, row r at element offset r * rsx. */
  readonly x: Ref;
  readonly rsx: number;
  /** f32 [n] multiplied in before the transform (typically ±1), or none. */
  readonly signsIn?: Ref;
  /** f32 [n] multiplied in after the transform and the scale, or none. */
  readonly signsOut?: Ref;
  readonly scale: number;
}

/**
 * In-place FWHT of every row (see the file header for the exact operation order).
 * @example
 * const x = refOf(Float32Array.of(1, 0, 0, 0));
 * fwhtF32({ rows: 1, n: 4, x, rsx: 4, scale: 0.5 }); // x = [0.5, 0.5, 0.5, 0.5]
 */
export function fwhtF32(g: FwhtArgs): void {
  const x = view(g.x, Float32Array);
  const si = g.signsIn ? view(g.signsIn, Float32Array) : null;
  const so = g.signsOut ? view(g.signsOut, Float32Array) : null;
  const sio = g.signsIn?.offset ?? 0;
  const soo = g.signsOut?.offset ?? 0;
  const n = g.n;
  for (let r = 0; r < g.rows; r++) {
    const b = g.x.offset + r * g.rsx;
    if (si) for (let j = 0; j < n; j++) x[b + j] = x[b + j] * si[sio + j];
    for (let h = 1; h < n; h <<= 1) {
      for (let i = 0; i < n; i += h << 1) {
        for (let j = b + i; j < b + i + h; j++) {
          const u = x[j];
          const v = x[j + h];
          x[j] = u + v;
          x[j + h] = u - v;
        }
      }
    }
    for (let j = 0; j < n; j++) x[b + j] = x[b + j] * g.scale;
    if (so) for (let j = 0; j < n; j++) x[b + j] = x[b + j] * so[soo + j];
  }
}
