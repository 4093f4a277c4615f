/**
 * Reference GPTQ column steps on a scalar grid: the definition of `gptq_affine_f64` and
 * `gptq_table_f64` and their fallback without WebAssembly SIMD. They are the inner loop of GPTQ's
 * error feedback (src/quantizers/gptq/error-feedback.ts) on a block of columns stored transposed:
 *
 *   W: f64 (nb, rows)  working values, block column t at W[t, :]; encoded columns are overwritten by Q
 *   E: f64 (nb, rows)  scaled errors, written for the encoded columns
 *   U: f64 (nb, nb)    the block's part of the upper Cholesky factor of H⁻¹ (row stride nb)
 *   codes: u8 (a1 − a0, rows) the chosen codes, column by column
 *
 * For t = a0 .. a1 − 1 in order, every row r, with x = W[t, r]:
 *
 *   affine (grid f64 (4, rows): scale s, zero point z, lowest code lo, highest code hi per row):
 *     c = clamp(roundHalfEven(x / s) + z, lo, hi)  (a NaN quotient gives code 0);  q = f32((c − z) · s)
 *   table (grid f64 (3, rows): scale s, lowest and highest usable index kLo, kHi per row; table f64
 *   (4, nv): the distinct values ascending, their codes, the nv − 1 midpoints, the tie steps):
 *     k = the number of midpoints below x / s, plus the tie step when x / s is a midpoint, clamped
 *     to [kLo, kHi];  c = code[k];  q = f32(value[k] · s)
 *
 *   e = (x − q) / U[t, t];  E[t, r] = e;  W[t, r] = q;  loss += e²   (rows in order)
 *
 * then every later column k of the sub-block, t < k < kEnd: W[k, r] −= E[t, r] · U[t, k]. q is the
 * value `dequantize` gives code c (src/quantizers/gptq/scalar-grid.ts checks that before offering a
 * grid). The loss is one running f64 sum, rows then columns, passed in and returned. The WASM
 * kernels do the same f64 operations in the same order (roundHalfEven is f64.nearest there), so they
 * agree bit for bit.
 *
 * Not the choice of the grid (scalar-grid.ts) nor the block GEMMs.
 */
import { nearestIndex, roundHalfEven } from '../../dtype/round.js';
import { view, type Ref } from '../ref.js';

/** Arguments of `gptq_affine_f64` (see the file header); `gptq_table_f64` adds its table. */
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
  const P = view(g.grid, Float64Array);
  const po = g.grid.offset;
  const rows = g.rows;
  return columnSteps(
    g,
    (r, x) => {
      const u = roundHalfEven(x / P[po + r]) + P[po + rows + r];
      const lo = P[po + 2 * rows + r];
      const hi = P[po + 3 * rows + r];
      // NaN (a zero scale) fails both tests and truncates to code 0, as the WASM conversion does.
      return u < lo ? lo : u > hi ? hi : u === u ? u : 0;
    },
    (r, c) => Math.fround((c - P[po + rows + r]) * P[po + r]),
    (c) => c,
  );
}

/** Arguments of `gptq_table_f64`: grid is f64 (3, rows); table f64 (4, nv) as in the file header. */
export interface GptqTableArgs extends GptqAffineArgs {
  readonly table: Ref;
  /** Distinct values of the table (2 to 16 for the 4-bit tables). */
  readonly nv: number;
}

/**
 * Encodes columns [a0, a1) of the block on a value table with error feedback (see the file header);
 * returns the loss.
 * @example
 * // values −1, 0, 1 (codes 2, 0, 1), scale 0.5, U = [[2]]: 0.3 / 0.5 = 0.6 > midpoint 0.5 → value 1, q = 0.5
 * gptqTableF64({ rows: 1, nb: 1, a0: 0, a1: 1, kEnd: 1, w: refOf(Float64Array.of(0.3)), e: refOf(new Float64Array(1)),
 *   u: refOf(Float64Array.of(2)), grid: refOf(Float64Array.of(0.5, 0, 2)),
 *   table: refOf(Float64Array.of(-1, 0, 1, 2, 0, 1, -0.5, 0.5, 0, 0, 0, 0)), nv: 3, codes: refOf(new Uint8Array(1)), loss: 0 });
 */
export function gptqTableF64(g: GptqTableArgs): number {
  const P = view(g.grid, Float64Array);
  const T = view(g.table, Float64Array);
  const { rows, nv } = g;
  const po = g.grid.offset;
  const values = g.table.offset;
  const codes = values + nv;
  const mids = T.subarray(values + 2 * nv, values + 3 * nv - 1);
  const ties = T.subarray(values + 3 * nv, values + 4 * nv);
  return columnSteps(
    g,
    (r, x) => {
      const k = nearestIndex(mids, ties, x / P[po + r]);
      const kLo = P[po + rows + r];
      const kHi = P[po + 2 * rows + r];
      return k < kLo ? kLo : k > kHi ? kHi : k;
    },
    (r, k) => Math.fround(T[values + k] * P[po + r]),
    (k) => T[codes + k],
  );
}

/**
 * The loop both kernels share (file header): `pick(r, x)` chooses row r's grid point for x,
 * `value(r, k)` is its dequantized value and `code(k)` its stored code.
 */
function columnSteps(g: GptqAffineArgs, pick: (r: number, x: number) => number, value: (r: number, k: number) => number, code: (k: number) => number): number {
  const W = view(g.w, Float64Array);
  const E = view(g.e, Float64Array);
  const U = view(g.u, Float64Array);
  const C = view(g.codes, Uint8Array);
  const { rows, nb } = g;
  let loss = g.loss;
  for (let t = g.a0; t < g.a1; t++) {
    const wt = g.w.offset + t * rows;
    const et = g.e.offset + t * rows;
    const ct = g.codes.offset + (t - g.a0) * rows;
    const d = U[g.u.offset + t * nb + t];
    for (let r = 0; r < rows; r++) {
      const x = W[wt + r];
      const k = pick(r, x);
      const q = value(r, k);
      const e = (x - q) / d;
      E[et + r] = e;
      W[wt + r] = q;
      loss += e * e;
      C[ct + r] = code(k);
    }
    feedback(g, t, W, E, U);
  }
  return loss;
}

/** W[k, :] −= E[t, :] · U[t, k] for the sub-block's columns t < k < kEnd (multiply, then subtract). */
function feedback(g: GptqAffineArgs, t: number, W: Float64Array, E: Float64Array, U: Float64Array): void {
  const et = g.e.offset + t * g.rows;
  for (let k = t + 1; k < g.kEnd; k++) {
    const uk = U[g.u.offset + t * g.nb + k];
    const wk = g.w.offset + k * g.rows;
    for (let r = 0; r < g.rows; r++) W[wk + r] -= E[et + r] * uk;
  }
}
