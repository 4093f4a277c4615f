/**
 * Packed-weight exports for every quantized dtype: dequantize, GEMV/GEMM with f32 activations, and
 * the int8-activation product of affine formats. Meaning: src/kernels/js/quant.ts (the reference).
 *
 *   W [n, k]: codes u8 [n, rowBytes] (little-endian bit stream per row, `bits` 1..8 per code)
 *             scales f32, row r at scales + 4 * r * scaleStride (scaleStride 0: per tensor;
 *             scales 0: every scale is 1); zeros u8 likewise (0: symmetric zero 2^(bits-1));
 *             groupSize columns per group, nGroups groups; kind 0 affine, 1 table
 *             (table f32 [2^bits, vectorDim]: nf4/fp4/mxfp4 values, or a VQ codebook)
 *   x f32 [m, k], row i at x + 4 * i * rsx;  y f32 [m, n], row i at y + 4 * i * rsy
 *   out f32 [n, k] (dequantize), row r at out + 4 * r * k
 *   rows [r0, r1) only, so threads split the output rows; scratch: qmatmul_scratch(...) bytes
 *   (16-byte aligned), one per concurrent call; prep: the tokens prepared once per call by
 *   qprep_f32 / qprep_i8 (read-only for the row ranges).
 *
 * qgemv_f32 runs the fused row loops (each weight byte read once per token, rows kept in cache
 * across tokens): for m up to a few tokens. qgemm_f32 decodes SLAB rows of W at a time into f32 and
 * multiplies them with the dense GEMM engine (inline/gemm-core.ts): the decode is paid once per
 * slab, not per token. qgemv_i8: int8 activations, i32 dot products, bit-exact with the reference.
 */
import { KC, MC, MR, microKernel, nr, packA, packB, roundUp } from './inline/gemm-core';
import { KIND_AFFINE, LAYOUT_QUAD, PLANE_BYTES, W_bits, W_fused, W_kind, decodeRow, layoutF32, layoutI8, setWeight } from './inline/quant-core';
import { PAIRS_I8, pairsFromQuad } from './inline/quant-pairs';
import { I8_TILE_MIN_TOKENS, i8Tiles, i8TilesFit, quadBytes } from './inline/quant-tile';
import { actBlockCount, dotAffineF32, dotAffineF32x4, dotF32, dotI8, dotI8x4, dotI8x4Quad, dotTableF32, dotTableF32x4, groupSums, prepX, prepXI8 } from './inline/quant-dot';

/** Rows of W decoded at once by qgemm_f32 (SLAB x k f32 in scratch). */
const SLAB: i32 = 64;

/** Bytes of int8 activations (stored as i16) qgemv_i8 runs over all its rows at once (half an L2). */
const TOKEN_BLOCK_BYTES: usize = 128 << 10;

// @ts-ignore: decorator
@inline function up16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

/** Most int8 activation blocks of a token: at most one per group plus one per 32 columns. */
// @ts-ignore: decorator
@inline function maxBlocks(k: i32, nGroups: i32): usize {
  return <usize>nGroups + <usize>((k + 31) >> 5);
}

/**
 * Scratch bytes: mode 0 qgemv_f32, 1 qgemm_f32, 2 qgemv_i8, 3 qdequant_f32 (one block per
 * concurrent call), 4 the prepared tokens of qprep_f32, 5 those of qprep_i8, 6 those of
 * qprep_gemm_f32 (one per kernel call, shared read-only by its row ranges). Depends on m, k, the group layout and the mode only.
 */
export function qmatmul_scratch(mode: i32, m: i32, k: i32, groupSize: i32, nGroups: i32): usize {
  let bytes = PLANE_BYTES + 16 + up16(<usize>k << 2); // planes, alignment slack, one decoded row
  if (mode == 1) bytes += up16(<usize>SLAB * (<usize>k << 2)) + ((<usize>KC * <usize>SLAB + <usize>(MR * nr<f32>())) << 2);
  else if (mode == 2 && m >= I8_TILE_MIN_TOKENS) bytes += quadBytes(k, groupSize, m);
  else if (mode == 4) bytes += <usize>m * (up16(<usize>k << 2) + up16(<usize>nGroups << 2));
  else if (mode == 5) bytes += <usize>m * (up16(<usize>k << 1) + 2 * up16(maxBlocks(k, nGroups) << 2) + (PAIRS_I8 ? up16(<usize>k) : 0));
  else if (mode == 6) bytes = 16 + ((mPanels(m) * <usize>k) << 2);
  return bytes;
}

// @ts-ignore: decorator
@inline function begin(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32, scratch: usize,
): usize {
  const base = up16(scratch);
  setWeight(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, base);
  return base + PLANE_BYTES; // the decoded-row buffer
}

export function qdequant_f32(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32, out: usize, r0: i32, r1: i32, scratch: usize,
): void {
  begin(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, scratch);
  for (let r = r0; r < r1; r++) decodeRow(r, out + ((<usize>r * <usize>k) << 2));
}

/**
 * Prepares the m tokens of x for qgemv_f32 on this weight, once per call (the row ranges share it):
 * each token in the kernel layout (layoutF32) and, for affine codes, its per-group sums. Writes
 * into prep (qmatmul_scratch mode 4 bytes); nothing for weights that do not take the fused loops.
 */
export function qprep_f32(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32,
  m: i32, x: usize, rsx: i32, prep: usize,
): void {
  const base = begin(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, prep);
  if (!W_fused) return;
  const xStride = up16(<usize>k << 2);
  const sxs = base + <usize>m * xStride;
  const sxStride = up16(<usize>nGroups << 2);
  const layout = layoutF32();
  for (let i = 0; i < m; i++) {
    const xi = x + ((<usize>i * <usize>rsx) << 2);
    prepX(xi, base + <usize>i * xStride, layout);
    if (W_kind == KIND_AFFINE) groupSums(xi, sxs + <usize>i * sxStride, nGroups);
  }
}

/** y[:, r0:r1] for m tokens x (natural) prepared by qprep_f32 into prep (fused weights read prep only). */
export function qgemv_f32(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32,
  m: i32, x: usize, rsx: i32, y: usize, rsy: i32, r0: i32, r1: i32, scratch: usize, prep: usize,
): void {
  const buf = begin(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, scratch);
  const xStride = up16(<usize>k << 2);
  const xps = up16(prep) + PLANE_BYTES;
  const sxs = xps + <usize>m * xStride;
  const sxStride = up16(<usize>nGroups << 2);
  const fused = W_fused;
  const affine = W_kind == KIND_AFFINE;
  let r = r0;
  if (fused && (!affine || W_bits <= 4)) {
    // four rows at a time: one pass over the token feeds four rows of codes
    for (; r + 4 <= r1; r += 4) {
      for (let i = 0; i < m; i++) {
        const o = y + ((<usize>i * <usize>rsy + <usize>r) << 2);
        if (affine) dotAffineF32x4(r, xps + <usize>i * xStride, sxs + <usize>i * sxStride, o, 4);
        else dotTableF32x4(r, xps + <usize>i * xStride, o, 4);
      }
    }
  }
  for (; r < r1; r++) {
    if (!fused) decodeRow(r, buf);
    for (let i = 0; i < m; i++) {
      let v: f32;
      if (!fused) v = dotF32(buf, x + ((<usize>i * <usize>rsx) << 2), k);
      else if (affine) v = dotAffineF32(r, xps + <usize>i * xStride, sxs + <usize>i * sxStride);
      else v = dotTableF32(r, xps + <usize>i * xStride);
      store<f32>(y + ((<usize>i * <usize>rsy + <usize>r) << 2), v);
    }
  }
}

/** Tokens rounded up to whole MR-token panels. */
// @ts-ignore: decorator
@inline function mPanels(m: i32): usize {
  return <usize>roundUp(m, MR);
}

/**
 * Packs the m tokens of x (m x k f32) once per call for qgemm_f32, shared by its row ranges: for each
 * KC-deep slice pc, the MR-token panels of gemm-core's packA at prep + 16-aligned + pc * mPad * 4
 * (qmatmul_scratch mode 6 bytes). The dense engine would repack them for every slab of rows.
 */
export function qprep_gemm_f32(m: i32, k: i32, x: usize, rsx: i32, prep: usize): void {
  const base = up16(prep);
  const mPad = mPanels(m);
  for (let pc = 0; pc < k; pc += KC) {
    packA<f32>(base + ((<usize>pc * mPad) << 2), x + (<usize>pc << 2), <usize>rsx, 1, m, min(KC, k - pc));
  }
}

/**
 * y[:, r0:r1] for many tokens: SLAB rows of W decoded to f32 at a time, then for each KC-deep slice
 * the slab packed as gemm-core B panels and gemm-core's micro-kernel run against the tokens packed
 * once by qprep_gemm_f32 (MC tokens at a time, so their panels stay in L2). Same micro-kernel, same
 * slices and order per element as gemmCore, so the same results; independent of the row split.
 */
export function qgemm_f32(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32,
  m: i32, y: usize, rsy: i32, r0: i32, r1: i32, scratch: usize, prep: usize,
): void {
  const buf = begin(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, scratch);
  const NR = nr<f32>();
  const slab = buf + up16(<usize>k << 2);
  const bufB = slab + up16(<usize>SLAB * (<usize>k << 2));
  const tile = bufB + ((<usize>KC * <usize>SLAB) << 2);
  const pa0 = up16(prep);
  const mPad = mPanels(m);
  for (let rs = r0; rs < r1; rs += SLAB) {
    const re = min(r1, rs + SLAB);
    const nr = re - rs;
    for (let r = rs; r < re; r++) decodeRow(r, slab + ((<usize>(r - rs) * <usize>k) << 2));
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // B (kc x rows): element (p, j) at slab + j*k + pc + p
      packB<f32>(bufB, slab + (<usize>pc << 2), 1, <usize>k, kc, nr);
      const beta: f32 = pc == 0 ? 0 : 1;
      const slice = pa0 + ((<usize>pc * mPad) << 2);
      for (let ic = 0; ic < m; ic += MC) {
        const ie = min(m, ic + MC);
        for (let jr = 0; jr < nr; jr += NR) {
          const pb = bufB + ((<usize>jr * <usize>kc) << 2);
          const cols = min(NR, nr - jr);
          for (let ir = ic; ir < ie; ir += MR) {
            const c = y + ((<usize>ir * <usize>rsy + <usize>(rs + jr)) << 2);
            microKernel<f32>(kc, slice + ((<usize>ir * <usize>kc) << 2), pb, c, <usize>rsy, 1, min(MR, ie - ir), cols, 1, beta, tile, NR);
          }
        }
      }
    }
  }
}

/**
 * Quantizes the m tokens of x to int8 per activation block for qgemv_i8 on this weight, once per
 * call (the row ranges share it): codes in the kernel layout (layoutI8), block scales and code sums.
 * Writes into prep (qmatmul_scratch mode 5 bytes).
 */
export function qprep_i8(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32,
  m: i32, x: usize, rsx: i32, prep: usize,
): void {
  if (kind != KIND_AFFINE) unreachable();
  const base = begin(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, prep);
  const qStride = up16(<usize>k << 1);
  const bStride = up16(maxBlocks(k, nGroups) << 2);
  if (<usize>actBlockCount() > maxBlocks(k, nGroups)) unreachable();
  const xss = base + <usize>m * qStride;
  const qss = xss + <usize>m * bStride;
  const eos = qss + <usize>m * bStride;
  const layout = layoutI8();
  for (let i = 0; i < m; i++) {
    const xq = base + <usize>i * qStride;
    prepXI8(x + ((<usize>i * <usize>rsx) << 2), xq, xss + <usize>i * bStride, qss + <usize>i * bStride, layout);
    if (PAIRS_I8 && layout == LAYOUT_QUAD && bits == 4 && (k & 31) == 0) pairsFromQuad(xq, eos + <usize>i * up16(<usize>k), k);
  }
}

/** y[:, r0:r1] for the m tokens prepared by qprep_i8 into prep (int8 activations, affine codes). */
export function qgemv_i8(
  kind: i32, bits: i32, k: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, zeros: usize,
  groupSize: i32, nGroups: i32, table: usize, vectorDim: i32,
  m: i32, y: usize, rsy: i32, r0: i32, r1: i32, scratch: usize, prep: usize,
): void {
  if (kind != KIND_AFFINE) unreachable();
  begin(kind, bits, k, codes, rowBytes, scales, scaleStride, zeros, groupSize, nGroups, table, vectorDim, scratch);
  const scratch0 = up16(scratch);
  const qStride = up16(<usize>k << 1);
  const bStride = up16(maxBlocks(k, nGroups) << 2);
  const xqs = up16(prep) + PLANE_BYTES;
  const xss = xqs + <usize>m * qStride;
  const qss = xss + <usize>m * bStride;
  const eos = qss + <usize>m * bStride;
  let r = r0;
  if (W_fused && m >= I8_TILE_MIN_TOKENS && i8TilesFit(r0, r1)) {
    // many tokens: GEMM-like blocked tiles over unpacked codes (inline/quant-tile.ts)
    r = r0 + ((r1 - r0) & ~3);
    i8Tiles(m, xqs, xss, qss, qStride, bStride, y, rsy, r0, r, scratch0 + PLANE_BYTES + up16(<usize>k << 2));
  } else if (W_fused) {
    // four rows at a time: one pass over the activations feeds four rows of codes. Tokens in
    // blocks whose int8 activations stay in L2 (the codes are re-read once per block, from L3)
    const quad = W_bits <= 4;
    const tb = max(2, <i32>(TOKEN_BLOCK_BYTES / qStride)) & ~1;
    const rq = r0 + ((r1 - r0) & ~3);
    for (let i0 = 0; i0 < m; i0 += tb) {
      const i1 = min(m, i0 + tb);
      for (r = r0; r < rq; r += 4) {
        for (let i = i0; i < i1; i++) {
          const o = y + ((<usize>i * <usize>rsy + <usize>r) << 2);
          const eo = PAIRS_I8 ? eos + <usize>i * up16(<usize>k) : 0; // the relaxed build's copy (qprep_i8)
          if (quad) dotI8x4Quad(r, xqs + <usize>i * qStride, xss + <usize>i * bStride, qss + <usize>i * bStride, o, 4, eo);
          else dotI8x4(r, xqs + <usize>i * qStride, xss + <usize>i * bStride, qss + <usize>i * bStride, o, 4);
        }
      }
    }
    r = rq;
  }
  for (; r < r1; r++) {
    for (let i = 0; i < m; i++) {
      const v = dotI8(r, xqs + <usize>i * qStride, xss + <usize>i * bStride, qss + <usize>i * bStride);
      store<f32>(y + ((<usize>i * <usize>rsy + <usize>r) << 2), v);
    }
  }
}
