/**
 * f16 (IEEE 754 binary16) and bf16 (bfloat16) conversions to and from f32/f64, round to nearest
 * even, with NaN, ±Inf and subnormals. Scalar functions plus array loops; the bit patterns are the
 * storage format (Uint16Array). Not an arithmetic type: values are computed in f32/f64.
 */

import { roundHalfEven } from './round.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Converts a number to f16 bits, rounding to nearest even (from the f64 value, single rounding).
 * @example
 * toF16Bits(1) === 0x3c00; toF16Bits(65520) === 0x7c00 // rounds to +Inf
 */
export function toF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  let a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  // Smallest normal f16 is 2^-14; below it the unit is 2^-24 (subnormals).
  if (a < 6.103515625e-5) {
    const m = roundHalfEven(a * 16777216); // a / 2^-24, exact in f64
    return sign | m; // m may reach 0x400, which is exactly the smallest normal: correct bits
  }
  let e = Math.floor(Math.log2(a));
  // log2 may be off by one at boundaries; fix it so 2^e <= a < 2^(e+1)
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e > 15) return sign | 0x7c00;
  const m = roundHalfEven((a / 2 ** e - 1) * 1024);
  // Mantissa carry (m === 1024) moves to the next exponent; the bit arithmetic does it for us.
  const bits = ((e + 15) << 10) + m;
  return sign | (bits >= 0x7c00 ? 0x7c00 : bits);
}

/**
 * Converts f16 bits to a number (exact).
 * @example
 * fromF16Bits(0x3c00) === 1; fromF16Bits(0x0001) === 2 ** -24
 */
export function fromF16Bits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Converts a number to bf16 bits: first to f32 (round to nearest even), then the f32 bits rounded to
 * nearest even at bit 16. NaN stays a quiet NaN. (Double rounding through f32 matches what every
 * framework does, since bf16 sources are f32 tensors.)
 * @example
 * toBF16Bits(1) === 0x3f80
 */
export function toBF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff;
  const lsb = (b >>> 16) & 1;
  return ((b + 0x7fff + lsb) >>> 16) & 0xffff;
}

/**
 * Converts bf16 bits to a number (exact).
 * @example
 * fromBF16Bits(0x3f80) === 1
 */
export function fromBF16Bits(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** Decodes an array of f16 bits into f32 values. */
export function f16ToF32Array(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) dst[i] = fromF16Bits(src[i]);
  return dst;
}

/** Decodes an array of bf16 bits into f32 values (a shift: bf16 is the top half of f32). */
export function bf16ToF32Array(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return dst;
}

/** Encodes numbers as f16 bits. */
export function f32ToF16Array(src: ArrayLike<number>, dst = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) dst[i] = toF16Bits(src[i]);
  return dst;
}

/** Encodes numbers as bf16 bits. */
export function f32ToBF16Array(src: ArrayLike<number>, dst = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) dst[i] = toBF16Bits(src[i]);
  return dst;
}

/**
 * Rounds a number to the nearest f16 value (as a number).
 * @example
 * roundToF16(0.1) === 0.0999755859375; roundToF16(65520) === Infinity
 */
export function roundToF16(x: number): number {
  return fromF16Bits(toF16Bits(x));
}

/**
 * Rounds a number to the nearest bf16 value (as a number).
 * @example
 * roundToBF16(0.1) === 0.10009765625
 */
export function roundToBF16(x: number): number {
  return fromBF16Bits(toBF16Bits(x));
}
