/**
 * Reference GPTQ column steps on an affine grid: the definition of `gptq_affine_f64` and the fallback
 * without WebAssembly SIMD. It is the inner loop of GPTQ's error feedback (src/quantizers/gptq/
 * error-feedback.ts) for scalar affine dtypes, on a block of columns stored transposed:
 *
 *   W: f64 (nb, rows)  working values, block column t at W[t, :]; quantized columns are overwritten by Q
 *   E: f64 (nb, rows)  scaled errors, written for the encoded columns
 *   U: f64 (nb, nb)    the block's part of the upper Cholesky factor of H⁻¹ (row stride nb)
 *   grid: f64 (4, rows) per row: scale s, zero point z, lowest code lo, highest code hi
 *   codes: u8 (a1 − a0, rows) the chosen codes, column by column
 *
 * For t = a0 .. a1 − 1 in order, every row r:
 *
 *   c = clamp(roundHalfEven(W[t, r] / s) + z, lo, hi)      (a NaN quotient gives code 0)
 *   q = f32((c − z) · s)                                   (the dequantized value, as `dequantize` gives it)
 *   e = (W[t, r] − q) / U[t, t];  E[t, r] = e;  W[t, r] = q;  loss += e²   (rows in order)
 *
 * then every later column k of the sub-block, t < k < kEnd: W[k, r] −= E[t, r] · U[t, k]. The loss is
 * one running f64 sum, rows then columns, passed in and returned. The WASM kernel does the same f64
 * operations in the same order (roundHalfEven is f64.nearest there), so the two agree bit for bit.
 *
 * Not the choice of the grid (src/quantizers/gptq/scalar-grid.ts) nor the block GEMMs.
 */
import { roundHalfEven } from '../../dtype/round.js';
import { view, type Ref } from '../ref.js';

/** Arguments of `gptq_affine_f64` (see the file header). */
export interface GptqAffineArgs {
  readonly rows: number;
  /** Block width: the row stride of U and the number of columns W and E hold. */
  readonly nb: number;
  /** Block-local columns [a0, a1) are encoded, in order. */
  readonly a0: number;
  readonly a1: number;
  /** Columns (t, kEnd) receive each encoded column t's feedback (a1 <= kEnd <= nb). */
  readonly kEnd: number;
  readonly w: Ref;
  readonly e: Ref;
  readonly u: Ref;
  readonly grid: Ref;
  readonly codes: Ref;
  /** The running loss before these columns. */
  readonly loss: number;
}

/**
 * Encodes columns [a0, a1) of the block with error feedback (see the file header); returns the loss.
 * @example
 * // one row, one column, scale 0.5, zero 8, codes 0..15, U = [[2]]: 1.3 → code 11, q = 1.5, e = −0.1
 * gptqAffineF64({ rows: 1, nb: 1, a0: 0, a1: 1, kEnd: 1, w: refOf(Float64Array.of(1.3)), e: refOf(new Float64Array(1)),
 *   u: refOf(Float64Array.of(2)), grid: refOf(Float64Array.of(0.5, 8, 0, 15)), codes: refOf(new Uint8Array(1)), loss: 0 });
 */
export function gptqAffineF64(g: GptqAffineArgs): number {
  const W = view(g.w, Float64Array);
  const E = view(g.e, Float64Array);
  const U = view(g.u, Float64Array);
  const P = view(g.grid, Float64Array);
  const C = view(g.codes, Uint8Array);
  const { rows, nb } = g;
  const [wo, eo, uo, po, co] = [g.w.offset, g.e.offset, g.u.offset, g.grid.offset, g.codes.offset];
  let loss = g.loss;
  for (let t = g.a0; t < g.a1; t++) {
    const wt = wo + t * rows;
    const et = eo + t * rows;
    const ct = co + (t - g.a0) * rows;
    const d = U[uo + t * nb + t];
    for (let r = 0; r < rows; r++) {
      const s = P[po + r];
      const z = P[po + rows + r];
      const lo = P[po + 2 * rows + r];
      const hi = P[po + 3 * rows + r];
      const x = W[wt + r];
      const u = roundHalfEven(x / s) + z;
      // NaN (a zero scale) fails both tests and truncates to code 0, as the WASM conversion does.
      const c = u < lo ? lo : u > hi ? hi : u === u ? u : 0;
      const q = Math.fround((c - z) * s);
      const e = (x - q) / d;
      E[et + r] = e;
      W[wt + r] = q;
      loss += e * e;
      C[ct + r] = c;
    }
    for (let k = t + 1; k < g.kEnd; k++) {
      const uk = U[uo + t * nb + k];
      const wk = wo + k * rows;
      for (let r = 0; r < rows; r++) W[wk + r] -= E[et + r] * uk;
    }
  }
  return loss;
}
