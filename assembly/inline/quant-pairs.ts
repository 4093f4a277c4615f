/**
 * The int8-activation GEMV of fused 4-bit weights on the relaxed-SIMD build: bytes of codes times
 * bytes of activations with i16x8.relaxed_dot_i8x16_i7x16_s (x86 pmaddubsw: 16 products per
 * instruction, where SIMD128's i32x4.dot_i16x8_s gives 8), summed in i16 within a group.
 *
 * Token layout LAYOUT_PAIRS, per 32-column chunk: 16 int8 of the even columns, then 16 of the odd
 * ones, so that byte b of a chunk of codes gives column 2b (low nibble) and 2b + 1 (high nibble).
 * It is a second copy of the token, made from the LAYOUT_QUAD copy by qprep_i8; every other int8
 * loop keeps reading LAYOUT_QUAD.
 *
 * Exactness: the codes (0..15) are the i7 operand, so every product and pair sum is exact on every
 * engine (|pair| <= 2 * 15 * 127 = 3810, no saturation); one i16 lane adds at most 16 products per
 * group of at most 128 columns (<= 30480 < 2^15). The integer sums, then the float sequence, are
 * those of nibGroups (quant-dot.ts), so the bits equal the SIMD128 build's and the reference's.
 */
import { CONSTS, W_codes, W_k, W_rowBytes } from './quant-core';
import { addGroup, groupTerms, hsum4I, storeRows4 } from './quant-dot';

/** Whether qprep_i8 writes the LAYOUT_PAIRS copy and dotI8x4Quad reads it (relaxed build, 4-bit weights only). */
export const PAIRS_I8: bool = ASC_FEATURE_RELAXED_SIMD;

/**
 * Writes the LAYOUT_PAIRS copy (k bytes at eo) of one token from its LAYOUT_QUAD copy at xq (k a
 * multiple of 32): each pre-scaled i16 shifted back to its int8 value, the four nibble vectors of a
 * chunk narrowed and interleaved to the even and the odd columns.
 */
export function pairsFromQuad(xq: usize, eo: usize, k: i32): void {
  for (let j = 0; j < k; j += 32) {
    const p = xq + (<usize>j << 1);
    // vector t, lane i: column 4i + t, times 2^(8, 4, 0, 8)[t] (quadShift of 4 bits)
    const s0 = i16x8.shr_s(v128.load(p), 8);
    const s1 = i16x8.shr_s(v128.load(p, 16), 4);
    const s2 = v128.load(p, 32);
    const s3 = i16x8.shr_s(v128.load(p, 48), 8);
    // even columns 2b: 4i (b = 2i, nibble 0) and 4i + 2 (b = 2i + 1, nibble 2); odd: nibbles 1, 3
    const e = i8x16.narrow_i16x8_s(s0, s2);
    const o = i8x16.narrow_i16x8_s(s1, s3);
    const q = eo + <usize>j;
    v128.store(q, i8x16.shuffle(e, e, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
    v128.store(q, i8x16.shuffle(o, o, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  }
}

/** i16 lanes of the dot of one 32-code chunk v with the even (xe) and odd (xo) int8 columns. */
// @ts-ignore: decorator
@inline function pairDot(v: v128, xe: v128, xo: v128, lo: v128): v128 {
  const even = v128.and(v, lo);
  const odd = v128.and(i16x8.shr_u(v, 4), lo);
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(xe, even), i16x8.relaxed_dot_i8x16_i7x16_s(xo, odd));
}

/** i16 lanes of one row's group of nc chunks (1, 2 or 4) at p with the activations at q. */
// @ts-ignore: decorator
@inline function rowGroup(nc: i32, p: usize, q: usize, lo: v128): v128 {
  let a = pairDot(v128.load(p), v128.load(q), v128.load(q, 16), lo);
  if (nc >= 2) a = i16x8.add(a, pairDot(v128.load(p, 16), v128.load(q, 32), v128.load(q, 48), lo));
  if (nc >= 4) {
    a = i16x8.add(a, pairDot(v128.load(p, 32), v128.load(q, 64), v128.load(q, 80), lo));
    a = i16x8.add(a, pairDot(v128.load(p, 48), v128.load(q, 96), v128.load(q, 112), lo));
  }
  return a;
}

/**
 * quadGroups (quant-dot.ts) on LAYOUT_PAIRS activations at eo: rows r..r+3, every group one block
 * of `nc` whole chunks (nc = 1, 2 or 4). Writes the four outputs at out, out + ostride, ...
 * Not inlined, and nc not a literal: with the group's chunks unrolled, V8 hoists all the loads of
 * the four rows above the arithmetic and spills (0.32 ms against 0.65 ms per 1x4096x4096 call).
 */
export function pairGroups(nc: i32, r: i32, eo: usize, xs: usize, qsum: usize, out: usize, ostride: usize, tmp: usize): void {
  const rb = <usize>W_rowBytes;
  const nGroups = W_k / (nc << 5);
  groupTerms(r, nGroups, xs, qsum, tmp);
  let p = W_codes + <usize>r * rb;
  const lo = v128.load(CONSTS);
  let q = eo;
  let t = tmp;
  let y = f32x4.splat(0);
  for (let g = 0; g < nGroups; g++) {
    const a0 = rowGroup(nc, p, q, lo);
    const a1 = rowGroup(nc, p + rb, q, lo);
    const a2 = rowGroup(nc, p + 2 * rb, q, lo);
    const a3 = rowGroup(nc, p + 3 * rb, q, lo);
    const s = hsum4I(
      i32x4.extadd_pairwise_i16x8_s(a0), i32x4.extadd_pairwise_i16x8_s(a1),
      i32x4.extadd_pairwise_i16x8_s(a2), i32x4.extadd_pairwise_i16x8_s(a3),
    );
    y = addGroup(y, s, t);
    p += <usize>(nc << 4);
    q += <usize>(nc << 5);
    t += 32;
  }
  storeRows4(out, ostride, y);
}
