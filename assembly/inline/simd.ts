/**
 * Shared @inline helpers of the kernels: typed loads and stores by element index, and SIMD128
 * operations generic over the float element type T (f32: 4 lanes, f64: 2 lanes). Compile-time
 * branches on `sizeof<T>()` vanish after inlining, so generic kernels cost nothing over
 * hand-specialised ones. Not kernels: nothing here is exported from the module.
 */

/** Lanes of T in a v128. */
// @ts-ignore: decorator
@inline export function lanes<T>(): i32 {
  return <i32>(16 / sizeof<T>());
}

/** Address of element `i` of a T array at `base`. */
// @ts-ignore: decorator
@inline export function at<T>(base: usize, i: usize): usize {
  return base + (i << alignof<T>());
}

/** Reads element `i` of a T array at `base`. */
// @ts-ignore: decorator
@inline export function ld<T>(base: usize, i: usize): T {
  return load<T>(base + (i << alignof<T>()));
}

/** Writes element `i` of a T array at `base`. */
// @ts-ignore: decorator
@inline export function st<T>(base: usize, i: usize, v: T): void {
  store<T>(base + (i << alignof<T>()), v);
}

/** Loads one T at `p` into every lane. */
// @ts-ignore: decorator
@inline export function splatLoad<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(p);
  return v128.load64_splat(p);
}

/**
 * Lane `i` of row values held two per vector (f64) or four (f32) in every lane: lane i of v for f32,
 * lane i & 1 for f64 (the caller holds rows 2 and 3 of an f64 panel in a second vector).
 */
// @ts-ignore: decorator
@inline export function laneSplat<T>(v: v128, i: i32): v128 {
  if (sizeof<T>() == 4) {
    if (i == 0) return i32x4.shuffle(v, v, 0, 0, 0, 0);
    if (i == 1) return i32x4.shuffle(v, v, 1, 1, 1, 1);
    if (i == 2) return i32x4.shuffle(v, v, 2, 2, 2, 2);
    return i32x4.shuffle(v, v, 3, 3, 3, 3);
  }
  if ((i & 1) == 0) return i64x2.shuffle(v, v, 0, 0);
  return i64x2.shuffle(v, v, 1, 1);
}

/** Sum of the lanes of `v`, as T. */
// @ts-ignore: decorator
@inline export function hsum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
    return <T>(f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1));
  }
  return <T>(f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1));
}

/**
 * `acc + a * b` lane-wise, for the float GEMM, GEMV and linear-algebra kernels: a multiply then an
 * add in the SIMD128 build; a fused multiply-add (one rounding) in the relaxed-SIMD build, which the
 * loader uses only on request (`useRelaxedSimd`). Every kernel rounds the same way within one
 * build, so thread splits still give the same bits.
 */
// @ts-ignore: decorator
@inline export function madd<T>(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, acc);
  return v128.add<T>(acc, v128.mul<T>(a, b));
}

/**
 * Bytes table[idx[i]] for indices known to lie in 0..15 (masked nibbles): the table lookups of the
 * 4-bit formats. The relaxed-SIMD build takes i8x16.relaxed_swizzle, one x86 pshufb, where
 * i8x16.swizzle's rule for indices of 16 and above (zero) costs a saturating add first; for indices
 * below 16 the two give the same bytes.
 */
// @ts-ignore: decorator
@inline export function lut16(table: v128, idx: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(table, idx);
  return i8x16.swizzle(table, idx);
}
