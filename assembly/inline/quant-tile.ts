/**
 * The int8-activation product for many tokens (qgemv_i8 with m >= I8_TILE_MIN_TOKENS), blocked like
 * a GEMM so that the hot loop reads L1 and L2 only. W is cut into column slices of whole groups
 * (about I8_SLICE_COLS columns); for each slice and each quad of four rows, the slice's codes are
 * unpacked once into i16 vectors as the GEMV loops mask them (quant-dot.ts: in place, matching the
 * pre-scaled token layouts of quant-core.ts) with the zero point already subtracted (8 KiB that stay
 * in L1), plus the quad's scales per group. Then a 4-row x 2-token register tile runs over them for
 * every token pair of the token block, whose activations of the slice (I8_TOKEN_BLOCK_BYTES) stay
 * in L2: per 8 columns 4 code loads + 2 activation loads feed 8 i32x4.dot_i16x8_s.
 * The lean path (groups of whole chunks, up to ACT_BLOCK_MAX columns) interleaves each token pair's
 * activations per slice first, so the tile walks two pointers, and its per-group work is the
 * transpose-add of the sums and the float update only.
 * (Checked in V8's x64 code: a chunk-unrolled tile spills; this loop does not.)
 *
 * Same integer sums and the same float sequence per (row, token) as dotI8, the reference's: the
 * integer sum (c - z) x equals sum c x - z sum x exactly (no i32 overflow either way), then y = 0
 * and y + (s x_s) isum block after block; a slice ends on a group boundary and the next continues
 * from the y it stored, so results are bit-identical whatever the slicing or the row split.
 */
import { ACT_BLOCK_MAX, CHUNK, CONSTS, C_SPREAD3, W_bits, W_codes, W_gs, W_k, W_nGroups, W_rowBytes, W_scales, W_sstride, W_zeros, quadField, quadLanes, quadMask, quadScale, readCode } from './quant-core';
import { dotI8x4, dotI8x4Quad, hsum4I, scales4 } from './quant-dot';

/**
 * From this many tokens on, qgemv_i8 runs the unpacked tiles: unpacking a quad costs about one
 * token's GEMV pass over it, which the 2-token tiles win back after a few tokens (not tuned).
 */
export const I8_TILE_MIN_TOKENS: i32 = 4;

/** Columns of a slice (whole groups; a single larger group is its own slice): 4 x 1024 i16 codes = 8 KiB. */
const I8_SLICE_COLS: i32 = 1024;

/** Bytes of int8 activations (as i16) of one slice of a token block: half an L2. */
const I8_TOKEN_BLOCK_BYTES: i32 = 256 << 10;

/** Groups per slice for group size gs. */
// @ts-ignore: decorator
@inline function sliceGroups(gs: i32): i32 {
  return max(1, I8_SLICE_COLS / gs);
}

/** Columns of a full slice. */
// @ts-ignore: decorator
@inline function sliceColumns(k: i32, gs: i32): i32 {
  return min(k, sliceGroups(gs) * gs);
}

/** Tokens per token block (even): the block's activations of one slice fill I8_TOKEN_BLOCK_BYTES. */
// @ts-ignore: decorator
@inline function tokenBlock(k: i32, gs: i32): i32 {
  return max(2, I8_TOKEN_BLOCK_BYTES / (sliceColumns(k, gs) << 1)) & ~1;
}

/**
 * Whether the tiles take the lean path: every activation block is a whole group of full 32-column
 * chunks (groups of a multiple of 32 up to ACT_BLOCK_MAX columns, k a multiple of the group), the
 * common layouts. The lean tile walks gs / 8 steps per group, so a ragged last group (k = 96 in
 * groups of 64, or one group of 128 over k = 64) must take the general tile.
 */
// @ts-ignore: decorator
@inline function leanTiles(k: i32, gs: i32): bool {
  return gs <= ACT_BLOCK_MAX && (gs & 31) == 0 && k % gs == 0;
}

/**
 * Scratch bytes of the tiles for m tokens (besides the 16-byte alignment): the unpacked codes of one
 * slice of a quad (4 x 64 bytes per full 32-column chunk), its scales and zero points (32 bytes per
 * group) and, on the lean path, the token pairs of a token block interleaved for the slice.
 */
export function quadBytes(k: i32, gs: i32, m: i32): usize {
  const cols = sliceColumns(k, gs);
  let bytes = (<usize>(cols >> 5) << 8) + (<usize>sliceGroups(gs) << 5);
  if (leanTiles(k, gs)) bytes += <usize>min(tokenBlock(k, gs), m & ~1) * (<usize>cols << 1);
  return bytes;
}

/** Zero point of row `row` in group g (the symmetric 2^(bits-1) without stored zeros). */
// @ts-ignore: decorator
@inline function zeroOf(row: i32, g: i32): i32 {
  return W_zeros ? <i32>load<u8>(W_zeros + <usize>row * <usize>W_sstride + <usize>g) : 1 << (W_bits - 1);
}

/**
 * Unpacks the full 32-column chunks of groups [g0, g1) of rows r..r+3 (fused weight) into dst:
 * chunk c (from the slice's first), vector t, row i at dst + ((c * 4 + t) * 4 + i) * 16 (so the
 * 8-column steps of a tile read 64 contiguous bytes, step after step), each 8 i16 values as the
 * GEMV loops mask the codes (2-4 bits: field t in place, quadField; 8 bits: zero-extended) minus
 * the zero point scaled the same way: the tiles sum (c - z) x directly, which equals the
 * reference's sum c x - z sum x exactly (integers that fit i32 either way). Ranges: 4 bits
 * 256 (c - z) within +-3840 (i8TilesFit), 2-3 bits 2^e (c - z), e <= 7, within i16 for any u8 zero,
 * 8 bits +-255.
 */
function unpackQuad(r: i32, dst: usize, g0: i32, g1: i32): void {
  const bits = W_bits;
  const gs = W_gs;
  const rb = <usize>W_rowBytes;
  const ch0 = (g0 * gs) >> 5;
  const chFull = W_k >> 5;
  if (bits == 4) unpackQuadWidth(4, r, dst, g0, g1, ch0, chFull);
  else if (bits == 3) unpackQuadWidth(3, r, dst, g0, g1, ch0, chFull);
  else if (bits == 2) unpackQuadWidth(2, r, dst, g0, g1, ch0, chFull);
  else {
    for (let i = 0; i < 4; i++) {
      const row = W_codes + (<usize>(r + i)) * rb;
      for (let g = g0; g < g1; g++) {
        const z = i16x8.splat(<i16>zeroOf(r + i, g));
        const cEnd = min(chFull, ((g + 1) * gs) >> 5);
        for (let c = (g * gs) >> 5; c < cEnd; c++) {
          const v = v128.load(row + (<usize>c << 5));
          const w = v128.load(row + (<usize>c << 5), 16);
          const d = dst + (<usize>(c - ch0) << 8) + (<usize>i << 4);
          v128.store(d, i16x8.sub(i16x8.extend_low_i8x16_u(v), z));
          v128.store(d, i16x8.sub(i16x8.extend_high_i8x16_u(v), z), 64);
          v128.store(d, i16x8.sub(i16x8.extend_low_i8x16_u(w), z), 128);
          v128.store(d, i16x8.sub(i16x8.extend_high_i8x16_u(w), z), 192);
        }
      }
    }
  }
}

/** unpackQuad for codes of `bits` = 2, 3 or 4 (a literal): the fields of quadDot, each minus z 2^e. */
// @ts-ignore: decorator
@inline function unpackQuadWidth(bits: i32, r: i32, dst: usize, g0: i32, g1: i32, ch0: i32, chFull: i32): void {
  const gs = W_gs;
  const rb = <usize>W_rowBytes;
  const k0 = quadMask(bits, 0);
  const k1 = quadMask(bits, 1);
  const k2 = quadMask(bits, 2);
  const k3 = quadMask(bits, 3);
  const spread = v128.load(CONSTS + C_SPREAD3);
  // field t's unit 2^e per lane: the lowest set bit of its mask
  const e0 = v128.and(k0, i16x8.neg(k0));
  const e1 = v128.and(k1, i16x8.neg(k1));
  const e2 = v128.and(k2, i16x8.neg(k2));
  const e3 = v128.and(k3, i16x8.neg(k3));
  for (let i = 0; i < 4; i++) {
    const row = W_codes + (<usize>(r + i)) * rb;
    for (let g = g0; g < g1; g++) {
      const z = i16x8.splat(<i16>zeroOf(r + i, g));
      const z0 = i16x8.mul(z, e0);
      const z1 = i16x8.mul(z, e1);
      const z2 = i16x8.mul(z, e2);
      const z3 = i16x8.mul(z, e3);
      const cEnd = min(chFull, ((g + 1) * gs) >> 5);
      for (let c = (g * gs) >> 5; c < cEnd; c++) {
        const v = quadLanes(row + <usize>(c * (bits << 2)), bits, spread);
        const d = dst + (<usize>(c - ch0) << 8) + (<usize>i << 4);
        v128.store(d, i16x8.sub(quadField(bits, v, 0, k0, k1, k2, k3), z0));
        v128.store(d, i16x8.sub(quadField(bits, v, 1, k0, k1, k2, k3), z1), 64);
        v128.store(d, i16x8.sub(quadField(bits, v, 2, k0, k1, k2, k3), z2), 128);
        v128.store(d, i16x8.sub(quadField(bits, v, 3, k0, k1, k2, k3), z3), 192);
      }
    }
  }
}

/**
 * The scales (f32x4, lane i = row r + i) and zero points (i32x4, for dotI8Tile's ragged last chunk)
 * of groups [g0, g1) of rows r..r+3 at sz, 32 bytes per group.
 */
function quadParams(r: i32, sz: usize, g0: i32, g1: i32): void {
  const sstride = <usize>W_sstride;
  const srow: usize = W_scales + ((<usize>r * sstride) << 2);
  const zrow: usize = W_zeros ? W_zeros + <usize>r * sstride : 0;
  const symZero = i32x4.splat(1 << (W_bits - 1));
  for (let g = g0; g < g1; g++) {
    let z4 = symZero;
    if (zrow) {
      const zp = zrow + <usize>g;
      z4 = i32x4.replace_lane(z4, 0, <i32>load<u8>(zp));
      z4 = i32x4.replace_lane(z4, 1, <i32>load<u8>(zp + sstride));
      z4 = i32x4.replace_lane(z4, 2, <i32>load<u8>(zp + 2 * sstride));
      z4 = i32x4.replace_lane(z4, 3, <i32>load<u8>(zp + 3 * sstride));
    }
    const d = sz + (<usize>(g - g0) << 5);
    v128.store(d, scales4(srow, sstride << 2, g));
    v128.store(d, z4, 16);
  }
}

/**
 * Rows r..r+3 times tokens i and i + 1 (prepared by prepXI8: codes xq0 / xq1, block scales xs0 / xs1)
 * over groups [g0, g1), whose unpacked codes are at u and scales and zero points at sz (any group
 * layout: blocks of CHUNK columns in groups past ACT_BLOCK_MAX, a ragged last chunk read from the
 * packed codes). y[i, r..r+3] at out0 and y[i + 1, r..r+3] at out1 (f32, contiguous): started from
 * 0 when g0 = 0, else from the values there (the previous slice's).
 */
function dotI8Tile(r: i32, u: usize, sz: usize, g0: i32, g1: i32, xq0: usize, xs0: usize, xq1: usize, xs1: usize, out0: usize, out1: usize): void {
  const bits = W_bits;
  const k = W_k;
  const gs = W_gs;
  const kFull = k & ~31;
  const rb = <usize>W_rowBytes;
  const row0 = W_codes + <usize>r * rb;
  // products are 2^S c x (LAYOUT_QUAD, 2-4 bits) or c x (8 bits)
  const shift = bits <= 4 ? quadScale(bits) : 0;
  // blocks of the groups before g0: one per group up to ACT_BLOCK_MAX columns, else one per CHUNK
  let b = gs <= ACT_BLOCK_MAX ? g0 : g0 * ((gs + CHUNK - 1) / CHUNK);
  const c0 = g0 * gs;
  let y0 = f32x4.splat(0);
  let y1 = y0;
  if (g0 > 0) {
    y0 = v128.load(out0);
    y1 = v128.load(out1);
  }
  for (let g = g0; g < g1; g++) {
    const j0 = g * gs;
    const j1 = min(k, j0 + gs);
    const step = j1 - j0 <= ACT_BLOCK_MAX ? j1 - j0 : CHUNK;
    const pz = sz + (<usize>(g - g0) << 5);
    const s4 = v128.load(pz);
    const z4 = v128.load(pz, 16);
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
      let w = u + (<usize>(b0 - c0) << 3);
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
          i0 = i32x4.add(i0, i32x4.mul(i32x4.sub(c, z4), i32x4.splat(q0)));
          i1 = i32x4.add(i1, i32x4.mul(i32x4.sub(c, z4), i32x4.splat(q1)));
        }
      }
      const bo = <usize>b << 2;
      y0 = f32x4.add(y0, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs0 + bo))), f32x4.convert_i32x4_s(i0)));
      y1 = f32x4.add(y1, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs1 + bo))), f32x4.convert_i32x4_s(i1)));
    }
  }
  v128.store(out0, y0);
  v128.store(out1, y1);
}

/**
 * The lean tile (leanTiles): rows r..r+3 times a token pair over nG whole groups of `steps` 8-column
 * steps each, codes at u, scales at sz, the pair's activations interleaved at xp (step s: token 0 at
 * xp + 32 s, token 1 at xp + 32 s + 16), block scales of the first group at xs0 and xs1. Same
 * arithmetic as dotI8Tile with one pointer per operand stream.
 */
function dotI8TileLean(u: usize, sz: usize, nG: i32, steps: i32, xp: usize, xs0: usize, xs1: usize, out0: usize, out1: usize, first: bool): void {
  const bits = W_bits;
  let y0 = f32x4.splat(0);
  let y1 = y0;
  if (!first) {
    y0 = v128.load(out0);
    y1 = v128.load(out1);
  }
  let w = u;
  let p = xp;
  for (let g = 0; g < nG; g++) {
    let a00 = i32x4.splat(0);
    let a10 = a00;
    let a20 = a00;
    let a30 = a00;
    let a01 = a00;
    let a11 = a00;
    let a21 = a00;
    let a31 = a00;
    const pEnd = p + (<usize>steps << 5);
    for (; p < pEnd; p += 32, w += 64) {
      const x0 = v128.load(p);
      const x1 = v128.load(p, 16);
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
    let i0 = hsum4I(a00, a10, a20, a30);
    let i1 = hsum4I(a01, a11, a21, a31);
    // products are 2^S c x (LAYOUT_QUAD, 2-4 bits) or c x (8 bits)
    if (bits <= 4) {
      i0 = i32x4.shr_s(i0, quadScale(bits));
      i1 = i32x4.shr_s(i1, quadScale(bits));
    }
    const pz = sz + (<usize>g << 5);
    const s4 = v128.load(pz);
    const z4 = v128.load(pz, 16);
    const bo = <usize>g << 2;
    y0 = f32x4.add(y0, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs0 + bo))), f32x4.convert_i32x4_s(i0)));
    y1 = f32x4.add(y1, f32x4.mul(f32x4.mul(s4, f32x4.splat(load<f32>(xs1 + bo))), f32x4.convert_i32x4_s(i1)));
  }
  v128.store(out0, y0);
  v128.store(out1, y1);
}

/**
 * Interleaves the activations of columns [c0, c1) (full chunks) of the token pairs i, i + 1 for
 * i = i0, i0 + 2, .. < ie into xp (pair after pair, (c1 - c0) * 4 bytes each; layout: dotI8TileLean).
 */
function packPairs(xq: usize, qStride: usize, i0: i32, ie: i32, c0: i32, c1: i32, xp: usize): void {
  const steps = (c1 - c0) >> 3;
  let d = xp;
  for (let i = i0; i < ie; i += 2) {
    let s0 = xq + <usize>i * qStride + (<usize>c0 << 1);
    let s1 = s0 + qStride;
    for (let s = 0; s < steps; s++, s0 += 16, s1 += 16, d += 32) {
      v128.store(d, v128.load(s0));
      v128.store(d, v128.load(s1), 16);
    }
  }
}

/**
 * Whether the tiles can serve rows [r0, r1) of the current (fused) weight: 4-bit codes keep
 * 256 (c - z) in i16 only for |c - z| <= 127, which every valid zero point (at most 15) gives; a
 * weight with larger stored zeros goes through the GEMV loops, which take any u8 zero.
 */
export function i8TilesFit(r0: i32, r1: i32): bool {
  if (W_bits != 4 || !W_zeros) return true;
  const n = W_sstride == 0 ? 1 : r1 - r0;
  const z0 = W_zeros + <usize>(W_sstride == 0 ? 0 : r0) * <usize>W_sstride;
  const stride = <usize>W_sstride;
  for (let i = 0; i < n; i++) {
    const zr = z0 + <usize>i * stride;
    for (let g = 0; g < W_nGroups; g++) if (load<u8>(zr + <usize>g) > 15) return false;
  }
  return true;
}

/**
 * y[i, r] for the m tokens prepared by qprep_i8 (codes at xq, block scales at xs, block sums at qs;
 * token strides qStride and bStride bytes) and the quads of rows [r0, rq) (rq - r0 a multiple of 4),
 * fused weight; y row i at y + 4 * i * rsy. scratch: quadBytes bytes, 16-byte aligned.
 * Token blocks x slices x quads x token pairs; an odd last token of a block runs the GEMV loop of
 * its quad once the block's slices are done (whole k, the same results).
 */
export function i8Tiles(m: i32, xq: usize, xs: usize, qs: usize, qStride: usize, bStride: usize, y: usize, rsy: i32, r0: i32, rq: i32, scratch: usize): void {
  const k = W_k;
  const gs = W_gs;
  const nGroups = W_nGroups;
  const gpc = sliceGroups(gs);
  const sliceCols = sliceColumns(k, gs);
  const lean = leanTiles(k, gs);
  const u = scratch;
  const sz = u + (<usize>(sliceCols >> 5) << 8);
  const xp = sz + (<usize>gpc << 5);
  const tb = tokenBlock(k, gs);
  const ys = <usize>rsy << 2;
  for (let i0 = 0; i0 < m; i0 += tb) {
    const i1 = min(m, i0 + tb);
    const ie = i0 + ((i1 - i0) & ~1);
    for (let g0 = 0; g0 < nGroups; g0 += gpc) {
      const g1 = min(nGroups, g0 + gpc);
      const c0 = g0 * gs;
      const c1 = min(k, g1 * gs);
      if (lean) packPairs(xq, qStride, i0, ie, c0, c1, xp);
      for (let r = r0; r < rq; r += 4) {
        unpackQuad(r, u, g0, g1);
        quadParams(r, sz, g0, g1);
        for (let i = i0; i < ie; i += 2) {
          const q0 = xq + <usize>i * qStride;
          const b0 = <usize>i * bStride;
          const o = y + <usize>i * ys + (<usize>r << 2);
          if (lean) {
            const bg = <usize>g0 << 2;
            const pp = xp + <usize>(i - i0) * (<usize>(c1 - c0) << 1);
            dotI8TileLean(u, sz, g1 - g0, gs >> 3, pp, xs + b0 + bg, xs + b0 + bStride + bg, o, o + ys, g0 == 0);
          } else {
            dotI8Tile(r, u, sz, g0, g1, q0, xs + b0, q0 + qStride, xs + b0 + bStride, o, o + ys);
          }
        }
      }
    }
    if (ie < i1) {
      const o = y + <usize>ie * ys;
      const q0 = xq + <usize>ie * qStride;
      const b0 = <usize>ie * bStride;
      for (let r = r0; r < rq; r += 4) {
        if (W_bits <= 4) dotI8x4Quad(r, q0, xs + b0, qs + b0, o + (<usize>r << 2), 4, 0);
        else dotI8x4(r, q0, xs + b0, qs + b0, o + (<usize>r << 2), 4);
      }
    }
  }
}
