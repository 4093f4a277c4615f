/**
 * The GEMM engine shared by gemm, syrk, cholesky and trsm: C = alpha * A B + beta * C for float T
 * (f32 or f64), after Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"
 * (2008) and BLIS: loops over NC-wide column blocks of B, KC-deep slices of K and MC-tall row blocks
 * of A; each B slice is packed into NR-wide panels and each A block into MR-tall panels (contiguous,
 * zero padded), and a register-tiled MR x NR micro-kernel multiplies one A panel by one B panel.
 *
 * Operands are (pointer, row stride, column stride) with strides in elements, so transposed views
 * cost nothing but a different packing walk. Scratch for the packed panels is passed in (the module
 * never allocates); `gemmScratchBytes` says how much.
 *
 * Micro-kernel: MR rows by NR = 2 vectors (8 f32 or 4 f64 columns). SIMD128 build: MR = 4, 8 v128
 * accumulators; without FMA each step needs a temporary for the product, and 8 accumulators + 2 B
 * vectors + 1 A splat + 1 product fit the 15 XMM registers V8 allocates without spilling.
 * Relaxed-SIMD build: MR = 5, 10 accumulators. A fused multiply-add needs no temporary, and its
 * latency (5 cycles, 2 per cycle on Zen 2) wants 10 sums in flight: with 8, the chains and not the
 * FMA units set the pace (X^T X 2048 x 4096, alternating in one process: 1093-1157 ms with MR = 4,
 * 1021-1068 ms with MR = 5 and two steps per loop iteration).
 * MR = 6 does not fit: V8 hoists the A loads of a step above its arithmetic and spills. Accumulation
 * is in T.
 *
 * Not exported from the module: thin wrappers in assembly/gemm.ts are.
 */
import { at, laneSplat, ld, madd, st } from './simd';

/** Rows of a micro-tile (see above). */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;
/** Depth of a packed slice. */
export const KC: i32 = 256;
/** Rows of A packed at once, a multiple of MR (MC x KC x 4 bytes = 128-140 KiB f32: fits L2). */
export const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 140 : 128;
/** Columns of B packed at once (KC x NC x 4 bytes = 2 MiB f32). */
export const NC: i32 = 2048;

/** Columns of a micro-tile: two vectors of T. */
// @ts-ignore: decorator
@inline export function nr<T>(): i32 {
  return <i32>(32 / sizeof<T>());
}

/** x rounded up to a multiple of m (x >= 0, m > 0). */
// @ts-ignore: decorator
@inline export function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}

// @ts-ignore: decorator
@inline function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Bytes of scratch `gemmCore<T>` needs for an m x n x k product. */
export function gemmScratchBytes<T>(m: i32, n: i32, k: i32): usize {
  const kc = <usize>imin(KC, k);
  const mc = <usize>roundUp(imin(MC, m), MR);
  const nc = <usize>roundUp(imin(NC, n), nr<T>());
  return (kc * (mc + nc) + <usize>(MR * nr<T>())) * sizeof<T>() + 64;
}

/**
 * Packs rows [0, mc) x depth [0, kc) of A (element (i, p) at a + i*rsa + p*csa) into MR-tall panels:
 * panel q holds elements (q*MR + r, p) at dst + (q*kc*MR + p*MR + r). Rows past mc are zeros.
 */
export function packA<T>(dst: usize, a: usize, rsa: usize, csa: usize, mc: i32, kc: i32): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = imin(MR, mc - i0);
    const panel = dst + ((<usize>i0 * <usize>kc) << alignof<T>());
    if (rows == MR && csa == 1) {
      const r0 = a + ((<usize>i0 * rsa) << alignof<T>());
      const r1 = r0 + (rsa << alignof<T>());
      const r2 = r1 + (rsa << alignof<T>());
      const r3 = r2 + (rsa << alignof<T>());
      const r4 = r3 + (rsa << alignof<T>());
      for (let p = 0; p < kc; p++) {
        const d = panel + ((<usize>p * MR) << alignof<T>());
        st<T>(d, 0, ld<T>(r0, p));
        st<T>(d, 1, ld<T>(r1, p));
        st<T>(d, 2, ld<T>(r2, p));
        st<T>(d, 3, ld<T>(r3, p));
        if (MR == 5) st<T>(d, 4, ld<T>(r4, p));
      }
    } else if (rows == MR && rsa == 1) {
      // Columns of A are contiguous: each depth step copies MR neighbours (16, 20, 32 or 40 bytes).
      for (let p = 0; p < kc; p++) {
        const s = a + ((<usize>i0 + <usize>p * csa) << alignof<T>());
        const d = panel + ((<usize>p * MR) << alignof<T>());
        v128.store(d, v128.load(s));
        if (sizeof<T>() == 8) v128.store(d, v128.load(s, 16), 16);
        if (MR == 5) st<T>(d, 4, ld<T>(s, 4));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + ((<usize>p * MR) << alignof<T>());
        for (let r = 0; r < MR; r++) {
          st<T>(d, r, r < rows ? ld<T>(a, <usize>(i0 + r) * rsa + <usize>p * csa) : <T>0);
        }
      }
    }
  }
}

/**
 * Packs depth [0, kc) x columns [0, nc) of B (element (p, j) at b + p*rsb + j*csb) into NR-wide
 * panels: panel q holds (p, q*NR + c) at dst + (q*kc*NR + p*NR + c). Columns past nc are zeros.
 */
export function packB<T>(dst: usize, b: usize, rsb: usize, csb: usize, kc: i32, nc: i32): void {
  const NR = nr<T>();
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = imin(NR, nc - j0);
    const panel = dst + ((<usize>j0 * <usize>kc) << alignof<T>());
    if (cols == NR && csb == 1) {
      for (let p = 0; p < kc; p++) {
        const s = b + ((<usize>p * rsb + <usize>j0) << alignof<T>());
        const d = panel + ((<usize>p * <usize>NR) << alignof<T>());
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (cols == NR && rsb == 1) {
      // Rows of op(B) are strided, its columns contiguous (B given transposed): walk each column.
      for (let c = 0; c < NR; c++) {
        const s = b + ((<usize>(j0 + c) * csb) << alignof<T>());
        for (let p = 0; p < kc; p++) st<T>(panel, <usize>p * <usize>NR + <usize>c, ld<T>(s, p));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + ((<usize>p * <usize>NR) << alignof<T>());
        for (let c = 0; c < NR; c++) {
          st<T>(d, c, c < cols ? ld<T>(b, <usize>p * rsb + <usize>(j0 + c) * csb) : <T>0);
        }
      }
    }
  }
}

/** Writes one row of a tile: c[0..NR) = alpha*acc (+ beta*c), vector stores (csc == 1, full width). */
// @ts-ignore: decorator
@inline function storeRow<T>(c: usize, x0: v128, x1: v128, va: v128, beta: T): void {
  let r0 = v128.mul<T>(x0, va);
  let r1 = v128.mul<T>(x1, va);
  if (beta == <T>1) {
    r0 = v128.add<T>(r0, v128.load(c));
    r1 = v128.add<T>(r1, v128.load(c, 16));
  } else if (beta != <T>0) {
    const vb = v128.splat<T>(beta);
    r0 = madd<T>(r0, v128.load(c), vb);
    r1 = madd<T>(r1, v128.load(c, 16), vb);
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
}

/**
 * C tile (rows x cols, at c with strides rsc/csc) = alpha * Apanel Bpanel + beta * C, writing only
 * the elements (r, col) with col - r <= lim (syrk's diagonal tiles keep their lower part; gemm
 * passes lim >= NR - 1: every element). Full tiles with contiguous rows are stored straight from
 * registers; edge and diagonal tiles go through `tile`. An element's value does not depend on the
 * path or on where the tile starts (same products, same order, same final scaling), which is what
 * keeps gemm and syrk results independent of how threads split them.
 */
export function microKernel<T>(
  kc: i32,
  pa: usize,
  pb: usize,
  c: usize,
  rsc: usize,
  csc: usize,
  rows: i32,
  cols: i32,
  alpha: T,
  beta: T,
  tile: usize,
  lim: i32,
): void {
  const NR = nr<T>();
  let c00 = v128.splat<T>(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  let c40 = c00; // row 4: MR == 5 only (removed by the compiler in the SIMD128 build)
  let c41 = c00;
  // The depth loop is shaped for V8's code generator (measured in L1 on the 2-core EPYC VM: ~1.9 ns
  // per depth step, 32 multiply-adds, against ~2.2 ns for a plain one-step loop):
  //  - every load addresses a constant offset from one of two pointers (no per-step address adds),
  //    and the loop ends on the A pointer (no counter);
  //  - two depth steps per iteration with the exit test between them. The test is load-bearing:
  //    TurboFan keeps loads in program order but sinks arithmetic to its uses, so a plain two-step
  //    (or four-step) body issues all its loads first and spills (6 loads + 8 accumulators + 1
  //    product already take 15 XMM registers). The branch pins step one's arithmetic before step
  //    two's loads, and the interrupt check and loop branch are paid once per two steps.
  // On SIMD128, four steps per iteration, A pre-broadcast in the packing and a 3 x 12 tile were each
  // no faster.
  // What is left is vector multiply and add throughput (16 per step, ~5.7 cycles where 2 + 2 pipes
  // would take 4). Same products in the same order as one step at a time, so the same bits. kc >= 1.
  // MR == 5 (relaxed build): rows 0-3 of a step are read as one vector (two for f64) and their
  // lanes splatted, because five splat loads per step would be hoisted together and spill; four
  // steps per iteration, each but the last followed by its exit test (same role as above), which
  // takes the loop from 25 to 22 x86 instructions per step and X^T X 2048 x 4096 from 1049 to
  // 996 ms (alternating in one process). The steps are written out: their offsets must be constants.
  const aStep = (<usize>MR) << alignof<T>();
  const paEnd = pa + <usize>kc * aStep;
  const sa = MR << alignof<T>(); // bytes of A per step, as a constant offset
  let b0: v128;
  let b1: v128;
  let a: v128;
  let av: v128;
  while (true) {
    if (MR == 5) {
      b0 = v128.load(pb, 0);
      b1 = v128.load(pb, 16);
      av = v128.load(pa, 0);
      a = laneSplat<T>(av, 0);
      c00 = madd<T>(c00, a, b0);
      c01 = madd<T>(c01, a, b1);
      a = laneSplat<T>(av, 1);
      c10 = madd<T>(c10, a, b0);
      c11 = madd<T>(c11, a, b1);
      if (sizeof<T>() == 8) av = v128.load(pa, 16);
      a = laneSplat<T>(av, 2);
      c20 = madd<T>(c20, a, b0);
      c21 = madd<T>(c21, a, b1);
      a = laneSplat<T>(av, 3);
      c30 = madd<T>(c30, a, b0);
      c31 = madd<T>(c31, a, b1);
      a = sizeof<T>() == 4 ? v128.load32_splat(pa, 16) : v128.load64_splat(pa, 32);
      c40 = madd<T>(c40, a, b0);
      c41 = madd<T>(c41, a, b1);
      if (pa + 1 * aStep >= paEnd) break;
      b0 = v128.load(pb, 32);
      b1 = v128.load(pb, 48);
      av = v128.load(pa, 1 * sa);
      a = laneSplat<T>(av, 0);
      c00 = madd<T>(c00, a, b0);
      c01 = madd<T>(c01, a, b1);
      a = laneSplat<T>(av, 1);
      c10 = madd<T>(c10, a, b0);
      c11 = madd<T>(c11, a, b1);
      if (sizeof<T>() == 8) av = v128.load(pa, 1 * sa + 16);
      a = laneSplat<T>(av, 2);
      c20 = madd<T>(c20, a, b0);
      c21 = madd<T>(c21, a, b1);
      a = laneSplat<T>(av, 3);
      c30 = madd<T>(c30, a, b0);
      c31 = madd<T>(c31, a, b1);
      a = sizeof<T>() == 4 ? v128.load32_splat(pa, 1 * sa + 16) : v128.load64_splat(pa, 1 * sa + 32);
      c40 = madd<T>(c40, a, b0);
      c41 = madd<T>(c41, a, b1);
      if (pa + 2 * aStep >= paEnd) break;
      b0 = v128.load(pb, 64);
      b1 = v128.load(pb, 80);
      av = v128.load(pa, 2 * sa);
      a = laneSplat<T>(av, 0);
      c00 = madd<T>(c00, a, b0);
      c01 = madd<T>(c01, a, b1);
      a = laneSplat<T>(av, 1);
      c10 = madd<T>(c10, a, b0);
      c11 = madd<T>(c11, a, b1);
      if (sizeof<T>() == 8) av = v128.load(pa, 2 * sa + 16);
      a = laneSplat<T>(av, 2);
      c20 = madd<T>(c20, a, b0);
      c21 = madd<T>(c21, a, b1);
      a = laneSplat<T>(av, 3);
      c30 = madd<T>(c30, a, b0);
      c31 = madd<T>(c31, a, b1);
      a = sizeof<T>() == 4 ? v128.load32_splat(pa, 2 * sa + 16) : v128.load64_splat(pa, 2 * sa + 32);
      c40 = madd<T>(c40, a, b0);
      c41 = madd<T>(c41, a, b1);
      if (pa + 3 * aStep >= paEnd) break;
      b0 = v128.load(pb, 96);
      b1 = v128.load(pb, 112);
      av = v128.load(pa, 3 * sa);
      a = laneSplat<T>(av, 0);
      c00 = madd<T>(c00, a, b0);
      c01 = madd<T>(c01, a, b1);
      a = laneSplat<T>(av, 1);
      c10 = madd<T>(c10, a, b0);
      c11 = madd<T>(c11, a, b1);
      if (sizeof<T>() == 8) av = v128.load(pa, 3 * sa + 16);
      a = laneSplat<T>(av, 2);
      c20 = madd<T>(c20, a, b0);
      c21 = madd<T>(c21, a, b1);
      a = laneSplat<T>(av, 3);
      c30 = madd<T>(c30, a, b0);
      c31 = madd<T>(c31, a, b1);
      a = sizeof<T>() == 4 ? v128.load32_splat(pa, 3 * sa + 16) : v128.load64_splat(pa, 3 * sa + 32);
      c40 = madd<T>(c40, a, b0);
      c41 = madd<T>(c41, a, b1);
      pa += 4 * aStep;
      pb += 128;
      if (pa >= paEnd) break;
      continue;
    }
    b0 = v128.load(pb);
    b1 = v128.load(pb, 16);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa) : v128.load64_splat(pa);
    c00 = madd<T>(c00, a, b0);
    c01 = madd<T>(c01, a, b1);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 4) : v128.load64_splat(pa, 8);
    c10 = madd<T>(c10, a, b0);
    c11 = madd<T>(c11, a, b1);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 8) : v128.load64_splat(pa, 16);
    c20 = madd<T>(c20, a, b0);
    c21 = madd<T>(c21, a, b1);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 12) : v128.load64_splat(pa, 24);
    c30 = madd<T>(c30, a, b0);
    c31 = madd<T>(c31, a, b1);
    if (pa + aStep >= paEnd) break;
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 16) : v128.load64_splat(pa, 32);
    c00 = madd<T>(c00, a, b0);
    c01 = madd<T>(c01, a, b1);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 20) : v128.load64_splat(pa, 40);
    c10 = madd<T>(c10, a, b0);
    c11 = madd<T>(c11, a, b1);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 24) : v128.load64_splat(pa, 48);
    c20 = madd<T>(c20, a, b0);
    c21 = madd<T>(c21, a, b1);
    a = sizeof<T>() == 4 ? v128.load32_splat(pa, 28) : v128.load64_splat(pa, 56);
    c30 = madd<T>(c30, a, b0);
    c31 = madd<T>(c31, a, b1);
    pa += 2 * aStep;
    pb += 64;
    if (pa >= paEnd) break;
  }
  const va = v128.splat<T>(alpha);
  if (rows == MR && cols == NR && csc == 1 && lim >= NR - 1) {
    const rowBytes = rsc << alignof<T>();
    storeRow<T>(c, c00, c01, va, beta);
    storeRow<T>(c + rowBytes, c10, c11, va, beta);
    storeRow<T>(c + 2 * rowBytes, c20, c21, va, beta);
    storeRow<T>(c + 3 * rowBytes, c30, c31, va, beta);
    if (MR == 5) storeRow<T>(c + 4 * rowBytes, c40, c41, va, beta);
    return;
  }
  const rb = <usize>NR << alignof<T>();
  v128.store(tile, v128.mul<T>(c00, va));
  v128.store(tile, v128.mul<T>(c01, va), 16);
  v128.store(tile + rb, v128.mul<T>(c10, va));
  v128.store(tile + rb, v128.mul<T>(c11, va), 16);
  v128.store(tile + 2 * rb, v128.mul<T>(c20, va));
  v128.store(tile + 2 * rb, v128.mul<T>(c21, va), 16);
  v128.store(tile + 3 * rb, v128.mul<T>(c30, va));
  v128.store(tile + 3 * rb, v128.mul<T>(c31, va), 16);
  if (MR == 5) {
    v128.store(tile + 4 * rb, v128.mul<T>(c40, va));
    v128.store(tile + 4 * rb, v128.mul<T>(c41, va), 16);
  }
  for (let i = 0; i < rows; i++) {
    const jEnd = imin(cols, i + lim + 1);
    for (let j = 0; j < jEnd; j++) {
      const dst = c + ((<usize>i * rsc + <usize>j * csc) << alignof<T>());
      const v = ld<T>(tile, <usize>(i * NR + j));
      store<T>(dst, beta == <T>0 ? v : v + beta * load<T>(dst));
    }
  }
}

/** C = beta * C over an m x n strided matrix (beta 0 writes zeros without reading C). */
export function scaleMatrix<T>(m: i32, n: i32, beta: T, c: usize, rsc: usize, csc: usize): void {
  if (beta == <T>1) return;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const p = at<T>(c, <usize>i * rsc + <usize>j * csc);
      store<T>(p, beta == <T>0 ? <T>0 : beta * load<T>(p));
    }
  }
}

/** Bytes of scratch `macroKernel<T>` needs for m rows of depth k: an MC x KC block of A and a tile. */
export function macroScratchBytes<T>(m: i32, k: i32): usize {
  const kc = <usize>imin(KC, k);
  const mc = <usize>roundUp(imin(MC, m), MR);
  return (kc * mc + <usize>(MR * nr<T>())) * sizeof<T>() + 64;
}

/**
 * C (m x nc) = alpha * A (m x kc) Bslice + beta * C for one B slice already packed at pb (packB
 * layout): A packed MC rows at a time into bufA, then every micro-tile, B micro-panels outer so
 * one stays in L1 while the A block (L2) streams past it. The body of gemmCore's (jc, pc) loop,
 * also run on its own by threads sharing one packed slice (gemm_macro_<T>).
 */
export function macroKernel<T>(
  m: i32,
  nc: i32,
  kc: i32,
  alpha: T,
  a: usize,
  rsa: usize,
  csa: usize,
  pb: usize,
  beta: T,
  c: usize,
  rsc: usize,
  csc: usize,
  bufA: usize,
  tile: usize,
): void {
  const NR = nr<T>();
  for (let ic = 0; ic < m; ic += MC) {
    const mc = imin(MC, m - ic);
    packA<T>(bufA, at<T>(a, <usize>ic * rsa), rsa, csa, mc, kc);
    for (let jr = 0; jr < nc; jr += NR) {
      const pbj = pb + ((<usize>jr * <usize>kc) << alignof<T>());
      const cols = imin(NR, nc - jr);
      for (let ir = 0; ir < mc; ir += MR) {
        const pa = bufA + ((<usize>ir * <usize>kc) << alignof<T>());
        const cp = at<T>(c, <usize>(ic + ir) * rsc + <usize>jr * csc);
        microKernel<T>(kc, pa, pbj, cp, rsc, csc, imin(MR, mc - ir), cols, alpha, beta, tile, NR);
      }
    }
  }
}

/** macroKernel with its A block and tile in `scratch` (macroScratchBytes<T>(m, kc) bytes). */
export function macroKernelIn<T>(
  m: i32, nc: i32, kc: i32, alpha: T, a: usize, rsa: usize, csa: usize, pb: usize, beta: T, c: usize, rsc: usize, csc: usize, scratch: usize,
): void {
  const bufA = (scratch + 15) & ~(<usize>15);
  const tile = bufA + ((<usize>kc * <usize>roundUp(imin(MC, m), MR)) << alignof<T>());
  macroKernel<T>(m, nc, kc, alpha, a, rsa, csa, pb, beta, c, rsc, csc, bufA, tile);
}

/**
 * C (m x n) = alpha * A (m x k) B (k x n) + beta * C; beta == 0 never reads C (NaN-safe).
 * `scratch` must hold `gemmScratchBytes<T>(m, n, k)` bytes and be 16-byte aligned.
 */
export function gemmCore<T>(
  m: i32,
  n: i32,
  k: i32,
  alpha: T,
  a: usize,
  rsa: usize,
  csa: usize,
  b: usize,
  rsb: usize,
  csb: usize,
  beta: T,
  c: usize,
  rsc: usize,
  csc: usize,
  scratch: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == <T>0) {
    scaleMatrix<T>(m, n, beta, c, rsc, csc);
    return;
  }
  const NR = nr<T>();
  const kcMax = imin(KC, k);
  const mcMax = roundUp(imin(MC, m), MR);
  const ncMax = roundUp(imin(NC, n), NR);
  const base = (scratch + 15) & ~(<usize>15);
  const bufA = base;
  const bufB = bufA + ((<usize>kcMax * <usize>mcMax) << alignof<T>());
  const tile = bufB + ((<usize>kcMax * <usize>ncMax) << alignof<T>());
  for (let jc = 0; jc < n; jc += NC) {
    const nc = imin(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = imin(KC, k - pc);
      packB<T>(bufB, at<T>(b, <usize>pc * rsb + <usize>jc * csb), rsb, csb, kc, nc);
      const betaEff: T = pc == 0 ? beta : <T>1;
      macroKernel<T>(m, nc, kc, alpha, at<T>(a, <usize>pc * csa), rsa, csa, bufB, betaEff, at<T>(c, <usize>jc * csc), rsc, csc, bufA, tile);
    }
  }
}
