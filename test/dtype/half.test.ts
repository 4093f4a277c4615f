/**
 * f16/bf16 conversions: known bit patterns (IEEE 754 binary16 and bfloat16 encodings worked out by
 * hand), the exhaustive round trip of all 65536 f16 patterns, and a property that every f32 maps to
 * the nearest f16 with ties to even, checked against the neighbouring patterns.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bf16ToF32Array,
  f16ToF32Array,
  f32ToBF16Array,
  f32ToF16Array,
  fromBF16Bits,
  fromF16Bits,
  roundToBF16,
  roundToF16,
  toBF16Bits,
  toF16Bits,
} from '../../src/dtype/half.js';
import { anyF32, f32FromBits, finiteF32 } from '../arbitraries.js';

/** Decodes f16 bits by the textbook formula (sign, biased exponent 15, 10-bit fraction). */
function refF16(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const f = h & 1023;
  if (e === 31) return f ? NaN : s * Infinity;
  return e === 0 ? s * f * Math.pow(2, -24) : s * Math.pow(2, e - 15) * (1 + f / 1024);
}

describe('f16 known encodings', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite
    [65519.99, 0x7bff], // just below the overflow tie
    [65520, 0x7c00], // the tie between 65504 and 65536 rounds to even: +Inf
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
    [-(2 ** -25), 0x8000],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 ulps: even is 2
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -14 - 2 ** -25, 0x0400], // tie between largest subnormal 0x3ff and 0x400: even is 0x400
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [1 + 2 ** -11, 0x3c00], // tie: 0x3c00 is even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even
    [1 + 2 ** -10, 0x3c01],
    [1 + 2 ** -11 + 2 ** -30, 0x3c01], // just above the tie: rounds up (single rounding from f64)
    [2049, 0x6800], // 2048..4096 has step 2: 2049 ties to 2048 (even)
    [2051, 0x6802],
  ];
  it.each(cases)('toF16Bits(%s) = %s', (x, bits) => {
    expect(toF16Bits(x)).toBe(bits);
  });

  it('maps NaN to a NaN pattern', () => {
    const h = toF16Bits(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x03ff).not.toBe(0);
    expect(Number.isNaN(fromF16Bits(h))).toBe(true);
  });

  it('decodes known patterns', () => {
    expect(fromF16Bits(0x3c00)).toBe(1);
    expect(fromF16Bits(0x0001)).toBe(2 ** -24);
    expect(fromF16Bits(0x7bff)).toBe(65504);
    expect(fromF16Bits(0xfc00)).toBe(-Infinity);
    expect(Object.is(fromF16Bits(0x8000), -0)).toBe(true);
    expect(Number.isNaN(fromF16Bits(0x7c01))).toBe(true);
    expect(Number.isNaN(fromF16Bits(0xfe00))).toBe(true);
  });
});

describe('f16 exhaustive', () => {
  it('every one of the 65536 patterns decodes like the textbook formula and round-trips through f32', () => {
    const f32 = new Float32Array(1);
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) {
      const v = fromF16Bits(h);
      const ref = refF16(h);
      if (Number.isNaN(ref)) {
        if (!Number.isNaN(v) || !Number.isNaN(fromF16Bits(toF16Bits(v)))) mismatches++;
        continue;
      }
      f32[0] = v; // through an actual f32 store
      if (!Object.is(v, ref) || !Object.is(f32[0], v) || toF16Bits(f32[0]) !== h) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('array codecs agree with the scalar ones on all patterns', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const vals = f16ToF32Array(bits);
    const finite = Array.from(vals).filter((v) => !Number.isNaN(v));
    const back = f32ToF16Array(finite);
    let k = 0;
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(refF16(h))) continue;
      expect(back[k++]).toBe(h);
    }
  });
});

describe('f16 rounding property', () => {
  it('every f32 maps to the nearest f16, ties to even, overflow at 65520', () => {
    fc.assert(
      fc.property(anyF32(), (x) => {
        const h = toF16Bits(x);
        const v = refF16(h);
        if (Number.isNaN(x)) return Number.isNaN(v);
        // The sign survives, also when the value rounds to ±0.
        expect(Object.is(v, 0) || Object.is(v, -0) ? Object.is(v, x < 0 || Object.is(x, -0) ? -0 : 0) : Math.sign(v) === Math.sign(x)).toBe(true);
        const a = Math.abs(x);
        if (a >= 65520) return v === Math.sign(x) * Infinity;
        expect(Number.isFinite(v)).toBe(true);
        const err = Math.abs(x - v);
        const mag = h & 0x7fff;
        for (const m of [mag - 1, mag + 1]) {
          if (m < 0 || m > 0x7bff) continue;
          const w = refF16((h & 0x8000) | m);
          const e2 = Math.abs(x - w);
          expect(err).toBeLessThanOrEqual(e2);
          if (err === e2) expect(mag % 2).toBe(0);
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('roundToF16 is idempotent', () => {
    fc.assert(fc.property(finiteF32(), (x) => Object.is(roundToF16(roundToF16(x)), roundToF16(x))));
  });
});

describe('bf16', () => {
  const bitsCases: [number, number][] = [
    [0x3f800000, 0x3f80], // 1
    [0x3f808000, 0x3f80], // tie at bit 16, even stays
    [0x3f818000, 0x3f82], // tie at bit 16, odd rounds up
    [0x3f808001, 0x3f81], // above the tie
    [0x3f807fff, 0x3f80], // below the tie
    [0xbf818000, 0xbf82], // negative tie, magnitude rounds to even
    [0x7f7fffff, 0x7f80], // largest f32 rounds up to +Inf
    [0x7f7f7fff, 0x7f7f], // largest bf16
    [0x7f800000, 0x7f80], // +Inf
    [0xff800000, 0xff80], // -Inf
    [0x80000000, 0x8000], // -0
    [0x00008000, 0x0000], // subnormal tie to even (0)
    [0x00018000, 0x0002], // subnormal tie to even (2)
  ];
  it.each(bitsCases)('f32 bits %s → bf16 %s', (f32bits, bits) => {
    expect(toBF16Bits(f32FromBits(f32bits))).toBe(bits);
  });

  it('keeps NaN a NaN, including payloads that truncation would turn into Inf', () => {
    for (const b of [0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff]) {
      const h = toBF16Bits(f32FromBits(b));
      expect(Number.isNaN(fromBF16Bits(h))).toBe(true);
      expect(h & 0x8000).toBe(b >>> 31 ? 0x8000 : 0); // sign kept
    }
  });

  it('every bf16 pattern round-trips, and decoding is the top half of an f32', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const vals = bf16ToF32Array(bits);
    const u = new Uint32Array(vals.buffer);
    for (let h = 0; h < 65536; h++) {
      expect(u[h]).toBe(h * 65536);
      if (!Number.isNaN(vals[h])) expect(toBF16Bits(vals[h])).toBe(h);
    }
    expect(Array.from(f32ToBF16Array([1, -2]))).toEqual([0x3f80, 0xc000]);
  });

  it('rounds every f32 to a nearest bf16 with ties to even', () => {
    fc.assert(
      fc.property(anyF32(), (x) => {
        const v = roundToBF16(x);
        if (Number.isNaN(x)) return Number.isNaN(v);
        if (!Number.isFinite(x)) return v === x;
        const h = toBF16Bits(x);
        const mag = h & 0x7fff;
        if (mag === 0x7f80 && Number.isFinite(x)) return Math.abs(x) >= fromBF16Bits(0x7f7f);
        const err = Math.abs(x - v);
        for (const m of [mag - 1, mag + 1]) {
          if (m < 0 || m > 0x7f7f) continue;
          const e2 = Math.abs(x - fromBF16Bits((h & 0x8000) | m));
          expect(err).toBeLessThanOrEqual(e2);
          if (err === e2) expect(mag % 2).toBe(0);
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});
