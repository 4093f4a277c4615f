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
 * Bits [pos, pos + n) (n <= 64) of a row's bit stream at p whose row holds `rowBytes` bytes: one
 * unaligned u64 load (plus a byte when the field straddles it) when 9 bytes from pos's byte stay in
 * the row, else the byte loop (`readBits`), so nothing past the row is ever read.
 */
// @ts-ignore: decorator
@inline export function readField(p: usize, rowBytes: usize, pos: usize, n: i32): u64 {
  const byte = pos >> 3;
  if (byte + 9 > rowBytes) return readBits(p, <u64>pos, n);
  const sh = <u64>(pos & 7);
  let v = load<u64>(p + byte) >> sh;
  if (<u64>n + sh > 64) v |= <u64>load<u8>(p + byte, 8) << (64 - sh);
  return n < 64 ? v & ((<u64>1 << <u64>n) - 1) : v;
}

/**
 * The enumeration walk of one group. With `fused` (a constant at every call site, so the unused
 * branch folds away after inlining) it returns Σ f32(y_i · x[i]) over the non-zero coordinates in
 * increasing i (the reference's order); otherwise it writes the non-zero coordinates to
 * nzPos/nzVal and returns their count (as f32). Σy² goes to the global `lastYY`.
 *
 * Per coordinate i (m = dim - i - 1 coordinates after it, k pulses left): the first V(m, k) indices
 * have y_i = 0; then, for a = 1, 2, ..., a block of 2 V(m, k - a): +a first, then -a. One compare
 * per magnitude step (r < 2c; 2c cannot overflow: it is at most V(dim, pulses) < 2^64), and the
 * step count is capped at k so a corrupt index never walks outside the table.
 *
 * Branchy on purpose: a branch-free count over precomputed block starts and a walk of four groups
 * interleaved were both measured no faster on the bench machine (the walk is bound by instruction
 * count, and this form executes the fewest); numbers in docs/quantizers.md (PVQ, speed).
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
    let c = load<u64>(row + (<usize>(k - 1) << 3));
    while (a < k && r >= c << 1) {
      r -= c << 1;
      a++;
      c = load<u64>(row + (<usize>(k - a) << 3));
    }
    const neg = r >= c;
    if (neg) r -= c;
    const v = neg ? -a : a;
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
