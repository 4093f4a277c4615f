/**
 * PVQ decode-on-the-fly kernels (the reference is src/kernels/js/pvq.ts; layouts there):
 *
 *   codes: u8 (rows, rowBytes), group records of ampBits + indexBits bits (indexBits <= 64)
 *   scales: f32 (rows); levels: f32 (2^ampBits); table: u64 (dim + 1, pulses + 1) counts V(d, k)
 *   x: f32 (m, cols); out: f32 (m, rows) for pvq_matmul_f32, f32 (rows, cols) for pvq_dequant_f32
 *   scratch: 8 * dim + 16 * ceil(dim / 4) + 8 * (pulses² + 1) bytes: one group's non-zero positions
 *            and values, the group as dense f32, the √n table
 *   accumulator: f32, the reference's order (per group: four lane sums combined pairwise, `laneDot`;
 *                groups ascending)
 *
 * Enumeration decoding is serial per group (O(dim + pulses) table steps, scalar); the decoded group
 * is then a dense f32 vector whose dot with each token's activations is v128.
 */
import { decodeDense, decodeGroup, laneDot, lastYY, readField } from './inline/pvq-core';

/**
 * √n for n = 0 .. pulses² (every Σy² a codeword can have) as f64 at `roots`: the per-group square
 * root becomes a load. f64.sqrt is correctly rounded, so the values are the reference's Math.sqrt.
 */
function fillRoots(roots: usize, pulses: i32): void {
  const n = pulses * pulses;
  for (let i = 0; i <= n; i++) store<f64>(roots + (<usize>i << 3), Math.sqrt(<f64>i));
}

/** f32(ρ_r · levels[a] / √Σy²) exactly as the reference: f64 product and quotient, one rounding. */
// @ts-ignore: decorator
@inline function gainOf(rho: f64, levels: usize, roots: usize, a: u64): f32 {
  const lev = <f64>load<f32>(levels + (<usize>a << 2));
  return <f32>((rho * lev) / load<f64>(roots + (<usize>lastYY << 3)));
}

/** out[t, r] = Σ_groups gain · Σ_nz y_i x[t, ·] for rows [0, rows) of a PVQ weight. */
export function pvq_matmul_f32(
  rows: i32, cols: i32, dim: i32, pulses: i32, ampBits: i32, indexBits: i32,
  codes: usize, rowBytes: i32, scales: usize, levels: usize, table: usize,
  m: i32, x: usize, out: usize, outStride: i32, scratch: usize,
): void {
  const groups = cols / dim;
  const rec = <usize>(ampBits + indexBits);
  const rb = <usize>rowBytes;
  const yv = scratch + (<usize>dim << 3);
  const roots = yv + (<usize>((dim + 3) >> 2) << 4);
  fillRoots(roots, pulses);
  if (m == 1) {
    // GEMV: the row's sum stays in a register; ρ·level/‖y‖ multiplies each group's dot once.
    for (let r = 0; r < rows; r++) {
      const row = codes + <usize>r * rb;
      const rho = <f64>load<f32>(scales + (<usize>r << 2));
      let acc: f32 = 0;
      let pos: usize = 0;
      let xg = x;
      for (let j = 0; j < groups; j++) {
        const a = readField(row, rb, pos, ampBits);
        decodeDense(readField(row, rb, pos + <usize>ampBits, indexBits), dim, pulses, table, yv);
        acc += gainOf(rho, levels, roots, a) * laneDot(yv, xg, dim);
        pos += rec;
        xg += <usize>dim << 2;
      }
      store<f32>(out + (<usize>r << 2), acc);
    }
    return;
  }
  for (let t = 0; t < m; t++) {
    for (let r = 0; r < rows; r++) store<f32>(out + ((<usize>t * <usize>outStride + <usize>r) << 2), 0);
  }
  // Each group decoded once for all m tokens.
  for (let r = 0; r < rows; r++) {
    const row = codes + <usize>r * rb;
    const rho = <f64>load<f32>(scales + (<usize>r << 2));
    for (let j = 0; j < groups; j++) {
      const pos = <usize>j * rec;
      const a = readField(row, rb, pos, ampBits);
      decodeDense(readField(row, rb, pos + <usize>ampBits, indexBits), dim, pulses, table, yv);
      const gain = gainOf(rho, levels, roots, a);
      const c0 = <usize>j * <usize>dim;
      for (let t = 0; t < m; t++) {
        const dot = laneDot(yv, x + ((<usize>t * <usize>cols + c0) << 2), dim);
        const o = out + ((<usize>t * <usize>outStride + <usize>r) << 2);
        store<f32>(o, load<f32>(o) + gain * dot);
      }
    }
  }
}

/** out[r, j·dim + i] = y_i · gain for rows [0, rows) of a PVQ weight (zeros included). */
export function pvq_dequant_f32(
  rows: i32, cols: i32, dim: i32, pulses: i32, ampBits: i32, indexBits: i32,
  codes: usize, rowBytes: i32, scales: usize, levels: usize, table: usize,
  out: usize, scratch: usize,
): void {
  const groups = cols / dim;
  const rec = <usize>(ampBits + indexBits);
  const rb = <usize>rowBytes;
  const nzPos = scratch;
  const nzVal = scratch + (<usize>dim << 2);
  const roots = scratch + (<usize>dim << 3) + (<usize>((dim + 3) >> 2) << 4);
  fillRoots(roots, pulses);
  for (let r = 0; r < rows; r++) {
    const row = codes + <usize>r * rb;
    const rho = <f64>load<f32>(scales + (<usize>r << 2));
    const ob = out + ((<usize>r * <usize>cols) << 2);
    for (let c = 0; c < cols; c++) store<f32>(ob + (<usize>c << 2), 0);
    for (let j = 0; j < groups; j++) {
      const pos = <usize>j * rec;
      const a = readField(row, rb, pos, ampBits);
      const index = readField(row, rb, pos + <usize>ampBits, indexBits);
      const nnz = decodeGroup(index, dim, pulses, table, nzPos, nzVal);
      const gain = gainOf(rho, levels, roots, a);
      const gb = ob + ((<usize>j * <usize>dim) << 2);
      for (let q = 0; q < nnz; q++) {
        const i = <usize>load<i32>(nzPos + (<usize>q << 2));
        store<f32>(gb + (i << 2), load<f32>(nzVal + (<usize>q << 2)) * gain);
      }
    }
  }
}
