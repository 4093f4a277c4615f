/**
 * Reference PVQ kernels: the definition of `pvq_dequant_f32` and `pvq_matmul_f32` and the fallback
 * without WebAssembly SIMD. A PVQ weight [rows, cols] is stored as
 *
 * ```
 * codes   u8  [rows, rowBytes]   row r: cols/dim group records, record j at stream bits
 *                                [j·R, (j+1)·R), R = ampBits + indexBits, LSB first (src/dtype/pack.ts
 *                                convention); a record = amplitude code (low ampBits bits), then the
 *                                codeword index in P(dim, pulses) (indexBits = ceil(log2 V(dim, pulses)))
 * scales  f32 [rows]             ρ_r, the row scale
 * levels  f32 [2^ampBits]        relative amplitude levels
 * ```
 *
 * Group j of row r decodes to the codeword y (src/dtype/pvq/index-code.ts order) and the gain
 *   gain = f32(ρ_r · levels[a] / √Σy²)   (f64 product and quotient, one rounding to f32)
 * - dequant: out[r, j·dim + i] = f32(y_i · gain)
 * - matmul, for each of m activation rows x_t (f32 [cols], row stride cols):
 *   out[t, r] = Σ_j f32(gain · dot_j) (f32 additions, j increasing), dot_j = `laneDot`: four lane
 *   sums s_l = Σ_{i ≡ l mod 4} f32(y_i · x_t[j·dim + i]) (f32 additions, i increasing, zeros
 *   included), then dot_j = f32(f32(s_0 + s_1) + f32(s_2 + s_3)). That is the order of a v128 dot
 *   of the decoded group; the WASM kernel performs the same f32 operations (no FMA), so the two agree
 *   bit for bit, and a token's result does not depend on m. (An infinite activation meeting y_i = 0
 *   gives NaN, as 0 · ∞ does.)
 *
 * Indices wider than 53 bits are read and decoded with BigInt. Not the encoder (src/quantizers/pvq).
 * The enumeration comes from src/quantizers/pvq (pure arithmetic, no dependency on anything above
 * src/errors.ts).
 */
import { view, type Ref } from '../ref.js';
import { pvqCountTable } from '../../dtype/pvq/count.js';
import { pvqDecodeIndex, readIndexBits, readIndexBitsNumber } from '../../dtype/pvq/index-code.js';

/** The PVQ weight operands shared by both kernels. */
export interface PvqWeightArgs {
  readonly rows: number;
  /** A multiple of dim. */
  readonly cols: number;
  readonly dim: number;
  readonly pulses: number;
  readonly ampBits: number;
  readonly indexBits: number;
  /** u8 [rows, rowBytes]. */
  readonly codes: Ref;
  readonly rowBytes: number;
  /** f32 [rows]. */
  readonly scales: Ref;
  /** f32 [2^ampBits]. */
  readonly levels: Ref;
}

/** Arguments of `pvq_dequant_f32`: out f32 [rows, cols] (row stride cols). */
export interface PvqDequantArgs extends PvqWeightArgs {
  readonly out: Ref;
}

/** Arguments of `pvq_matmul_f32`: x f32 [m, cols], out f32 [m, rows] (both contiguous rows). */
export interface PvqMatmulArgs extends PvqWeightArgs {
  readonly m: number;
  readonly x: Ref;
  readonly out: Ref;
}

/** Calls fn(r, j, y, gain) for every group, in row-major order. */
function forEachGroup(g: PvqWeightArgs, fn: (r: number, j: number, y: Int32Array, gain: number) => void): void {
  const codes = view(g.codes, Uint8Array);
  const scales = view(g.scales, Float32Array);
  const levels = view(g.levels, Float32Array);
  const table = pvqCountTable(g.dim, g.pulses);
  const groups = g.cols / g.dim;
  const rec = g.ampBits + g.indexBits;
  const y = new Int32Array(g.dim);
  // A view of one row's bytes: the bit readers index from 0 and check bounds against its length.
  for (let r = 0; r < g.rows; r++) {
    const row = codes.subarray(g.codes.offset + r * g.rowBytes, g.codes.offset + (r + 1) * g.rowBytes);
    const rho = scales[g.scales.offset + r];
    for (let j = 0; j < groups; j++) {
      const pos = j * rec;
      const a = g.ampBits ? readIndexBitsNumber(row, pos, g.ampBits) : 0;
      const index = g.indexBits <= 53 ? readIndexBitsNumber(row, pos + g.ampBits, g.indexBits) : readIndexBits(row, pos + g.ampBits, g.indexBits);
      pvqDecodeIndex(index, g.dim, g.pulses, y, table);
      let yy = 0;
      for (let i = 0; i < g.dim; i++) yy += y[i] * y[i];
      fn(r, j, y, Math.fround((rho * levels[g.levels.offset + a]) / Math.sqrt(yy)));
    }
  }
}

/**
 * Decodes a PVQ weight to f32 (see the file header).
 * @example
 * pvqDequantF32({ rows, cols, dim: 16, pulses: 12, ampBits: 4, indexBits: 32, codes, rowBytes, scales, levels, out });
 */
export function pvqDequantF32(g: PvqDequantArgs): void {
  forEachGroup(g, (r, j, y, gain) => {
    const out = view(g.out, Float32Array);
    const base = g.out.offset + r * g.cols + j * g.dim;
    for (let i = 0; i < g.dim; i++) out[base + i] = y[i] * gain;
  });
}

/**
 * out[t, r] = Σ_j gain_j · (y_j · x_t[group j]) for a PVQ weight, decoding each group once for all m
 * activation rows (see the file header for the exact f32 order).
 * @example
 * pvqMatmulF32({ ...weight, m: 1, x, out });
 */
export function pvqMatmulF32(g: PvqMatmulArgs): void {
  const x = view(g.x, Float32Array);
  const out = view(g.out, Float32Array);
  for (let t = 0; t < g.m; t++) for (let r = 0; r < g.rows; r++) out[g.out.offset + t * g.rows + r] = 0;
  const f = Math.fround;
  forEachGroup(g, (r, j, y, gain) => {
    const c0 = j * g.dim;
    for (let t = 0; t < g.m; t++) {
      const dot = laneDot(y, x, g.x.offset + t * g.cols + c0);
      const o = g.out.offset + t * g.rows + r;
      out[o] = f(out[o] + f(gain * dot));
    }
  });
}

const lanes = new Float64Array(4);

/**
 * The dot of a decoded group y with x[xb .. xb + y.length) in the order of a 4-lane SIMD dot: lane
 * sums over i ≡ l (mod 4), i increasing, then f32((s0 + s1) + (s2 + s3)); every step rounded to f32.
 * @example
 * laneDot(Int32Array.of(1, 0, -2), Float32Array.of(0.5, 3, 1), 0); // 0.5 + (0 + -2) -> -1.5
 */
export function laneDot(y: Int32Array, x: Float32Array, xb: number): number {
  const f = Math.fround;
  lanes.fill(0);
  for (let i = 0; i < y.length; i++) lanes[i & 3] = f(lanes[i & 3] + f(y[i] * x[xb + i]));
  return f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
}
