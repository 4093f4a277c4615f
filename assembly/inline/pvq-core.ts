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
 * The enumeration walk of one group. With `dense` (a constant at every call site, so the unused
 * branch folds away after inlining) it writes y_i as f32 at yv[i] for the non-zero coordinates (the
 * caller zeroed yv); otherwise it writes the non-zero coordinates to nzPos/nzVal. Returns their
 * count; Σy² goes to the global `lastYY`.
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
@inline function walk(index: u64, dim: i32, pulses: i32, table: usize, nzPos: usize, nzVal: usize, yv: usize, dense: bool): i32 {
  let r = index;
  let k = pulses;
  let nnz = 0;
  let yy = 0;
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
    if (dense) {
      store<f32>(yv + (<usize>i << 2), <f32>v);
    } else {
      store<i32>(nzPos + (<usize>nnz << 2), i);
      store<f32>(nzVal + (<usize>nnz << 2), <f32>v);
    }
    nnz++;
    yy += a * a;
    k -= a;
  }
  lastYY = yy;
  return nnz;
}

/** Decodes `index` into its non-zero coordinates (nzPos, nzVal) and returns their count; Σy² to `lastYY`. */
// @ts-ignore: decorator
@inline export function decodeGroup(index: u64, dim: i32, pulses: i32, table: usize, nzPos: usize, nzVal: usize): i32 {
  return walk(index, dim, pulses, table, nzPos, nzVal, 0, false);
}

/**
 * Decodes `index` into y as f32 at yv (dim values, zeros included; yv holds ceil(dim / 4) · 4 floats,
 * the padding stays 0); Σy² to `lastYY`.
 */
// @ts-ignore: decorator
@inline export function decodeDense(index: u64, dim: i32, pulses: i32, table: usize, yv: usize): void {
  for (let i = 0; i < dim; i += 4) v128.store(yv + (<usize>i << 2), f32x4.splat(0));
  walk(index, dim, pulses, table, 0, 0, yv, true);
}

/**
 * The dot of a decoded group y (yv) with x (dim f32), in the reference's order
 * (src/kernels/js/pvq.ts `laneDot`): four lane sums s_l = Σ f32(y_i · x_i) over i ≡ l (mod 4),
 * i ascending (v128 over whole quads, then the tail into its lanes), then f32((s0 + s1) + (s2 + s3)).
 */
// @ts-ignore: decorator
@inline export function laneDot(yv: usize, x: usize, dim: i32): f32 {
  let acc = f32x4.splat(0);
  const d4 = dim & ~3;
  for (let i = 0; i < d4; i += 4) {
    acc = f32x4.add(acc, f32x4.mul(v128.load(yv + (<usize>i << 2)), v128.load(x + (<usize>i << 2))));
  }
  let s0 = f32x4.extract_lane(acc, 0);
  let s1 = f32x4.extract_lane(acc, 1);
  let s2 = f32x4.extract_lane(acc, 2);
  const s3 = f32x4.extract_lane(acc, 3);
  // Tail of 0..3 coordinates: lanes 0, 1, 2 in order.
  if (d4 < dim) s0 += load<f32>(yv + (<usize>d4 << 2)) * load<f32>(x + (<usize>d4 << 2));
  if (d4 + 1 < dim) s1 += load<f32>(yv + (<usize>(d4 + 1) << 2)) * load<f32>(x + (<usize>(d4 + 1) << 2));
  if (d4 + 2 < dim) s2 += load<f32>(yv + (<usize>(d4 + 2) << 2)) * load<f32>(x + (<usize>(d4 + 2) << 2));
  return (s0 + s1) + (s2 + s3);
}

/** Σy² of the last decoded group. */
export let lastYY: i32 = 0;
