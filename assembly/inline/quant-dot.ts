/**
 * Row dot products of the packed GEMV kernels, on the weight set by `setWeight` (quant-core.ts).
 *
 * f32 activations (fused rows): per group g, acc = sum_j c_j x_j over full 32-column chunks in f32x4
 * lanes (4 independent accumulators), then y += s_g * acc - s_g * z_g * sum_g(x) (the zero point is
 * folded with the per-token group sums, computed once per call). Table formats: y += s_g * sum_j
 * table[c_j] x_j, the 16 values gathered with byte-plane swizzles. Columns past the last full chunk
 * of a group are scalar. Other weights (VQ codebooks, groups that are not whole chunks) decode the
 * row to f32 first (decodeRow) and take a plain dot.
 *
 * int8 activations: codes widened to i16 and multiplied with i32x4.dot_i16x8_s against the int8
 * activations (stored as i16 in the kernel layout), i32 sums per activation block, then the exact
 * f32 sequence of the reference (src/kernels/js/quant.ts): y = y + (s_g * xs_b) * f32(isum_b).
 *
 * Accumulators: f32 (f32 path), i32 (int8 path; |isum| < 2^24 for blocks of <= 128 columns).
 */
import {
  ACT_BLOCK_MAX, CHUNK, W_bits, W_codes, W_fused, W_gs, W_k, W_rowBytes, W_scales, W_sstride,
  W_zeros, W_planes, codes8, loadChunk, maskOf, mulOf, nibbleOrder, pairHi, pairLo, readCode, wordsHi, wordsLo,
} from './quant-core';

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

/** Position of column j in the kernel layout of x (see quant-core.ts): nibble order inside full chunks. */
// @ts-ignore: decorator
@inline export function layoutPos(j: i32, kFull: i32, nibble: bool): i32 {
  if (!nibble || j >= kFull) return j;
  return (j & ~31) + ((j & 1) << 4) + ((j & 31) >> 1);
}

/** Copies one token's x (natural, k f32) into the kernel layout at xp. */
export function prepX(x: usize, xp: usize): void {
  const k = W_k;
  const nib = nibbleOrder();
  const kFull = k & ~31;
  for (let j = 0; j < k; j++) store<f32>(xp + (<usize>layoutPos(j, kFull, nib) << 2), load<f32>(x + (<usize>j << 2)));
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

/** Fused f32 dot of row r (affine codes) with a token in the kernel layout (xp) and its group sums. */
export function dotAffineF32(r: i32, xp: usize, sx: usize): f32 {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const row = W_codes + <usize>r * <usize>W_rowBytes;
  const srow: usize = W_scales + ((<usize>r * <usize>W_sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * <usize>W_sstride : 0;
  const m4 = i8x16.splat(0x0f);
  const mk0 = maskOf(bits, 0);
  const mk1 = maskOf(bits, 1);
  const mk2 = maskOf(bits, 2);
  const mk3 = maskOf(bits, 3);
  const mul = mulOf(bits);
  const cmask: i32 = (1 << bits) - 1;
  const cm = i16x8.splat(<i16>cmask);
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
    if (bits == 4) {
      for (; j + 32 <= j1; j += 32) {
        const v = v128.load(row + <usize>(j >> 1));
        const lo = v128.and(v, m4);
        const hi = i8x16.shr_u(v, 4);
        const xq = xp + (<usize>j << 2);
        const l0 = i16x8.extend_low_i8x16_u(lo);
        const l1 = i16x8.extend_high_i8x16_u(lo);
        const h0 = i16x8.extend_low_i8x16_u(hi);
        const h1 = i16x8.extend_high_i8x16_u(hi);
        a0 = madd(a0, cvtLo(l0), v128.load(xq));
        a1 = madd(a1, cvtHi(l0), v128.load(xq, 16));
        a2 = madd(a2, cvtLo(l1), v128.load(xq, 32));
        a3 = madd(a3, cvtHi(l1), v128.load(xq, 48));
        a0 = madd(a0, cvtLo(h0), v128.load(xq, 64));
        a1 = madd(a1, cvtHi(h0), v128.load(xq, 80));
        a2 = madd(a2, cvtLo(h1), v128.load(xq, 96));
        a3 = madd(a3, cvtHi(h1), v128.load(xq, 112));
      }
    } else if (bits == 8) {
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
    } else {
      for (; j + 32 <= j1; j += 32) {
        const xq = xp + (<usize>j << 2);
        const v = loadChunk(row + <usize>((j * bits) >> 3), bits);
        const c0 = codes8(v, mk0, mul, cm);
        const c1 = codes8(v, mk1, mul, cm);
        const c2 = codes8(v, mk2, mul, cm);
        const c3 = codes8(v, mk3, mul, cm);
        a0 = madd(a0, cvtLo(c0), v128.load(xq));
        a1 = madd(a1, cvtHi(c0), v128.load(xq, 16));
        a2 = madd(a2, cvtLo(c1), v128.load(xq, 32));
        a3 = madd(a3, cvtHi(c1), v128.load(xq, 48));
        a0 = madd(a0, cvtLo(c2), v128.load(xq, 64));
        a1 = madd(a1, cvtHi(c2), v128.load(xq, 80));
        a2 = madd(a2, cvtLo(c3), v128.load(xq, 96));
        a3 = madd(a3, cvtHi(c3), v128.load(xq, 112));
      }
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
  const m4 = i8x16.splat(0x0f);
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
      let b0 = i8x16.swizzle(p0, c);
      let b1 = i8x16.swizzle(p1, c);
      let b2 = i8x16.swizzle(p2, c);
      let b3 = i8x16.swizzle(p3, c);
      let wl = pairLo(b0, b1);
      let wh = pairLo(b2, b3);
      a0 = madd(a0, wordsLo(wl, wh), v128.load(xq));
      a1 = madd(a1, wordsHi(wl, wh), v128.load(xq, 16));
      wl = pairHi(b0, b1);
      wh = pairHi(b2, b3);
      a2 = madd(a2, wordsLo(wl, wh), v128.load(xq, 32));
      a3 = madd(a3, wordsHi(wl, wh), v128.load(xq, 48));
      c = i8x16.shr_u(v, 4);
      b0 = i8x16.swizzle(p0, c);
      b1 = i8x16.swizzle(p1, c);
      b2 = i8x16.swizzle(p2, c);
      b3 = i8x16.swizzle(p3, c);
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
    for (; j < j1; j++) {
      const c = readCode(row, 4, j);
      // the plane bytes of value c, reassembled
      const bitsOf =
        <u32>load<u8>(W_planes + <usize>c) |
        (<u32>load<u8>(W_planes + 16 + <usize>c) << 8) |
        (<u32>load<u8>(W_planes + 32 + <usize>c) << 16) |
        (<u32>load<u8>(W_planes + 48 + <usize>c) << 24);
      t += reinterpret<f32>(bitsOf) * load<f32>(xp + (<usize>j << 2));
    }
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

/**
 * Quantizes one token (natural f32 x) per activation block into xq (i16, kernel layout), block
 * scales xs (f32) and block sums of the codes qsum (i32), exactly as the reference.
 */
export function prepXI8(x: usize, xq: usize, xs: usize, qsum: usize): void {
  const k = W_k;
  const gs = W_gs;
  const nib = nibbleOrder();
  const kFull = k & ~31;
  let b = 0;
  for (let j0 = 0; j0 < k; j0 += gs) {
    const j1 = min(k, j0 + gs);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : CHUNK;
    for (let b0 = j0; b0 < j1; b0 += step, b++) {
      const b1 = min(j1, b0 + step);
      let amax: f32 = 0;
      for (let j = b0; j < b1; j++) amax = max(amax, abs(load<f32>(x + (<usize>j << 2))));
      let sum = 0;
      if (amax == 0) {
        store<f32>(xs + (<usize>b << 2), 0);
        for (let j = b0; j < b1; j++) store<i16>(xq + (<usize>layoutPos(j, kFull, nib) << 1), 0);
      } else {
        store<f32>(xs + (<usize>b << 2), amax / <f32>127);
        const inv: f32 = <f32>127 / amax;
        for (let j = b0; j < b1; j++) {
          const q = <i32>min(<f32>127, max(<f32>-127, nearest(load<f32>(x + (<usize>j << 2)) * inv)));
          sum += q;
          store<i16>(xq + (<usize>layoutPos(j, kFull, nib) << 1), <i16>q);
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
  const m4 = i8x16.splat(0x0f);
  const mk0 = maskOf(bits, 0);
  const mk1 = maskOf(bits, 1);
  const mk2 = maskOf(bits, 2);
  const mk3 = maskOf(bits, 3);
  const mul = mulOf(bits);
  const cmask: i32 = (1 << bits) - 1;
  const cm = i16x8.splat(<i16>cmask);
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
        if (bits == 4) {
          for (; j + 32 <= b1; j += 32) {
            const v = v128.load(row + <usize>(j >> 1));
            const lo = v128.and(v, m4);
            const hi = i8x16.shr_u(v, 4);
            const q = xq + (<usize>j << 1);
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(lo), v128.load(q)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(lo), v128.load(q, 16)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(hi), v128.load(q, 32)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(hi), v128.load(q, 48)));
          }
        } else if (bits == 8) {
          for (; j + 32 <= b1; j += 32) {
            const v = v128.load(row + <usize>j);
            const w = v128.load(row + <usize>j, 16);
            const q = xq + (<usize>j << 1);
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), v128.load(q)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), v128.load(q, 16)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(w), v128.load(q, 32)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(w), v128.load(q, 48)));
          }
        } else {
          for (; j + 32 <= b1; j += 32) {
            const v = loadChunk(row + <usize>((j * bits) >> 3), bits);
            const q = xq + (<usize>j << 1);
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(codes8(v, mk0, mul, cm), v128.load(q)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(codes8(v, mk1, mul, cm), v128.load(q, 16)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(codes8(v, mk2, mul, cm), v128.load(q, 32)));
            acc = i32x4.add(acc, i32x4.dot_i16x8_s(codes8(v, mk3, mul, cm), v128.load(q, 48)));
          }
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
