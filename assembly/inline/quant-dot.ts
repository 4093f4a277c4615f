/**
 * Row dot products of the packed GEMV kernels, on the weight set by `setWeight` (quant-core.ts).
 *
 * f32 activations (fused rows): per group g, acc = sum_j c_j x_j over full 32-column chunks in f32x4
 * lanes (4 independent accumulators), then y += s_g * acc - s_g * z_g * sum_g(x) (the zero point is
 * folded with the per-token group sums, computed once per call). Table formats: y += s_g * sum_j
 * table[c_j] x_j, the 16 values gathered with byte-plane swizzles (two planes for bf16 tables, four
 * otherwise). Columns past the last full chunk
 * of a group are scalar. Other weights (VQ codebooks, groups that are not whole chunks) decode the
 * row to f32 first (decodeRow) and take a plain dot.
 *
 * int8 activations: codes of 2-4 bits masked in place in i16 lanes (LAYOUT_QUAD), 8-bit codes
 * zero-extended, multiplied with i32x4.dot_i16x8_s against the int8 activations (stored as i16 in
 * the kernel layout, pre-scaled), i32 sums per activation block, then the exact
 * f32 sequence of the reference (src/kernels/js/quant.ts): y = y + (s_g * xs_b) * f32(isum_b).
 *
 * Accumulators: f32 (f32 path), i32 (int8 path; |isum| < 2^24 for blocks of <= 128 columns).
 */
import {
  ACT_BLOCK_MAX, CHUNK, PLANE_BYTES, W_bits, W_codes, W_fused, W_gs, W_k, W_rowBytes, W_scales, W_sstride,
  W_zeros, W_planes, W_topHalves, CONSTS, C_SPREAD3, fieldMaskOf, LAYOUT_NIBBLE, LAYOUT_OCT, LAYOUT_QUAD, quadDot, quadLanes, quadMask, quadScale, quadShift, loadChunk,
  pairHi, pairLo, readCode, wordsHi, wordsLo,
} from './quant-core';
import { PAIRS_I8, pairGroups } from './quant-pairs';
import { lut16 } from './simd';

// @ts-ignore: decorator
@inline function hsumF(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// @ts-ignore: decorator
@inline function hsumI(v: v128): i32 {
  const s = i32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1);
}

/** f32x4 of 4 codes (i16 lanes 0-3 or 4-7 of c, non-negative). */
// @ts-ignore: decorator
@inline function cvtLo(c: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(c));
}
// @ts-ignore: decorator
@inline function cvtHi(c: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(c));
}

// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Position of column j in a token layout (quant-core.ts): permuted inside full 32-column chunks only. */
// @ts-ignore: decorator
@inline export function layoutPos(j: i32, kFull: i32, layout: i32): i32 {
  if (layout == 0 || j >= kFull) return j;
  const base = j & ~31;
  const jj = j & 31;
  if (layout == LAYOUT_NIBBLE) return base + ((jj & 1) << 4) + (jj >> 1);
  if (layout == LAYOUT_QUAD) return base + ((jj & 3) << 3) + (jj >> 2);
  return base + ((jj & 7) << 2) + (jj >> 3); // LAYOUT_OCT
}

/** Copies one token's x (natural, k f32) into `layout` at xp (4-bit LAYOUT_OCT: pre-scaled, quant-core.ts). */
export function prepX(x: usize, xp: usize, layout: i32): void {
  const k = W_k;
  const kFull = k & ~31;
  const scaled = layout == LAYOUT_OCT;
  const bits = W_bits;
  for (let j = 0; j < k; j++) {
    let v = load<f32>(x + (<usize>j << 2));
    // 2^-b(t & 3) for field t = j & 7: exact power-of-two factors
    if (scaled && j < kFull) v *= reinterpret<f32>(<u32>(127 - bits * (j & 3)) << 23);
    store<f32>(xp + (<usize>layoutPos(j, kFull, layout) << 2), v);
  }
}

/** Per-group sums of one token's x (natural), f32, for folding the zero point. */
export function groupSums(x: usize, sx: usize, nGroups: i32): void {
  const k = W_k;
  const gs = W_gs;
  for (let g = 0; g < nGroups; g++) {
    const j0 = g * gs;
    const j1 = min(k, j0 + gs);
    let t: f32 = 0;
    for (let j = j0; j < j1; j++) t += load<f32>(x + (<usize>j << 2));
    store<f32>(sx + (<usize>g << 2), t);
  }
}

/**
 * acc + the f32 dot of the 8 fields of each i32 lane of v (LAYOUT_OCT, `bits` wide) with the
 * pre-scaled x' at xq: fields 0-3 masked in place (w0..w3), then the lane shifted by 4 * bits for
 * fields 4-7; the 8 products summed as a pairwise tree.
 */
// @ts-ignore: decorator
@inline function fieldsF32(acc: v128, v: v128, bits: i32, xq: usize, w0: v128, w1: v128, w2: v128, w3: v128): v128 {
  const p0 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, w0)), v128.load(xq));
  const p1 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, w1)), v128.load(xq, 16));
  const p2 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, w2)), v128.load(xq, 32));
  const p3 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, w3)), v128.load(xq, 48));
  const u = i32x4.shr_u(v, 4 * bits);
  const p4 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(u, w0)), v128.load(xq, 64));
  const p5 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(u, w1)), v128.load(xq, 80));
  const p6 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(u, w2)), v128.load(xq, 96));
  const p7 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(u, w3)), v128.load(xq, 112));
  return f32x4.add(acc, f32x4.add(f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3)), f32x4.add(f32x4.add(p4, p5), f32x4.add(p6, p7))));
}

/** octLanes for a width known only at run time (a branch per chunk, taken the same way every time). */
// @ts-ignore: decorator
@inline function octLanesAny(p: usize, bits: i32, sw: v128): v128 {
  if (bits == 4) return v128.load(p);
  if (bits == 3) return i8x16.swizzle(loadChunk(p, 3), sw);
  return i8x16.swizzle(loadChunk(p, 2), sw);
}

/** The i32 lanes of the 32-code chunk at p (LAYOUT_OCT): codes 8i..8i+7 in lane i. `bits` a literal. */
// @ts-ignore: decorator
@inline function octLanes(p: usize, bits: i32, sw: v128): v128 {
  if (bits == 4) return v128.load(p);
  return i8x16.swizzle(loadChunk(p, bits), sw);
}

/** Fused f32 dot of row r (affine codes) with a token in the kernel layout (xp) and its group sums. */
export function dotAffineF32(r: i32, xp: usize, sx: usize): f32 {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const row = W_codes + <usize>r * <usize>W_rowBytes;
  const srow: usize = W_scales + ((<usize>r * <usize>W_sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * <usize>W_sstride : 0;
  const fb = bits <= 4 ? bits : 4; // (masks unused for 8 bits)
  const w0 = fieldMaskOf(fb, 0);
  const w1 = fieldMaskOf(fb, 1);
  const w2 = fieldMaskOf(fb, 2);
  const w3 = fieldMaskOf(fb, 3);
  const sw = bits <= 3 ? v128.load(CONSTS + <usize>((bits - 1) << 4)) : w0;
  let total = f32x4.splat(0);
  let scal: f32 = 0;
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let j = j0;
    if (bits == 8) {
      for (; j + 32 <= j1; j += 32) {
        const xq = xp + (<usize>j << 2);
        const v = v128.load(row + <usize>j);
        const w = v128.load(row + <usize>j, 16);
        const l0 = i16x8.extend_low_i8x16_u(v);
        const l1 = i16x8.extend_high_i8x16_u(v);
        const h0 = i16x8.extend_low_i8x16_u(w);
        const h1 = i16x8.extend_high_i8x16_u(w);
        a0 = madd(a0, cvtLo(l0), v128.load(xq));
        a1 = madd(a1, cvtHi(l0), v128.load(xq, 16));
        a2 = madd(a2, cvtLo(l1), v128.load(xq, 32));
        a3 = madd(a3, cvtHi(l1), v128.load(xq, 48));
        a0 = madd(a0, cvtLo(h0), v128.load(xq, 64));
        a1 = madd(a1, cvtHi(h0), v128.load(xq, 80));
        a2 = madd(a2, cvtLo(h1), v128.load(xq, 96));
        a3 = madd(a3, cvtHi(h1), v128.load(xq, 112));
      }
    } else if (bits == 4) {
      for (; j + 32 <= j1; j += 32) a0 = fieldsF32(a0, octLanes(row + <usize>(j >> 1), 4, sw), 4, xp + (<usize>j << 2), w0, w1, w2, w3);
    } else if (bits == 3) {
      for (; j + 32 <= j1; j += 32) a0 = fieldsF32(a0, octLanes(row + <usize>((j * 3) >> 3), 3, sw), 3, xp + (<usize>j << 2), w0, w1, w2, w3);
    } else {
      for (; j + 32 <= j1; j += 32) a0 = fieldsF32(a0, octLanes(row + <usize>(j >> 2), 2, sw), 2, xp + (<usize>j << 2), w0, w1, w2, w3);
    }
    let t: f32 = 0;
    for (; j < j1; j++) t += <f32>readCode(row, bits, j) * load<f32>(xp + (<usize>j << 2));
    const s = load<f32>(srow + (<usize>g << 2));
    const z: f32 = zrow ? <f32>load<u8>(zrow + <usize>g) : <f32>(1 << (bits - 1));
    total = madd(total, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.splat(s));
    scal += s * (t - z * load<f32>(sx + (<usize>g << 2)));
  }
  return hsumF(total) + scal;
}

/** Lane sums of a, b, c, d as one f32 vector [sum a, sum b, sum c, sum d]. */
// @ts-ignore: decorator
@inline function hsum4F(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/**
 * dotAffineF32 for the four rows r..r+3 of a fused weight of 2-4 bits (LAYOUT_OCT, pre-scaled x):
 * each row's products summed in column order per lane, per group y += s (sum - z sum_g x) lane-wise
 * (lane i = row r + i). Another summation order than dotAffineF32, same bound (js/quant.ts); a row's
 * result depends only on whether it is in a 4-aligned quad, which the row split keeps.
 * Writes the four values at out, out + ostride, ...
 */
export function dotAffineF32x4(r: i32, xp: usize, sx: usize, out: usize, ostride: usize): void {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const rb = <usize>W_rowBytes;
  const row0 = W_codes + <usize>r * rb;
  const sstride = <usize>W_sstride;
  const srow: usize = W_scales + ((<usize>r * sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * sstride : 0;
  const w0 = fieldMaskOf(bits, 0);
  const w1 = fieldMaskOf(bits, 1);
  const w2 = fieldMaskOf(bits, 2);
  const w3 = fieldMaskOf(bits, 3);
  const sw = bits <= 3 ? v128.load(CONSTS + <usize>((bits - 1) << 4)) : w0;
  let y = f32x4.splat(0);
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let j = j0;
    // field-major: each token vector is loaded once and used by the four rows, so the live
    // vectors (4 rows of codes, 4 sums, 4 masks, 1 token vector) fit V8's 15 registers
    if (bits == 4) {
      for (; j + 32 <= j1; j += 32) {
        const p = row0 + <usize>((j * bits) >> 3);
        const xq = xp + (<usize>j << 2);
        let v0 = octLanesAny(p, bits, sw);
        let v1 = octLanesAny(p + rb, bits, sw);
        let v2 = octLanesAny(p + 2 * rb, bits, sw);
        let v3 = octLanesAny(p + 3 * rb, bits, sw);
        let x = v128.load(xq);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w0)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w0)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w0)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w0)), x);
        x = v128.load(xq, 16);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w1)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w1)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w1)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w1)), x);
        x = v128.load(xq, 32);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w2)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w2)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w2)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w2)), x);
        x = v128.load(xq, 48);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w3)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w3)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w3)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w3)), x);
        // fields 4-7 of each lane
        v0 = i32x4.shr_u(v0, 16);
        v1 = i32x4.shr_u(v1, 16);
        v2 = i32x4.shr_u(v2, 16);
        v3 = i32x4.shr_u(v3, 16);
        x = v128.load(xq, 64);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w0)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w0)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w0)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w0)), x);
        x = v128.load(xq, 80);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w1)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w1)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w1)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w1)), x);
        x = v128.load(xq, 96);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w2)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w2)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w2)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w2)), x);
        x = v128.load(xq, 112);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w3)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w3)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w3)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w3)), x);
      }
    } else {
      const sh = 4 * bits;
      for (; j + 32 <= j1; j += 32) {
        const p = row0 + <usize>((j * bits) >> 3);
        const xq = xp + (<usize>j << 2);
        let v0 = octLanesAny(p, bits, sw);
        let v1 = octLanesAny(p + rb, bits, sw);
        let v2 = octLanesAny(p + 2 * rb, bits, sw);
        let v3 = octLanesAny(p + 3 * rb, bits, sw);
        let x = v128.load(xq);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w0)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w0)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w0)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w0)), x);
        x = v128.load(xq, 16);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w1)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w1)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w1)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w1)), x);
        x = v128.load(xq, 32);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w2)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w2)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w2)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w2)), x);
        x = v128.load(xq, 48);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w3)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w3)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w3)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w3)), x);
        // fields 4-7 of each lane
        v0 = i32x4.shr_u(v0, sh);
        v1 = i32x4.shr_u(v1, sh);
        v2 = i32x4.shr_u(v2, sh);
        v3 = i32x4.shr_u(v3, sh);
        x = v128.load(xq, 64);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w0)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w0)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w0)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w0)), x);
        x = v128.load(xq, 80);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w1)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w1)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w1)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w1)), x);
        x = v128.load(xq, 96);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w2)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w2)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w2)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w2)), x);
        x = v128.load(xq, 112);
        a0 = madd(a0, f32x4.convert_i32x4_s(v128.and(v0, w3)), x);
        a1 = madd(a1, f32x4.convert_i32x4_s(v128.and(v1, w3)), x);
        a2 = madd(a2, f32x4.convert_i32x4_s(v128.and(v2, w3)), x);
        a3 = madd(a3, f32x4.convert_i32x4_s(v128.and(v3, w3)), x);
      }
    }
    let acc = hsum4F(a0, a1, a2, a3);
    if (j < j1) acc = f32x4.add(acc, tail4(false, bits, row0, rb, xp, j, j1));
    let z4 = f32x4.splat(<f32>(1 << (bits - 1)));
    if (zrow) {
      const zp = zrow + <usize>g;
      z4 = f32x4.replace_lane(z4, 0, <f32>load<u8>(zp));
      z4 = f32x4.replace_lane(z4, 1, <f32>load<u8>(zp + sstride));
      z4 = f32x4.replace_lane(z4, 2, <f32>load<u8>(zp + 2 * sstride));
      z4 = f32x4.replace_lane(z4, 3, <f32>load<u8>(zp + 3 * sstride));
    }
    acc = f32x4.sub(acc, f32x4.mul(z4, v128.load32_splat(sx + (<usize>g << 2))));
    y = f32x4.add(y, f32x4.mul(acc, scales4(srow, sstride << 2, g)));
  }
  storeRows4(out, ostride, y);
}

/**
 * acc + the f32 dot of one 32-code chunk of 4-bit table codes (v, LAYOUT_NIBBLE) with x' at xq: the
 * 16 table values gathered by byte plane (four swizzles per 16 codes) and reassembled into f32
 * lanes; the 8 products summed as a pairwise tree.
 */
// @ts-ignore: decorator
@inline function tableChunk(acc: v128, v: v128, xq: usize, m4: v128, P0: v128, P1: v128, P2: v128, P3: v128): v128 {
  return f32x4.add(f32x4.add(acc, tableHalf(v128.and(v, m4), xq, P0, P1, P2, P3)), tableHalf(v128.and(i16x8.shr_u(v, 4), m4), xq + 64, P0, P1, P2, P3));
}

/** The f32 dot (lanes) of 16 table codes (bytes of c) with x' at xq, planes P0..P3 held in registers. */
// @ts-ignore: decorator
@inline function tableHalf(c: v128, xq: usize, P0: v128, P1: v128, P2: v128, P3: v128): v128 {
  return planesDot(lut16(P0, c), lut16(P1, c), lut16(P2, c), lut16(P3, c), xq);
}

/**
 * The f32 dot (lanes) of 16 values given by their byte planes b0..b3 (byte i of bj: byte j of value
 * i), reassembled into f32 lanes, with x' at xq.
 */
// @ts-ignore: decorator
@inline function planesDot(b0: v128, b1: v128, b2: v128, b3: v128, xq: usize): v128 {
  const l01 = pairLo(b0, b1);
  const l23 = pairLo(b2, b3);
  const h01 = pairHi(b0, b1);
  const h23 = pairHi(b2, b3);
  return dot16(wordsLo(l01, l23), wordsHi(l01, l23), wordsLo(h01, h23), wordsHi(h01, h23), xq);
}

/** The f32 lanes of w0 x'[0..3] + w1 x'[4..7] + w2 x'[8..11] + w3 x'[12..15] (x' at xq), summed as a pairwise tree. */
// @ts-ignore: decorator
@inline function dot16(w0: v128, w1: v128, w2: v128, w3: v128, xq: usize): v128 {
  const p0 = f32x4.mul(w0, v128.load(xq));
  const p1 = f32x4.mul(w1, v128.load(xq, 16));
  const p2 = f32x4.mul(w2, v128.load(xq, 32));
  const p3 = f32x4.mul(w3, v128.load(xq, 48));
  return f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3));
}

/**
 * dotTableF32 for the four rows r..r+3 (fused 4-bit table codes, LAYOUT_NIBBLE): per group
 * y += s * sum lane-wise (lane i = row r + i). Another summation order than dotTableF32, same bound
 * (js/quant.ts); rows keep their quad whatever the row split. Writes out, out + ostride, ...
 */
export function dotTableF32x4(r: i32, xp: usize, out: usize, ostride: usize): void {
  if (!W_topHalves) tableRows(false, r, xp, out, ostride);
  else if (W_gs == 32 && (W_k & 31) == 0 && W_scales) topHalfChunkGroups(r, xp, out, ostride);
  else tableRows(true, r, xp, out, ostride);
}

/** dotTableF32x4's loop over groups; `top` (a literal): a bf16 table, two planes gathered (W_topHalves). */
// @ts-ignore: decorator
@inline function tableRows(top: bool, r: i32, xp: usize, out: usize, ostride: usize): void {
  const k = W_k;
  const gs = W_gs;
  const rb = <usize>W_rowBytes;
  const row0 = W_codes + <usize>r * rb;
  const sstride = <usize>W_sstride;
  const srow: usize = W_scales ? W_scales + ((<usize>r * sstride) << 2) : 0;
  const m4 = v128.load(CONSTS);
  const P0 = v128.load(W_planes);
  const P1 = v128.load(W_planes, 16);
  const P2 = v128.load(W_planes, 32);
  const P3 = v128.load(W_planes, 48);
  let y = f32x4.splat(0);
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let j = j0;
    for (; j + 32 <= j1; j += 32) {
      const p = row0 + <usize>(j >> 1);
      const xq = xp + (<usize>j << 2);
      if (top) {
        a0 = f32x4.add(a0, topHalfChunk(v128.load(p), xq, m4, P2, P3));
        a1 = f32x4.add(a1, topHalfChunk(v128.load(p + rb), xq, m4, P2, P3));
        a2 = f32x4.add(a2, topHalfChunk(v128.load(p + 2 * rb), xq, m4, P2, P3));
        a3 = f32x4.add(a3, topHalfChunk(v128.load(p + 3 * rb), xq, m4, P2, P3));
      } else {
        a0 = tableChunk(a0, v128.load(p), xq, m4, P0, P1, P2, P3);
        a1 = tableChunk(a1, v128.load(p + rb), xq, m4, P0, P1, P2, P3);
        a2 = tableChunk(a2, v128.load(p + 2 * rb), xq, m4, P0, P1, P2, P3);
        a3 = tableChunk(a3, v128.load(p + 3 * rb), xq, m4, P0, P1, P2, P3);
      }
    }
    let acc = hsum4F(a0, a1, a2, a3);
    if (j < j1) acc = f32x4.add(acc, tail4(true, 4, row0, rb, xp, j, j1));
    y = f32x4.add(y, srow ? f32x4.mul(acc, scales4(srow, sstride << 2, g)) : acc);
  }
  storeRows4(out, ostride, y);
}

/**
 * The f32 dot (lanes) of 16 codes (bytes of c, values 0..15) of a bf16 table (W_topHalves) with the
 * nibble-order x' at xq: bytes 2 and 3 of each value gathered from planes P2 and P3 (two swizzles),
 * paired into i16 halves and placed above 16 zero bits: the table's f32 values, exactly.
 */
// @ts-ignore: decorator
@inline function topHalf16(c: v128, xq: usize, P2: v128, P3: v128): v128 {
  const zero = i32x4.splat(0);
  return planesDot(zero, zero, lut16(P2, c), lut16(P3, c), xq);
}

/** The f32 dot (lanes) of one 32-code chunk v (LAYOUT_NIBBLE) of a bf16 table with x' at xq. */
// @ts-ignore: decorator
@inline function topHalfChunk(v: v128, xq: usize, m4: v128, P2: v128, P3: v128): v128 {
  return f32x4.add(topHalf16(v128.and(v, m4), xq, P2, P3), topHalf16(v128.and(i16x8.shr_u(v, 4), m4), xq + 64, P2, P3));
}

/**
 * dotTableF32x4 of a bf16 table for groups of exactly one chunk (32 columns, mxfp4; k a multiple
 * of 32): one loop over the chunks, each row's chunk sum scaled by its group scale (a splat) into
 * that row's lane accumulator, one horizontal sum per row at the end instead of one per group.
 * Another summation order, same bound (js/quant.ts).
 */
function topHalfChunkGroups(r: i32, xp: usize, out: usize, ostride: usize): void {
  const rb = <usize>W_rowBytes;
  const ss = <usize>W_sstride << 2;
  let p = W_codes + <usize>r * rb;
  let sp: usize = W_scales + <usize>r * ss;
  let xq = xp;
  const m4 = v128.load(CONSTS);
  const P2 = v128.load(W_planes, 32);
  const P3 = v128.load(W_planes, 48);
  let y0 = f32x4.splat(0);
  let y1 = y0;
  let y2 = y0;
  let y3 = y0;
  for (let j = 0; j < W_k; j += 32) {
    y0 = madd(y0, topHalfChunk(v128.load(p), xq, m4, P2, P3), v128.load32_splat(sp));
    y1 = madd(y1, topHalfChunk(v128.load(p + rb), xq, m4, P2, P3), v128.load32_splat(sp + ss));
    y2 = madd(y2, topHalfChunk(v128.load(p + 2 * rb), xq, m4, P2, P3), v128.load32_splat(sp + 2 * ss));
    y3 = madd(y3, topHalfChunk(v128.load(p + 3 * rb), xq, m4, P2, P3), v128.load32_splat(sp + 3 * ss));
    p += 16;
    xq += 128;
    sp += 4;
  }
  storeRows4(out, ostride, hsum4F(y0, y1, y2, y3));
}

/**
 * The four rows' f32 dots of codes j..j1-1 with x' (scalar: the tail of a group): the codes as
 * numbers (affine) or, with `table`, their 4-bit table values.
 */
function tail4(table: bool, bits: i32, row0: usize, rb: usize, xp: usize, j: i32, j1: i32): v128 {
  let t0: f32 = 0;
  let t1: f32 = 0;
  let t2: f32 = 0;
  let t3: f32 = 0;
  for (; j < j1; j++) {
    const xj = load<f32>(xp + (<usize>j << 2));
    t0 += codeValue(table, readCode(row0, bits, j)) * xj;
    t1 += codeValue(table, readCode(row0 + rb, bits, j)) * xj;
    t2 += codeValue(table, readCode(row0 + 2 * rb, bits, j)) * xj;
    t3 += codeValue(table, readCode(row0 + 3 * rb, bits, j)) * xj;
  }
  let t = f32x4.splat(t0);
  t = f32x4.replace_lane(t, 1, t1);
  t = f32x4.replace_lane(t, 2, t2);
  return f32x4.replace_lane(t, 3, t3);
}

/** Table value c of the current weight, reassembled from its plane bytes (scalar tails). */
// @ts-ignore: decorator
@inline function tableValue(c: i32): f32 {
  const bitsOf =
    <u32>load<u8>(W_planes + <usize>c) |
    (<u32>load<u8>(W_planes + 16 + <usize>c) << 8) |
    (<u32>load<u8>(W_planes + 32 + <usize>c) << 16) |
    (<u32>load<u8>(W_planes + 48 + <usize>c) << 24);
  return reinterpret<f32>(bitsOf);
}

/** Code c as the f32 it stands for before the scale: its table value, or the number itself. */
// @ts-ignore: decorator
@inline function codeValue(table: bool, c: i32): f32 {
  return table ? tableValue(c) : <f32>c;
}

/** Fused f32 dot of row r (4-bit table codes: nf4, fp4, mxfp4) with a token in nibble order. */
export function dotTableF32(r: i32, xp: usize): f32 {
  const k = W_k;
  const gs = W_gs;
  const row = W_codes + <usize>r * <usize>W_rowBytes;
  const srow: usize = W_scales ? W_scales + ((<usize>r * <usize>W_sstride) << 2) : 0;
  const p0 = v128.load(W_planes);
  const p1 = v128.load(W_planes, 16);
  const p2 = v128.load(W_planes, 32);
  const p3 = v128.load(W_planes, 48);
  const m4 = v128.load(CONSTS);
  let total = f32x4.splat(0);
  let scal: f32 = 0;
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let j = j0;
    for (; j + 32 <= j1; j += 32) {
      const v = v128.load(row + <usize>(j >> 1));
      const xq = xp + (<usize>j << 2);
      let c = v128.and(v, m4);
      let b0 = lut16(p0, c);
      let b1 = lut16(p1, c);
      let b2 = lut16(p2, c);
      let b3 = lut16(p3, c);
      let wl = pairLo(b0, b1);
      let wh = pairLo(b2, b3);
      a0 = madd(a0, wordsLo(wl, wh), v128.load(xq));
      a1 = madd(a1, wordsHi(wl, wh), v128.load(xq, 16));
      wl = pairHi(b0, b1);
      wh = pairHi(b2, b3);
      a2 = madd(a2, wordsLo(wl, wh), v128.load(xq, 32));
      a3 = madd(a3, wordsHi(wl, wh), v128.load(xq, 48));
      c = v128.and(i16x8.shr_u(v, 4), m4);
      b0 = lut16(p0, c);
      b1 = lut16(p1, c);
      b2 = lut16(p2, c);
      b3 = lut16(p3, c);
      wl = pairLo(b0, b1);
      wh = pairLo(b2, b3);
      a0 = madd(a0, wordsLo(wl, wh), v128.load(xq, 64));
      a1 = madd(a1, wordsHi(wl, wh), v128.load(xq, 80));
      wl = pairHi(b0, b1);
      wh = pairHi(b2, b3);
      a2 = madd(a2, wordsLo(wl, wh), v128.load(xq, 96));
      a3 = madd(a3, wordsHi(wl, wh), v128.load(xq, 112));
    }
    let t: f32 = 0;
    for (; j < j1; j++) t += tableValue(readCode(row, 4, j)) * load<f32>(xp + (<usize>j << 2));
    const s: f32 = srow ? load<f32>(srow + (<usize>g << 2)) : 1;
    total = madd(total, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.splat(s));
    scal += s * t;
  }
  return hsumF(total) + scal;
}

/** Plain f32 dot of k values at a and b (4 accumulators, scalar tail). */
export function dotF32(a: usize, b: usize, k: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let j = 0;
  for (; j + 16 <= k; j += 16) {
    const o = <usize>j << 2;
    a0 = madd(a0, v128.load(a + o), v128.load(b + o));
    a1 = madd(a1, v128.load(a + o, 16), v128.load(b + o, 16));
    a2 = madd(a2, v128.load(a + o, 32), v128.load(b + o, 32));
    a3 = madd(a3, v128.load(a + o, 48), v128.load(b + o, 48));
  }
  let t = hsumF(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; j < k; j++) t += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return t;
}

// ---------------------------------------------------------------------------------------------
// int8 activations

/** Number of int8 activation blocks of the current weight (see src/kernels/js/quant.ts). */
export function actBlockCount(): i32 {
  const k = W_k;
  const gs = W_gs;
  let nb = 0;
  for (let j0 = 0; j0 < k; j0 += gs) {
    const len = min(k, j0 + gs) - j0;
    nb += len <= ACT_BLOCK_MAX ? 1 : (len + CHUNK - 1) / CHUNK;
  }
  return nb;
}

/** i16 lane i: 2^quadShift(bits, 4i + t), the factor of field t's activations in LAYOUT_QUAD (1 for other widths). */
function quadUnits(bits: i32, t: i32): v128 {
  if (bits > 4) return i16x8.splat(1);
  // the shift depends on the lane's parity only (3 bits) or not at all
  const even = i16x8.splat(<i16>(<i32>1 << quadShift(bits, t)));
  const odd = i16x8.splat(<i16>(<i32>1 << quadShift(bits, 4 + t)));
  return i8x16.shuffle(even, odd, 0, 1, 18, 19, 4, 5, 22, 23, 8, 9, 26, 27, 12, 13, 30, 31);
}

/**
 * prepXI8 for one block [b0, b1) of whole 32-column chunks in LAYOUT_QUAD, in SIMD; false (nothing
 * written) when the block's scaling is not finite (an infinite or NaN x, or an amax so small that
 * 127 / amax overflows), which the scalar loop handles. Otherwise every |x / amax * 127| rounds
 * below 127.5, so the codes need no clamp and round half to even by adding 1.5 * 2^23 (exact for
 * |v| < 2^22): the same codes as nearest() and the clamp.
 */
function prepQuadBlock(x: usize, xq: usize, xsp: usize, qsp: usize, b0: i32, b1: i32, u0: v128, u1: v128, u2: v128, u3: v128): bool {
  // amax on the bits of |x|: for non-NaN floats the integer order is the float order
  const absMask = i32x4.splat(0x7fffffff);
  let m = i32x4.splat(0);
  for (let j = b0; j < b1; j += 4) m = i32x4.max_s(m, v128.and(v128.load(x + (<usize>j << 2)), absMask));
  m = i32x4.max_s(m, i32x4.shuffle(m, m, 2, 3, 0, 1));
  m = i32x4.max_s(m, i32x4.shuffle(m, m, 1, 0, 3, 2));
  const amax = reinterpret<f32>(i32x4.extract_lane(m, 0));
  if (amax == 0) return false; // the scalar loop writes the zeros
  const inv: f32 = <f32>127 / amax;
  if (!(amax < Infinity && inv < Infinity)) return false;
  store<f32>(xsp, amax / <f32>127);
  const vinv = f32x4.splat(inv);
  const magic = f32x4.splat(12582912); // 1.5 * 2^23
  const magicBits = i32x4.splat(0x4b400000);
  let sum = i32x4.splat(0);
  for (let j = b0; j < b1; j += 32) {
    const p = x + (<usize>j << 2);
    // q of columns 4i..4i+3 in V_i
    const v0 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p), vinv), magic), magicBits);
    const v1 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 16), vinv), magic), magicBits);
    const v2 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 32), vinv), magic), magicBits);
    const v3 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 48), vinv), magic), magicBits);
    const v4 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 64), vinv), magic), magicBits);
    const v5 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 80), vinv), magic), magicBits);
    const v6 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 96), vinv), magic), magicBits);
    const v7 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 112), vinv), magic), magicBits);
    sum = i32x4.add(sum, i32x4.add(i32x4.add(i32x4.add(v0, v1), i32x4.add(v2, v3)), i32x4.add(i32x4.add(v4, v5), i32x4.add(v6, v7))));
    // transpose the 4 x 4 blocks: lane t of V_0..V_3 (then V_4..V_7) is column 4i + t, i = 0..7
    const l01 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
    const h01 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
    const l23 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
    const h23 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
    const l45 = i32x4.shuffle(v4, v5, 0, 4, 1, 5);
    const h45 = i32x4.shuffle(v4, v5, 2, 6, 3, 7);
    const l67 = i32x4.shuffle(v6, v7, 0, 4, 1, 5);
    const h67 = i32x4.shuffle(v6, v7, 2, 6, 3, 7);
    const o = xq + (<usize>j << 1);
    // field t at i16 8t + i, times u_t (lane i: 2^quadShift; |q| <= 127: no overflow)
    v128.store(o, i16x8.mul(i16x8.narrow_i32x4_s(i32x4.shuffle(l01, l23, 0, 1, 4, 5), i32x4.shuffle(l45, l67, 0, 1, 4, 5)), u0));
    v128.store(o, i16x8.mul(i16x8.narrow_i32x4_s(i32x4.shuffle(l01, l23, 2, 3, 6, 7), i32x4.shuffle(l45, l67, 2, 3, 6, 7)), u1), 16);
    v128.store(o, i16x8.mul(i16x8.narrow_i32x4_s(i32x4.shuffle(h01, h23, 0, 1, 4, 5), i32x4.shuffle(h45, h67, 0, 1, 4, 5)), u2), 32);
    v128.store(o, i16x8.mul(i16x8.narrow_i32x4_s(i32x4.shuffle(h01, h23, 2, 3, 6, 7), i32x4.shuffle(h45, h67, 2, 3, 6, 7)), u3), 48);
  }
  store<i32>(qsp, hsumI(sum));
  return true;
}

/**
 * Quantizes one token (natural f32 x) per activation block into xq (i16, kernel layout), block
 * scales xs (f32) and block sums of the codes qsum (i32), exactly as the reference.
 */
export function prepXI8(x: usize, xq: usize, xs: usize, qsum: usize, layout: i32): void {
  const k = W_k;
  const gs = W_gs;
  const bits = W_bits;
  const kFull = k & ~31;
  const quad = layout == LAYOUT_QUAD;
  const u0 = quadUnits(bits, 0);
  const u1 = quadUnits(bits, 1);
  const u2 = quadUnits(bits, 2);
  const u3 = quadUnits(bits, 3);
  let b = 0;
  for (let j0 = 0; j0 < k; j0 += gs) {
    const j1 = min(k, j0 + gs);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : CHUNK;
    for (let b0 = j0; b0 < j1; b0 += step, b++) {
      const b1 = min(j1, b0 + step);
      if (quad && b1 <= kFull && ((b1 - b0) & 31) == 0 && prepQuadBlock(x, xq, xs + (<usize>b << 2), qsum + (<usize>b << 2), b0, b1, u0, u1, u2, u3)) continue;
      let amax: f32 = 0;
      for (let j = b0; j < b1; j++) amax = max(amax, abs(load<f32>(x + (<usize>j << 2))));
      let sum = 0;
      if (amax == 0) {
        store<f32>(xs + (<usize>b << 2), 0);
        for (let j = b0; j < b1; j++) store<i16>(xq + (<usize>layoutPos(j, kFull, layout) << 1), 0);
      } else {
        store<f32>(xs + (<usize>b << 2), amax / <f32>127);
        const inv: f32 = <f32>127 / amax;
        for (let j = b0; j < b1; j++) {
          const q = <i32>min(<f32>127, max(<f32>-127, nearest(load<f32>(x + (<usize>j << 2)) * inv)));
          sum += q;
          // LAYOUT_QUAD stores q pre-multiplied by 2^quadShift (quant-core.ts)
          const sh = quad && j < kFull ? quadShift(bits, j) : 0;
          store<i16>(xq + (<usize>layoutPos(j, kFull, layout) << 1), <i16>(q << sh));
        }
      }
      store<i32>(qsum + (<usize>b << 2), sum);
    }
  }
}

/** int8-activation dot of row r (affine codes) with one prepared token; bit-exact with the reference. */
export function dotI8(r: i32, xq: usize, xs: usize, qsum: usize): f32 {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const fused = W_fused;
  const row = W_codes + <usize>r * <usize>W_rowBytes;
  const srow: usize = W_scales + ((<usize>r * <usize>W_sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * <usize>W_sstride : 0;
  // LAYOUT_QUAD masks (widths 2-4; 8 bits reads bytes as they are)
  const qb = min(bits, 4);
  const k0 = quadMask(qb, 0);
  const k1 = quadMask(qb, 1);
  const k2 = quadMask(qb, 2);
  const k3 = quadMask(qb, 3);
  const spread = v128.load(CONSTS + C_SPREAD3);
  let y: f32 = 0;
  let b = 0;
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : CHUNK;
    const s = load<f32>(srow + (<usize>g << 2));
    const z = zrow ? <i32>load<u8>(zrow + <usize>g) : 1 << (bits - 1);
    for (let b0 = j0; b0 < j1; b0 += step, b++) {
      const b1 = min(j1, b0 + step);
      let acc = i32x4.splat(0);
      let j = b0;
      if (fused) {
        if (bits == 8) {
          for (; j + 32 <= b1; j += 32) acc = i32x4.add(acc, bytesDot(row + <usize>j, xq + (<usize>j << 1)));
        } else {
          // LAYOUT_QUAD: every product is 2^S c x (the activations are pre-scaled), shifted back
          // below; one loop per width, so its loads and masks are fixed
          let a = i32x4.splat(0);
          if (bits == 4) {
            for (; j + 32 <= b1; j += 32) a = quadChunk(4, a, row + <usize>(j >> 1), xq + (<usize>j << 1), k0, k1, k2, k3, spread);
          } else if (bits == 3) {
            for (; j + 32 <= b1; j += 32) a = quadChunk(3, a, row + <usize>((j * 3) >> 3), xq + (<usize>j << 1), k0, k1, k2, k3, spread);
          } else {
            for (; j + 32 <= b1; j += 32) a = quadChunk(2, a, row + <usize>(j >> 2), xq + (<usize>j << 1), k0, k1, k2, k3, spread);
          }
          acc = i32x4.shr_s(a, quadScale(bits));
        }
      }
      let isum = hsumI(acc);
      for (; j < b1; j++) isum += readCode(row, bits, j) * <i32>load<i16>(xq + (<usize>j << 1));
      isum -= z * load<i32>(qsum + (<usize>b << 2));
      y = y + (s * load<f32>(xs + (<usize>b << 2))) * <f32>isum;
    }
  }
  return y;
}

/** acc + the dot of the 32-code chunk at p (LAYOUT_QUAD, `bits` a literal) with the pre-scaled int8 activations at q. */
// @ts-ignore: decorator
@inline function quadChunk(bits: i32, acc: v128, p: usize, q: usize, k0: v128, k1: v128, k2: v128, k3: v128, spread: v128): v128 {
  return i32x4.add(acc, quadDot(bits, quadLanes(p, bits, spread), v128.load(q), v128.load(q, 16), v128.load(q, 32), v128.load(q, 48), k0, k1, k2, k3));
}

/** The i32 dot (lanes) of 32 bytes at p (8-bit codes, natural layout) with 32 int8 activations (i16) at q. */
// @ts-ignore: decorator
@inline function bytesDot(p: usize, q: usize): v128 {
  const v = v128.load(p);
  const w = v128.load(p, 16);
  const d01 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), v128.load(q)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), v128.load(q, 16)));
  return i32x4.add(d01, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(w), v128.load(q, 32)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(w), v128.load(q, 48))));
}

/** Lane i of y (f32) to out + i * ostride: the four rows' outputs of the x4 dot products. */
// @ts-ignore: decorator
@inline export function storeRows4(out: usize, ostride: usize, y: v128): void {
  store<f32>(out, f32x4.extract_lane(y, 0));
  store<f32>(out + ostride, f32x4.extract_lane(y, 1));
  store<f32>(out + 2 * ostride, f32x4.extract_lane(y, 2));
  store<f32>(out + 3 * ostride, f32x4.extract_lane(y, 3));
}

/**
 * y + one group's terms at t (groupTerms) applied to the rows' integer sums s: the reference's float
 * sequence y + (s_g * xs_g) * f32(s - z_g * qsum_g), lane i for row r + i.
 */
// @ts-ignore: decorator
@inline export function addGroup(y: v128, s: v128, t: usize): v128 {
  return f32x4.add(y, f32x4.mul(v128.load(t), f32x4.convert_i32x4_s(i32x4.sub(s, v128.load(t, 16)))));
}

/** Sums of the lanes of a, b, c, d as one vector [sum a, sum b, sum c, sum d] (i32). */
// @ts-ignore: decorator
@inline export function hsum4I(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** The scales (f32) of rows r..r+3 at group g as one vector. */
// @ts-ignore: decorator
@inline export function scales4(srow: usize, stride: usize, g: i32): v128 {
  const p = srow + (<usize>g << 2);
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + stride, v, 1);
  v = v128.load32_lane(p + 2 * stride, v, 2);
  return v128.load32_lane(p + 3 * stride, v, 3);
}

/**
 * dotI8 for the four rows r..r+3 at once (fused 8-bit weights): the activation loads are shared and
 * the per-block float work runs lane-wise (lane i = row r + i), in the reference's order per lane,
 * so the results are bit-identical to dotI8. Writes the four values at out, out + 4*ostride, ...
 */
export function dotI8x4(r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize): void {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const rb = <usize>W_rowBytes;
  const row0 = W_codes + <usize>r * rb;
  const sstride = <usize>W_sstride;
  const srow: usize = W_scales + ((<usize>r * sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * sstride : 0;
  const symZero = i32x4.splat(1 << (bits - 1));
  let y = f32x4.splat(0);
  let b = 0;
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : CHUNK;
    const s4 = scales4(srow, sstride << 2, g);
    let z4 = symZero;
    if (zrow) {
      const zp = zrow + <usize>g;
      z4 = i32x4.replace_lane(z4, 0, <i32>load<u8>(zp));
      z4 = i32x4.replace_lane(z4, 1, <i32>load<u8>(zp + sstride));
      z4 = i32x4.replace_lane(z4, 2, <i32>load<u8>(zp + 2 * sstride));
      z4 = i32x4.replace_lane(z4, 3, <i32>load<u8>(zp + 3 * sstride));
    }
    for (let b0 = j0; b0 < j1; b0 += step, b++) {
      const b1 = min(j1, b0 + step);
      let a0 = i32x4.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let j = b0;
      for (; j + 32 <= b1; j += 32) {
        const q = xq + (<usize>j << 1);
        const p = row0 + <usize>j;
        a0 = i32x4.add(a0, bytesDot(p, q));
        a1 = i32x4.add(a1, bytesDot(p + rb, q));
        a2 = i32x4.add(a2, bytesDot(p + 2 * rb, q));
        a3 = i32x4.add(a3, bytesDot(p + 3 * rb, q));
      }
      let isum = hsum4I(a0, a1, a2, a3);
      if (j < b1) {
        let t0 = 0;
        let t1 = 0;
        let t2 = 0;
        let t3 = 0;
        for (; j < b1; j++) {
          const qj = <i32>load<i16>(xq + (<usize>j << 1));
          t0 += readCode(row0, bits, j) * qj;
          t1 += readCode(row0 + rb, bits, j) * qj;
          t2 += readCode(row0 + 2 * rb, bits, j) * qj;
          t3 += readCode(row0 + 3 * rb, bits, j) * qj;
        }
        let t = i32x4.splat(t0);
        t = i32x4.replace_lane(t, 1, t1);
        t = i32x4.replace_lane(t, 2, t2);
        t = i32x4.replace_lane(t, 3, t3);
        isum = i32x4.add(isum, t);
      }
      isum = i32x4.sub(isum, i32x4.mul(z4, i32x4.splat(load<i32>(qsum + (<usize>b << 2)))));
      y = f32x4.add(y, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs + (<usize>b << 2)))), f32x4.convert_i32x4_s(isum)));
    }
  }
  storeRows4(out, ostride, y);
}

/** The zero points (u8, as i32) of rows r..r+3 at group g (zp = zeros of row r + g), or sym. */
// @ts-ignore: decorator
@inline function zeros4(zp: usize, stride: usize): v128 {
  let z = i32x4.splat(<i32>load<u8>(zp));
  z = i32x4.replace_lane(z, 1, <i32>load<u8>(zp + stride));
  z = i32x4.replace_lane(z, 2, <i32>load<u8>(zp + 2 * stride));
  return i32x4.replace_lane(z, 3, <i32>load<u8>(zp + 3 * stride));
}

/**
 * quadRows when every group is one activation block of `nc` whole chunks (group size 32 nc, nc = 1,
 * 2 or 4 a literal, k a multiple of it): the chunks of a group unrolled, no tail loop, so the loop
 * over groups is the only loop. Same integer sums and float sequence as quadRows.
 */
// @ts-ignore: decorator
@inline function quadGroups(bits: i32, nc: i32, r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize, tmp: usize): void {
  const rb = <usize>W_rowBytes;
  const nGroups = W_k / (nc << 5);
  groupTerms(r, nGroups, xs, qsum, tmp);
  let p = W_codes + <usize>r * rb;
  const k0 = quadMask(bits, 0);
  const k1 = quadMask(bits, 1);
  const k2 = quadMask(bits, 2);
  const k3 = quadMask(bits, 3);
  const spread = v128.load(CONSTS + C_SPREAD3);
  const cb = <usize>(bits << 2); // bytes per chunk
  let q = xq;
  let t = tmp;
  let y = f32x4.splat(0);
  for (let g = 0; g < nGroups; g++) {
    let a0 = i32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    // one chunk of the four rows per iteration: a longer body (the group's chunks unrolled) gets
    // its loads hoisted and its vectors spilled by V8
    for (let c = 0; c < nc; c++) {
      const pc = p + <usize>c * cb;
      const qc = q + (<usize>c << 6);
      const x0 = v128.load(qc);
      const x1 = v128.load(qc, 16);
      const x2 = v128.load(qc, 32);
      const x3 = v128.load(qc, 48);
      a0 = i32x4.add(a0, quadDot(bits, quadLanes(pc, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
      a1 = i32x4.add(a1, quadDot(bits, quadLanes(pc + rb, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
      a2 = i32x4.add(a2, quadDot(bits, quadLanes(pc + 2 * rb, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
      a3 = i32x4.add(a3, quadDot(bits, quadLanes(pc + 3 * rb, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
    }
    // every lane is a multiple of 2^S (pre-scaled activations): exact shift back
    y = addGroup(y, i32x4.shr_s(hsum4I(a0, a1, a2, a3), quadScale(bits)), t);
    p += <usize>nc * cb;
    q += <usize>(nc << 6);
    t += 32;
  }
  storeRows4(out, ostride, y);
}

/**
 * The per-group terms of rows r..r+3 for one token whose blocks are its groups, at tmp + 32 g:
 * s_g * xs_g (f32, the reference's product) and z_g * qsum_g (i32), lane i for row r + i. Four
 * groups at a time from one 16-byte load of scales and one 4-byte load of zeros per row,
 * transposed, instead of a lane insert per row and group.
 */
export function groupTerms(r: i32, nGroups: i32, xs: usize, qsum: usize, tmp: usize): void {
  const sstride = <usize>W_sstride;
  const sp: usize = W_scales + ((<usize>r * sstride) << 2);
  const zp: usize = W_zeros ? W_zeros + <usize>r * sstride : 0;
  const ss = sstride << 2;
  const zero = i32x4.splat(0);
  let z0 = i32x4.splat(1 << (W_bits - 1)); // the symmetric zero point
  let z1 = z0;
  let z2 = z0;
  let z3 = z0;
  let g = 0;
  for (; g + 4 <= nGroups; g += 4) {
    // scales of groups g..g+3: row i in s_i, transposed to group t in lane order
    const sg = sp + (<usize>g << 2);
    const s0 = v128.load(sg);
    const s1 = v128.load(sg + ss);
    const s2 = v128.load(sg + 2 * ss);
    const s3 = v128.load(sg + 3 * ss);
    const l01 = i32x4.shuffle(s0, s1, 0, 4, 1, 5);
    const h01 = i32x4.shuffle(s0, s1, 2, 6, 3, 7);
    const l23 = i32x4.shuffle(s2, s3, 0, 4, 1, 5);
    const h23 = i32x4.shuffle(s2, s3, 2, 6, 3, 7);
    if (zp) {
      // bytes 4i + t: zero point of row i at group g + t; each group's four bytes zero-extended
      const zg = zp + <usize>g;
      let zb = v128.load32_zero(zg);
      zb = v128.load32_lane(zg + sstride, zb, 1);
      zb = v128.load32_lane(zg + 2 * sstride, zb, 2);
      zb = v128.load32_lane(zg + 3 * sstride, zb, 3);
      z0 = i8x16.shuffle(zb, zero, 0, 16, 16, 16, 4, 16, 16, 16, 8, 16, 16, 16, 12, 16, 16, 16);
      z1 = i8x16.shuffle(zb, zero, 1, 16, 16, 16, 5, 16, 16, 16, 9, 16, 16, 16, 13, 16, 16, 16);
      z2 = i8x16.shuffle(zb, zero, 2, 16, 16, 16, 6, 16, 16, 16, 10, 16, 16, 16, 14, 16, 16, 16);
      z3 = i8x16.shuffle(zb, zero, 3, 16, 16, 16, 7, 16, 16, 16, 11, 16, 16, 16, 15, 16, 16, 16);
    }
    const o = tmp + (<usize>g << 5);
    const xg = xs + (<usize>g << 2);
    const qg = qsum + (<usize>g << 2);
    v128.store(o, f32x4.mul(i32x4.shuffle(l01, l23, 0, 1, 4, 5), f32x4.splat(load<f32>(xg))));
    v128.store(o, i32x4.mul(z0, i32x4.splat(load<i32>(qg))), 16);
    v128.store(o, f32x4.mul(i32x4.shuffle(l01, l23, 2, 3, 6, 7), f32x4.splat(load<f32>(xg, 4))), 32);
    v128.store(o, i32x4.mul(z1, i32x4.splat(load<i32>(qg, 4))), 48);
    v128.store(o, f32x4.mul(i32x4.shuffle(h01, h23, 0, 1, 4, 5), f32x4.splat(load<f32>(xg, 8))), 64);
    v128.store(o, i32x4.mul(z2, i32x4.splat(load<i32>(qg, 8))), 80);
    v128.store(o, f32x4.mul(i32x4.shuffle(h01, h23, 2, 3, 6, 7), f32x4.splat(load<f32>(xg, 12))), 96);
    v128.store(o, i32x4.mul(z3, i32x4.splat(load<i32>(qg, 12))), 112);
  }
  for (; g < nGroups; g++) {
    const z4 = zp ? zeros4(zp + <usize>g, sstride) : z0;
    const o = tmp + (<usize>g << 5);
    v128.store(o, f32x4.mul(scales4(sp, ss, g), f32x4.splat(load<f32>(xs + (<usize>g << 2)))));
    v128.store(o, i32x4.mul(z4, i32x4.splat(load<i32>(qsum + (<usize>g << 2)))), 16);
  }
}

/**
 * dotI8x4 for fused weights of 2-4 bits (LAYOUT_QUAD, pre-scaled activations): each activation
 * vector is loaded once per chunk and used by the four rows. Same integer sums, same float sequence
 * per lane as dotI8, so the bits are identical. eo: the token's LAYOUT_PAIRS copy of 4-bit weights,
 * read on the relaxed build (PAIRS_I8) when every group is whole chunks; 0: none.
 */
export function dotI8x4Quad(r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize, eo: usize): void {
  // one function per width, so each has its loads and masks fixed (and V8 compiles each alone)
  if (W_bits == 4) quadRows4(r, xq, xs, qsum, out, ostride, eo);
  else if (W_bits == 3) quadRows3(r, xq, xs, qsum, out, ostride);
  else quadRows2(r, xq, xs, qsum, out, ostride);
}

function quadRows4(r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize, eo: usize): void {
  quadRows(4, r, xq, xs, qsum, out, ostride, eo);
}

function quadRows3(r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize): void {
  quadRows(3, r, xq, xs, qsum, out, ostride, 0);
}

function quadRows2(r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize): void {
  quadRows(2, r, xq, xs, qsum, out, ostride, 0);
}

/** dotI8x4Quad for `bits` (a literal). */
// @ts-ignore: decorator
@inline function quadRows(bits: i32, r: i32, xq: usize, xs: usize, qsum: usize, out: usize, ostride: usize, eo: usize): void {
  const k = W_k;
  const gs = W_gs;
  if (k % gs == 0) {
    // the group terms go to the call's decoded-row buffer (quant.ts begin: after the planes, k f32),
    // which the int8 path leaves unused; they take 32 bytes per group of at least 32 columns
    const tmp = W_planes + PLANE_BYTES;
    if (PAIRS_I8 && bits == 4 && eo) {
      // relaxed build: the LAYOUT_PAIRS copy of the token (quant-pairs.ts), same bits
      if (gs == 128) return pairGroups(4, r, eo, xs, qsum, out, ostride, tmp);
      if (gs == 64) return pairGroups(2, r, eo, xs, qsum, out, ostride, tmp);
      if (gs == 32) return pairGroups(1, r, eo, xs, qsum, out, ostride, tmp);
    }
    if (gs == 128) return quadGroups(bits, 4, r, xq, xs, qsum, out, ostride, tmp);
    if (gs == 64) return quadGroups(bits, 2, r, xq, xs, qsum, out, ostride, tmp);
    if (gs == 32) return quadGroups(bits, 1, r, xq, xs, qsum, out, ostride, tmp);
  }
  const rb = <usize>W_rowBytes;
  const row0 = W_codes + <usize>r * rb;
  const sstride = <usize>W_sstride;
  const srow: usize = W_scales + ((<usize>r * sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * sstride : 0;
  const k0 = quadMask(bits, 0);
  const k1 = quadMask(bits, 1);
  const k2 = quadMask(bits, 2);
  const k3 = quadMask(bits, 3);
  const spread = v128.load(CONSTS + C_SPREAD3);
  const symZero = i32x4.splat(1 << (bits - 1));
  let y = f32x4.splat(0);
  let b = 0;
  let g = 0;
  for (let j0 = 0; j0 < k; j0 += gs, g++) {
    const j1 = min(k, j0 + gs);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : CHUNK;
    const s4 = scales4(srow, sstride << 2, g);
    let z4 = symZero;
    if (zrow) {
      const zp = zrow + <usize>g;
      z4 = i32x4.replace_lane(z4, 0, <i32>load<u8>(zp));
      z4 = i32x4.replace_lane(z4, 1, <i32>load<u8>(zp + sstride));
      z4 = i32x4.replace_lane(z4, 2, <i32>load<u8>(zp + 2 * sstride));
      z4 = i32x4.replace_lane(z4, 3, <i32>load<u8>(zp + 3 * sstride));
    }
    for (let b0 = j0; b0 < j1; b0 += step, b++) {
      const b1 = min(j1, b0 + step);
      let a0 = i32x4.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let j = b0;
      for (; j + 32 <= b1; j += 32) {
        const p = row0 + <usize>((j * bits) >> 3);
        const q = xq + (<usize>j << 1);
        const x0 = v128.load(q);
        const x1 = v128.load(q, 16);
        const x2 = v128.load(q, 32);
        const x3 = v128.load(q, 48);
        a0 = i32x4.add(a0, quadDot(bits, quadLanes(p, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
        a1 = i32x4.add(a1, quadDot(bits, quadLanes(p + rb, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
        a2 = i32x4.add(a2, quadDot(bits, quadLanes(p + 2 * rb, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
        a3 = i32x4.add(a3, quadDot(bits, quadLanes(p + 3 * rb, bits, spread), x0, x1, x2, x3, k0, k1, k2, k3));
      }
      // every lane is a multiple of 2^S (pre-scaled activations): exact shift back
      let isum = i32x4.shr_s(hsum4I(a0, a1, a2, a3), quadScale(bits));
      if (j < b1) {
        let t0 = 0;
        let t1 = 0;
        let t2 = 0;
        let t3 = 0;
        for (; j < b1; j++) {
          const qj = <i32>load<i16>(xq + (<usize>j << 1));
          t0 += readCode(row0, bits, j) * qj;
          t1 += readCode(row0 + rb, bits, j) * qj;
          t2 += readCode(row0 + 2 * rb, bits, j) * qj;
          t3 += readCode(row0 + 3 * rb, bits, j) * qj;
        }
        let t = i32x4.splat(t0);
        t = i32x4.replace_lane(t, 1, t1);
        t = i32x4.replace_lane(t, 2, t2);
        t = i32x4.replace_lane(t, 3, t3);
        isum = i32x4.add(isum, t);
      }
      isum = i32x4.sub(isum, i32x4.mul(z4, i32x4.splat(load<i32>(qsum + (<usize>b << 2)))));
      y = f32x4.add(y, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs + (<usize>b << 2)))), f32x4.convert_i32x4_s(isum)));
    }
  }
  storeRows4(out, ostride, y);
}
