/**
 * PVQ group decoding for assembly/pvq.ts: read a record (amplitude code, codeword index) from a
 * row's bit stream and walk the enumeration of P(dim, pulses) (src/quantizers/pvq/index-code.ts
 * order) with a u64 count table, producing the non-zero coordinates only.
 *
 *   table: u64 (dim + 1, pulses + 1), table[d][k] = V(d, k) (every entry < 2^64)
 *   nzPos: i32 (dim), nzVal: f32 (dim): scratch receiving the non-zero coordinates, in order
 */

/** Bits [pos, pos + n) of the little-endian bit stream at p (n <= 64), reading only bytes that hold them. */
// @ts-ignore: decorator
@inline export function readBits(p: usize, pos: u64, n: i32): u64 {
  if (n == 0) return 0;
  let byte = p + <usize>(pos >> 3);
  const shift = <i32>(pos & 7);
  let v: u64 = <u64>(load<u8>(byte) >> <u8>shift);
  let got = 8 - shift;
  byte++;
  while (got < n) {
    v |= <u64>load<u8>(byte) << <u64>got;
    got += 8;
    byte++;
  }
  return n < 64 ? v & ((<u64>1 << <u64>n) - 1) : v;
}

/**
 * The enumeration walk of one group. With `fused` (a constant at every call site, so the unused
 * branch folds away after inlining) it returns Σ f32(y_i · x[i]) over the non-zero coordinates in
 * increasing i (the reference's order); otherwise it writes the non-zero coordinates to
 * nzPos/nzVal and returns their count (as f32). Σy² goes to the global `lastYY`.
 */
// @ts-ignore: decorator
@inline function walk(index: u64, dim: i32, pulses: i32, table: usize, nzPos: usize, nzVal: usize, x: usize, fused: bool): f32 {
  let r = index;
  let k = pulses;
  let nnz = 0;
  let yy = 0;
  let dot: f32 = 0;
  const stride = <usize>(pulses + 1) << 3;
  for (let i = 0; i < dim && k > 0; i++) {
    const row = table + <usize>(dim - i - 1) * stride;
    const t = load<u64>(row + (<usize>k << 3));
    if (r < t) continue;
    r -= t;
    let a = 1;
    let v = 0;
    // Cells of |y_i| = a: V(m, k - a) codewords with +a, then as many with -a (no 2c overflow).
    for (;;) {
      const c = load<u64>(row + (<usize>(k - a) << 3));
      if (r < c) {
        v = a;
        break;
      }
      r -= c;
      if (r < c || a >= k) {
        v = -a;
        break;
      }
      r -= c;
      a++;
    }
    if (fused) {
      dot += <f32>v * load<f32>(x + (<usize>i << 2));
    } else {
      store<i32>(nzPos + (<usize>nnz << 2), i);
      store<f32>(nzVal + (<usize>nnz << 2), <f32>v);
      nnz++;
    }
    yy += a * a;
    k -= a;
  }
  lastYY = yy;
  return fused ? dot : <f32>nnz;
}

/** Decodes `index` into its non-zero coordinates (nzPos, nzVal) and returns their count; Σy² to `lastYY`. */
// @ts-ignore: decorator
@inline export function decodeGroup(index: u64, dim: i32, pulses: i32, table: usize, nzPos: usize, nzVal: usize): i32 {
  return <i32>walk(index, dim, pulses, table, nzPos, nzVal, 0, false);
}

/** The walk fused with one dot product against x (f32, dim values): saves the scratch round trip for m = 1. */
// @ts-ignore: decorator
@inline export function decodeDot(index: u64, dim: i32, pulses: i32, table: usize, x: usize): f32 {
  return walk(index, dim, pulses, table, 0, 0, x, true);
}

/** Σy² of the last decoded group. */
export let lastYY: i32 = 0;
