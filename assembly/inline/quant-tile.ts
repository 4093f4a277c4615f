/**
 * The int8-activation product for many tokens (qgemv_i8 with m >= I8_TILE_MIN_TOKENS): the codes of
 * four rows are unpacked once into i16 vectors exactly as the GEMV loops mask them (quant-dot.ts:
 * in place, matching the pre-scaled token layouts of quant-core.ts), then a 4-row x 2-token register
 * tile runs over them: per 8 columns 4 code loads + 2 activation loads feed 8 i32x4.dot_i16x8_s,
 * against 4 code unpacks per 32 columns and token in the GEMV loop.
 * (Checked in V8's x64 code: a chunk-unrolled tile spills; this loop does not.)
 *
 * Same integer sums and the same float sequence per (row, token) as dotI8 (the reference's), so the
 * results are bit-identical to it whatever the tiling.
 */
import { ACT_BLOCK_MAX, CHUNK, CONSTS, C_NIB1, C_NIB2, W_bits, W_codes, W_gs, W_k, W_rowBytes, W_scales, W_sstride, W_zeros, laneMaskOf, loadChunk, maskOf, readCode } from './quant-core';
import { hsum4I, scales4 } from './quant-dot';

/**
 * From this many tokens on, qgemv_i8 runs the unpacked tiles: unpacking a quad costs about one
 * token's GEMV pass over it, which the 2-token tiles win back after a few tokens (not tuned).
 */
export const I8_TILE_MIN_TOKENS: i32 = 4;

/** Bytes of the unpacked codes of four rows: 4 x 64 bytes per full 32-column chunk. */
export function quadBytes(k: i32): usize {
  return <usize>(k >> 5) << 8;
}

/**
 * Unpacks the full 32-column chunks of rows r..r+3 (fused weight) into dst: chunk c, vector t,
 * row i at dst + ((c * 4 + t) * 4 + i) * 16 (so the 8-column steps of a tile read 64 contiguous
 * bytes, step after step), each 8 i16 codes as the GEMV loops mask them
 * (4 bits: nibble t in place; 1-3 bits: swizzled pair masked in place; 8 bits: zero-extended).
 */
export function unpackQuad(r: i32, dst: usize): void {
  const bits = W_bits;
  const rb = <usize>W_rowBytes;
  const nChunks = W_k >> 5;
  if (bits == 4) {
    const m0 = v128.load(CONSTS, 16);
    const n1 = v128.load(CONSTS + C_NIB1);
    const n2 = v128.load(CONSTS + C_NIB2);
    for (let i = 0; i < 4; i++) {
      const row = W_codes + (<usize>(r + i)) * rb;
      for (let c = 0; c < nChunks; c++) {
        const v = v128.load(row + (<usize>c << 4));
        const d = dst + (<usize>c << 8) + (<usize>i << 4);
        v128.store(d, v128.and(v, m0));
        v128.store(d, v128.and(v, n1), 64);
        v128.store(d, v128.and(v, n2), 128);
        v128.store(d, i16x8.shr_u(v, 12), 192);
      }
    }
  } else if (bits == 8) {
    for (let i = 0; i < 4; i++) {
      const row = W_codes + (<usize>(r + i)) * rb;
      for (let c = 0; c < nChunks; c++) {
        const v = v128.load(row + (<usize>c << 5));
        const w = v128.load(row + (<usize>c << 5), 16);
        const d = dst + (<usize>c << 8) + (<usize>i << 4);
        v128.store(d, i16x8.extend_low_i8x16_u(v));
        v128.store(d, i16x8.extend_high_i8x16_u(v), 64);
        v128.store(d, i16x8.extend_low_i8x16_u(w), 128);
        v128.store(d, i16x8.extend_high_i8x16_u(w), 192);
      }
    }
  } else {
    const mk0 = maskOf(bits, 0);
    const mk1 = maskOf(bits, 1);
    const mk2 = maskOf(bits, 2);
    const mk3 = maskOf(bits, 3);
    const lm = laneMaskOf(bits);
    for (let i = 0; i < 4; i++) {
      const row = W_codes + (<usize>(r + i)) * rb;
      for (let c = 0; c < nChunks; c++) {
        const v = loadChunk(row + <usize>(c * 4 * bits), bits);
        const d = dst + (<usize>c << 8) + (<usize>i << 4);
        v128.store(d, v128.and(i8x16.swizzle(v, mk0), lm));
        v128.store(d, v128.and(i8x16.swizzle(v, mk1), lm), 64);
        v128.store(d, v128.and(i8x16.swizzle(v, mk2), lm), 128);
        v128.store(d, v128.and(i8x16.swizzle(v, mk3), lm), 192);
      }
    }
  }
}

/**
 * Rows r..r+3 times tokens i and i + 1 (prepared by prepXI8: codes xq0 / xq1, block scales xs0 / xs1,
 * block code sums qs0 / qs1) over the unpacked codes at u. Writes y[i, r..r+3] at out0 and
 * y[i + 1, r..r+3] at out1 (f32, contiguous).
 */
export function dotI8Tile(r: i32, u: usize, xq0: usize, xs0: usize, qs0: usize, xq1: usize, xs1: usize, qs1: usize, out0: usize, out1: usize): void {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const kFull = k & ~31;
  const rb = <usize>W_rowBytes;
  const row0 = W_codes + <usize>r * rb;
  const sstride = <usize>W_sstride;
  const srow: usize = W_scales + ((<usize>r * sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * sstride : 0;
  // products are 256 c x (4 bits), 128 c x (1-3 bits) or c x (8 bits): see quant-core.ts layouts
  const shift = bits == 4 ? 8 : bits < 4 ? 7 : 0;
  const symZero = i32x4.splat(1 << (bits - 1));
  let y0 = f32x4.splat(0);
  let y1 = y0;
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
      const bEnd = min(b1, kFull);
      let a00 = i32x4.splat(0);
      let a10 = a00;
      let a20 = a00;
      let a30 = a00;
      let a01 = a00;
      let a11 = a00;
      let a21 = a00;
      let a31 = a00;
      // one 8-column step per iteration: 4 rows' codes (64 contiguous bytes) x 2 tokens; a loop
      // rather than an unrolled chunk keeps the live vectors (8 sums, 2 tokens) in registers
      let w = u + (<usize>b0 << 3);
      let p0 = xq0 + (<usize>b0 << 1);
      let p1 = xq1 + (<usize>b0 << 1);
      const pEnd = xq0 + (<usize>bEnd << 1);
      for (; p0 < pEnd; p0 += 16, p1 += 16, w += 64) {
        const x0 = v128.load(p0);
        const x1 = v128.load(p1);
        let c = v128.load(w);
        a00 = i32x4.add(a00, i32x4.dot_i16x8_s(c, x0));
        a01 = i32x4.add(a01, i32x4.dot_i16x8_s(c, x1));
        c = v128.load(w, 16);
        a10 = i32x4.add(a10, i32x4.dot_i16x8_s(c, x0));
        a11 = i32x4.add(a11, i32x4.dot_i16x8_s(c, x1));
        c = v128.load(w, 32);
        a20 = i32x4.add(a20, i32x4.dot_i16x8_s(c, x0));
        a21 = i32x4.add(a21, i32x4.dot_i16x8_s(c, x1));
        c = v128.load(w, 48);
        a30 = i32x4.add(a30, i32x4.dot_i16x8_s(c, x0));
        a31 = i32x4.add(a31, i32x4.dot_i16x8_s(c, x1));
      }
      let i0 = i32x4.shr_s(hsum4I(a00, a10, a20, a30), shift);
      let i1 = i32x4.shr_s(hsum4I(a01, a11, a21, a31), shift);
      if (bEnd < b1) {
        // columns past the last full chunk: natural order, unscaled
        for (let j = bEnd; j < b1; j++) {
          const q0 = <i32>load<i16>(xq0 + (<usize>j << 1));
          const q1 = <i32>load<i16>(xq1 + (<usize>j << 1));
          const c = i32x4.replace_lane(
            i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(readCode(row0, bits, j)), 1, readCode(row0 + rb, bits, j)), 2, readCode(row0 + 2 * rb, bits, j)),
            3,
            readCode(row0 + 3 * rb, bits, j),
          );
          i0 = i32x4.add(i0, i32x4.mul(c, i32x4.splat(q0)));
          i1 = i32x4.add(i1, i32x4.mul(c, i32x4.splat(q1)));
        }
      }
      const bo = <usize>b << 2;
      i0 = i32x4.sub(i0, i32x4.mul(z4, i32x4.splat(load<i32>(qs0 + bo))));
      i1 = i32x4.sub(i1, i32x4.mul(z4, i32x4.splat(load<i32>(qs1 + bo))));
      y0 = f32x4.add(y0, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs0 + bo))), f32x4.convert_i32x4_s(i0)));
      y1 = f32x4.add(y1, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs1 + bo))), f32x4.convert_i32x4_s(i1)));
    }
  }
  v128.store(out0, y0);
  v128.store(out1, y1);
}
