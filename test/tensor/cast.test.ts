/**
 * Casts and copies (src/ops/cast.ts): `astype` over every pair of dense dtypes against a reference
 * written here from the documented rules, the rounding and saturation edge cases worked out by hand,
 * properties over raw f32 bit patterns, and `clone` / `assign` (new storage, strided views,
 * broadcasting, overlap). f16/bf16 rounding itself is tested in test/dtype/half.test.ts; here
 * `roundToF16` / `roundToBF16` stand for it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from '../../src/errors.js';
import { DENSE_DTYPES, type DenseDType } from '../../src/dtype/table.js';
import { roundToBF16, roundToF16 } from '../../src/dtype/half.js';
import { tensor } from '../../src/tensor.js';
import { arange, zeros } from '../../src/ops/creation.js';
import { broadcastTo, slice, transpose } from '../../src/ops/movement.js';
import { assign, astype, clone } from '../../src/ops/cast.js';
import { anyF32, randomF32Data } from '../arbitraries.js';
import { numel, ravel, unravel } from './naive.js';

/** Integer ranges, written out (not read from the dtype table under test). */
const INT_RANGE: Partial<Record<DenseDType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};
const TWO_63 = 2 ** 63;

/**
 * The documented cast of a number into `dtype`, as the number `toArray()` reports: floats round to
 * nearest even (bf16 through f32), integers truncate toward zero and saturate (NaN -> 0), bool is
 * `x !== 0`. int64 saturates at ±2^63 (the number 2^63 - 1 reads back as).
 */
function refCast(dtype: DenseDType, x: number): number {
  switch (dtype) {
    case 'f64':
      return x;
    case 'f32':
      return Math.fround(x);
    case 'f16':
      return roundToF16(x);
    case 'bf16':
      return roundToBF16(x);
    case 'bool':
      return x === 0 ? 0 : 1; // NaN is true
    case 'int64':
      if (Number.isNaN(x)) return 0;
      if (x >= TWO_63) return TWO_63;
      if (x <= -TWO_63) return -TWO_63;
      return (x > 0 ? Math.floor(x) : Math.ceil(x)) + 0;
    default: {
      const [min, max] = INT_RANGE[dtype] as [number, number];
      if (Number.isNaN(x)) return 0;
      if (x >= max) return max;
      if (x <= min) return min;
      return (x > 0 ? Math.floor(x) : Math.ceil(x)) + 0; // + 0 turns -0 into 0
    }
  }
}

/** Rounds an integer to bf16 (8 significant bits) once, to nearest, ties to even, by integer arithmetic on BigInt. */
function bf16OfInteger(x: bigint): number {
  const neg = x < 0n;
  let a = neg ? -x : x;
  const bits = a.toString(2).length;
  if (bits > 8) {
    const drop = BigInt(bits - 8);
    const unit = 1n << drop;
    const q = a >> drop;
    const r = a - (q << drop);
    const half = unit >> 1n;
    const up = r > half || (r === half && (q & 1n) === 1n);
    a = (up ? q + 1n : q) << drop;
  }
  return Number(neg ? -a : a);
}

/** Values that hit every rule: signs and zeros, fractions, integer and half-float range edges, specials. */
const VALUES = [
  0, -0, 1, -1, 0.5, -2.5, 1.7, -1.7, 127.5, 128, -129, 255.9, 256, 300, -300, 2049, 32768, -40000, 65519, 65520, 1e5,
  2 ** 31, -(2 ** 31) - 1000, 1e10, -1e19, 0.1, 1e-8, 2 ** -30, 3e38, 1e300, NaN, Infinity, -Infinity,
];

describe('astype', () => {
  it('matches the documented examples', () => {
    const i8 = astype(tensor([1.7, -1.7, 300, NaN]), 'int8');
    expect(i8.dtype).toBe('int8');
    expect(i8.toArray()).toEqual([1, -1, 127, 0]);
    expect(astype(tensor([1 + 2 ** -11]), 'f16').item()).toBe(1); // tie to even
  });

  it('follows the cast rules for every pair of dense dtypes', () => {
    for (const from of DENSE_DTYPES) {
      const src = tensor(VALUES, undefined, from);
      const srcVals = VALUES.map((v) => refCast(from, v));
      expect(src.toArray(), `tensor(..., ${from})`).toEqual(srcVals);
      for (const to of DENSE_DTYPES) {
        const out = astype(src, to);
        expect(out.dtype).toBe(to);
        expect(out.shape).toEqual([VALUES.length]);
        expect(out.toArray(), `${from} -> ${to}`).toEqual(srcVals.map((v) => refCast(to, v)));
      }
    }
  });

  it('float -> integer truncates toward zero and saturates; NaN -> 0, ±Inf saturate', () => {
    const x = tensor([2.9, -2.9, -0.5, -0, 1e10, -1e10, Infinity, -Infinity, NaN], undefined, 'f64');
    expect(astype(x, 'int8').toArray()).toEqual([2, -2, 0, 0, 127, -128, 127, -128, 0]);
    expect(astype(x, 'uint8').toArray()).toEqual([2, 0, 0, 0, 255, 0, 255, 0, 0]);
    expect(astype(x, 'int16').toArray()).toEqual([2, -2, 0, 0, 32767, -32768, 32767, -32768, 0]);
    expect(astype(x, 'int32').toArray()).toEqual([2, -2, 0, 0, 2147483647, -2147483648, 2147483647, -2147483648, 0]);
    expect(astype(tensor([2147483647.9, -2147483648.9], undefined, 'f64'), 'int32').toArray()).toEqual([2147483647, -2147483648]);
    expect(astype(tensor([65504, -65504, 1.5], undefined, 'f16'), 'int16').toArray()).toEqual([32767, -32768, 1]);
    expect(astype(tensor([3e38, -2.5], undefined, 'bf16'), 'int32').toArray()).toEqual([2147483647, -2]);
  });

  it('integer -> narrower integer saturates (int32 300 -> int8 127), unlike a wrap', () => {
    expect(astype(tensor([300, -300, 127, -128], undefined, 'int32'), 'int8').toArray()).toEqual([127, -128, 127, -128]);
    expect(astype(tensor([200, 0, 255], undefined, 'uint8'), 'int8').toArray()).toEqual([127, 0, 127]);
    expect(astype(tensor([-1, -128, 5], undefined, 'int8'), 'uint8').toArray()).toEqual([0, 0, 5]);
    expect(astype(tensor([70000, -70000], undefined, 'int32'), 'int16').toArray()).toEqual([32767, -32768]);
    expect(astype(tensor([-2, 300], undefined, 'int16'), 'uint8').toArray()).toEqual([0, 255]);
    expect(astype(tensor([-128, 127], undefined, 'int8'), 'int32').toArray()).toEqual([-128, 127]);
  });

  it('integer -> f16 / bf16 / f32 rounds to nearest, ties to even', () => {
    const ints = [2049, 2051, 2053, 4097, 65519, 65520, 100000, -2049, 257, 259, 261, 32897, -257, 16777217, 16777219];
    const t = tensor(ints, undefined, 'int32');
    expect(astype(t, 'f16').toArray()).toEqual(ints.map(roundToF16));
    expect(astype(t, 'bf16').toArray()).toEqual(ints.map(roundToBF16));
    expect(astype(t, 'f32').toArray()).toEqual(ints.map(Math.fround));
    // The same by hand: f16 keeps 11 significant bits, bf16 8, f32 24.
    expect(astype(tensor([2049, 2051, 2053, 4097, 65519, 65520], undefined, 'int32'), 'f16').toArray()).toEqual([
      2048,
      2052,
      2052,
      4096,
      65504,
      Infinity,
    ]);
    expect(astype(tensor([257, 259, 261, 32897, -257], undefined, 'int32'), 'bf16').toArray()).toEqual([256, 260, 260, 33024, -256]);
    expect(astype(tensor([16777217, 16777219, 2147483647], undefined, 'int32'), 'f32').toArray()).toEqual([
      16777216,
      16777220,
      2147483648,
    ]);
  });

  it('int32 -> bf16 rounds through f32 first beyond 2^24 (header: "a value that is not an f32")', () => {
    // 2^24 + 2^16 + 1 lies just above the midpoint 2^24 + 2^16 of the bf16 neighbours 2^24 and
    // 2^24 + 2^17: rounded once it would go up. Through f32 it first becomes the midpoint, which ties
    // down to 2^24, as torch's int -> bfloat16 does.
    const ints = [2 ** 24 + 2 ** 16 + 1, -(2 ** 24 + 2 ** 16 + 1), 2 ** 30 + 2 ** 22 + 1, 2 ** 24 + 2 ** 16 + 2 ** 9];
    const throughF32 = ints.map((v) => bf16OfInteger(BigInt(Math.fround(v))));
    expect(astype(tensor(ints, undefined, 'int32'), 'bf16').toArray()).toEqual(throughF32);
    expect(throughF32[0]).toBe(2 ** 24); // not bf16OfInteger(2^24 + 2^16 + 1) = 2^24 + 2^17
    expect(bf16OfInteger(BigInt(ints[3]))).toBe(throughF32[3]); // above the midpoint by more than f32 loses
  });

  it('f64 -> f16 rounds once; f64 -> bf16 goes through f32 first, as documented', () => {
    // 1 + 2^-11 + 2^-30: just above the f16 midpoint, so up to 1 + 2^-10. Through f32 the 2^-30 is
    // lost and the tie would go down to 1.
    expect(astype(tensor([1 + 2 ** -11 + 2 ** -30], undefined, 'f64'), 'f16').item()).toBe(1 + 2 ** -10);
    // 1 + 2^-8 + 2^-30 becomes the bf16 midpoint 1 + 2^-8 in f32 and ties to even: 1.
    expect(astype(tensor([1 + 2 ** -8 + 2 ** -30], undefined, 'f64'), 'bf16').item()).toBe(1);
    expect(astype(tensor([1 + 2 ** -24, 1 + 2 ** -24 + 2 ** -40], undefined, 'f64'), 'f32').toArray()).toEqual([1, 1 + 2 ** -23]);
  });

  it('bool: x !== 0 into bool (NaN is true), 0/1 out of it', () => {
    const x = tensor([0, -0, 0.5, -2, NaN, Infinity, 2 ** -149]);
    const b = astype(x, 'bool');
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([0, 0, 1, 1, 1, 1, 1]);
    expect(astype(tensor([2 ** -24, 0], undefined, 'f16'), 'bool').toArray()).toEqual([1, 0]);
    expect(astype(tensor([-128, 0, 5], undefined, 'int8'), 'bool').toArray()).toEqual([1, 0, 1]);
    expect(astype(tensor([0, -5], undefined, 'int64'), 'bool').toArray()).toEqual([0, 1]);
    const fromBool = tensor([1, 0, 1], undefined, 'bool');
    for (const to of ['f32', 'f64', 'f16', 'bf16', 'int8', 'uint8', 'int16', 'int32', 'int64'] as const) {
      expect(astype(fromBool, to).toArray(), to).toEqual([1, 0, 1]);
    }
  });

  it('int64 <-> float and int: truncation and saturation at ±2^63 in, f64 rounding out', () => {
    const f = tensor([1.9, -1.9, NaN, Infinity, -Infinity, 1e19, -1e19, 2 ** 53, 2 ** 63, -(2 ** 63), -0], undefined, 'f64');
    const i = astype(f, 'int64');
    expect(i.dtype).toBe('int64');
    expect(i.data()).toEqual(
      new BigInt64Array([1n, -1n, 0n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 0n]),
    );
    // int64 -> f64: nearest, ties to even (2^53 + 1 -> 2^53, 2^53 + 3 -> 2^53 + 4).
    const big = tensor(new BigInt64Array([2n ** 53n + 1n, 2n ** 53n + 3n, -(2n ** 63n), 2n ** 63n - 1n, -7n]));
    expect(astype(big, 'f64').toArray()).toEqual([2 ** 53, 2 ** 53 + 4, -(2 ** 63), 2 ** 63, -7]);
    // int64 -> f32 goes through f64: 2^60 + 2^36 + 1 becomes the f32 midpoint 2^60 + 2^36, then ties to 2^60.
    const mid = tensor(new BigInt64Array([2n ** 60n + 2n ** 36n + 1n]));
    expect(astype(mid, 'f32').item()).toBe(2 ** 60);
    expect(astype(tensor([3e9, -3e9, 5], undefined, 'int64'), 'int32').toArray()).toEqual([2147483647, -2147483648, 5]);
    expect(astype(tensor([3e9, -3e9], undefined, 'int64'), 'int8').toArray()).toEqual([127, -128]);
    const from32 = astype(tensor([-2147483648, 2147483647], undefined, 'int32'), 'int64');
    expect(from32.data()).toEqual(new BigInt64Array([-2147483648n, 2147483647n]));
    expect(astype(tensor([3e38, -3e38]), 'int64').data()).toEqual(new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n)]));
  });

  it('returns the tensor itself when the dtype already matches', () => {
    for (const d of DENSE_DTYPES) {
      const t = zeros([2], d);
      expect(astype(t, d), d).toBe(t);
      expect(t.astype(d), d).toBe(t);
    }
    const t = zeros([2]);
    expect(astype(t, 'f64')).not.toBe(t);
    expect(astype(t, 'f64').storage).not.toBe(t.storage);
  });

  it('reads strided, offset and broadcast views in logical order into a contiguous result', () => {
    const base = tensor([[1.5, 2.5, 3.5], [-4.5, 5.5, 300.5]]);
    const tt = transpose(base);
    const c = astype(tt, 'int8');
    expect(c.isContiguous).toBe(true);
    expect(c.toArray()).toEqual([
      [1, -4],
      [2, 5],
      [3, 127],
    ]);
    expect(astype(slice(base, 1, [1]), 'int32').toArray()).toEqual([5, 300]);
    expect(astype(broadcastTo(tensor([1.5, -2.5]), [3, 2]), 'int16').toArray()).toEqual([
      [1, -2],
      [1, -2],
      [1, -2],
    ]);
    // Half and int64 sources are decoded before the cast; their views keep their logical order too.
    const h = transpose(tensor([[1, 2], [3, 4]], undefined, 'f16'));
    expect(astype(h, 'f32').toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    const i64 = transpose(tensor([[1, 2], [3, 4]], undefined, 'int64'));
    expect(astype(i64, 'f64').toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(astype(slice(tensor([9, 8, 7], undefined, 'bf16'), [1]), 'int8').toArray()).toEqual([8, 7]);
  });

  it('rejects an unknown or non-dense dtype with a DTypeError naming astype', () => {
    const t = zeros([2]);
    for (const bad of ['int4', 'nf4', 'float32', 'pvq']) {
      expect(() => astype(t, bad as never), bad).toThrow(DTypeError);
      expect(() => astype(t, bad as never), bad).toThrow(new RegExp(`^astype: unknown dense dtype ${bad}$`));
      expect(() => t.astype(bad as never), bad).toThrow(DTypeError);
    }
  });

  it('f32 -> f16 -> f32 is roundToF16, for any f32 bit pattern', () => {
    fc.assert(
      fc.property(fc.array(anyF32(), { minLength: 1, maxLength: 64 }), (xs) => {
        const t = tensor(Float32Array.from(xs));
        const back = astype(astype(t, 'f16'), 'f32');
        expect(Array.from(back.data() as Float32Array)).toEqual(xs.map(roundToF16));
        expect(Array.from(astype(astype(t, 'bf16'), 'f32').data() as Float32Array)).toEqual(xs.map(roundToBF16));
      }),
    );
  });

  it('f32 -> int32 truncates toward zero and saturates, for any f32 bit pattern', () => {
    fc.assert(
      fc.property(fc.array(anyF32(), { minLength: 1, maxLength: 64 }), (xs) => {
        const got = astype(tensor(Float32Array.from(xs)), 'int32').toArray();
        const want = xs.map((x) => {
          if (Number.isNaN(x)) return 0;
          if (x >= 2 ** 31) return 2147483647;
          if (x < -(2 ** 31)) return -2147483648;
          return (x < 0 ? -Math.floor(-x) : Math.floor(x)) + 0;
        });
        expect(got).toEqual(want);
      }),
    );
  });

  it('any dtype to any dtype: the composition of the rules on random f32 values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DENSE_DTYPES),
        fc.constantFrom(...DENSE_DTYPES),
        fc.array(anyF32(), { minLength: 1, maxLength: 32 }),
        (from, to, xs) => {
          const src = tensor(Float32Array.from(xs), undefined, from);
          const mid = xs.map((x) => refCast(from, x));
          expect(astype(src, to).toArray()).toEqual(mid.map((v) => refCast(to, v)));
        },
      ),
    );
  });
});

describe('clone', () => {
  it('copies into storage of its own: writes to the clone do not reach the source', () => {
    const t = tensor([1, 2, 3]);
    const c = clone(t);
    expect(c).not.toBe(t);
    expect(c.storage).not.toBe(t.storage);
    expect(c.dtype).toBe('f32');
    c.set([0], 9);
    expect(t.toArray()).toEqual([1, 2, 3]);
    expect(c.toArray()).toEqual([9, 2, 3]);
    t.set([1], -1);
    expect(c.toArray()).toEqual([9, 2, 3]);
    const m = t.clone();
    expect(m.storage).not.toBe(t.storage);
    expect(m.toArray()).toEqual([1, -1, 3]);
  });

  it('materialises strided, offset and broadcast views as contiguous row-major copies', () => {
    const base = arange(12).reshape([3, 4]);
    const tt = clone(transpose(base));
    expect(tt.shape).toEqual([4, 3]);
    expect(tt.strides).toEqual([3, 1]);
    expect(tt.offset).toBe(0);
    expect(tt.toArray()).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
    const cols = clone(slice(base, [1], [0, 4, 2]));
    expect(cols.toArray()).toEqual([
      [4, 6],
      [8, 10],
    ]);
    expect(cols.offset).toBe(0);
    expect(cols.storage.byteLength).toBe(4 * 4); // only the four elements, int32
    const b = clone(broadcastTo(tensor([1, 2]), [3, 2]));
    expect(b.strides).toEqual([2, 1]);
    b.set([0, 0], 7);
    expect(b.toArray()).toEqual([
      [7, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(clone(tensor(5)).item()).toBe(5);
    expect(clone(zeros([0, 3])).shape).toEqual([0, 3]);
  });

  it('copies raw elements bit for bit (f16 NaN payloads and -0, int64 beyond 2^53)', () => {
    const h = zeros([3], 'f16');
    (h.raw() as Uint16Array).set([0x7e01, 0x8000, 0x3c01]);
    const hc = clone(h);
    expect(hc.dtype).toBe('f16');
    expect(Array.from(hc.raw() as Uint16Array)).toEqual([0x7e01, 0x8000, 0x3c01]);
    const i = zeros([2], 'int64');
    (i.raw() as BigInt64Array).set([2n ** 53n + 1n, -(2n ** 62n) - 3n]);
    expect(clone(transpose(i)).data()).toEqual(new BigInt64Array([2n ** 53n + 1n, -(2n ** 62n) - 3n]));
  });
});

describe('assign', () => {
  it('broadcasts the source to the destination shape and returns the destination', () => {
    const t = zeros([2, 3]);
    expect(assign(t, tensor([1, 2, 3]))).toBe(t);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    assign(t, tensor([[10], [20]]));
    expect(t.toArray()).toEqual([
      [10, 10, 10],
      [20, 20, 20],
    ]);
    assign(t, tensor(4));
    expect(t.toArray()).toEqual([
      [4, 4, 4],
      [4, 4, 4],
    ]);
    expect(assign(t, 5)).toBe(t);
    expect(t.toArray()).toEqual([
      [5, 5, 5],
      [5, 5, 5],
    ]);
  });

  it('casts to the destination dtype', () => {
    const i8 = zeros([4], 'int8');
    assign(i8, tensor([1.7, -1.7, 300, NaN]));
    expect(i8.toArray()).toEqual([1, -1, 127, 0]);
    assign(i8, 1000);
    expect(i8.toArray()).toEqual([127, 127, 127, 127]);
    const h = zeros([2], 'f16');
    assign(h, tensor([1 + 2 ** -11, 65520], undefined, 'f64'));
    expect(h.toArray()).toEqual([1, Infinity]);
    const i64 = zeros([2], 'int64');
    assign(i64, tensor([1e19, -2.5]));
    expect(i64.data()).toEqual(new BigInt64Array([2n ** 63n - 1n, -2n]));
    const f = zeros([2]);
    assign(f, tensor(new BigInt64Array([2n ** 53n + 1n, -3n])));
    expect(f.toArray()).toEqual([Math.fround(2 ** 53), -3]);
    const b = zeros([3], 'bool');
    assign(b, tensor([0, NaN, -0.25]));
    expect(b.toArray()).toEqual([0, 1, 1]);
  });

  it('writes through a view into the tensor it views (rows, strided columns, transposes)', () => {
    const t = zeros([3, 4]);
    assign(slice(t, 1), tensor([1, 2, 3, 4]));
    assign(slice(t, null, [0, 4, 2]), 7);
    expect(t.toArray()).toEqual([
      [7, 0, 7, 0],
      [7, 2, 7, 4],
      [7, 0, 7, 0],
    ]);
    // A strided destination with a cast, and one without.
    const i = zeros([2, 4], 'int16');
    assign(slice(i, null, [1, 4, 2]), tensor([[1.9, 40000], [-1.9, -40000]]));
    expect(i.toArray()).toEqual([
      [0, 1, 0, 32767],
      [0, -1, 0, -32768],
    ]);
    assign(slice(i, null, [0, 4, 2]), tensor([[5, 6], [7, 8]], undefined, 'int16'));
    expect(i.toArray()).toEqual([
      [5, 1, 6, 32767],
      [7, -1, 8, -32768],
    ]);
    const m = zeros([2, 3], 'int32');
    assign(transpose(m), tensor([[1, 2], [3, 4], [5, 6]]));
    expect(m.toArray()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
  });

  it('copies a source that shares the destination storage first (overlapping views)', () => {
    const a = tensor([0, 1, 2, 3, 4]);
    assign(slice(a, [1, 5]), slice(a, [0, 4]));
    expect(a.toArray()).toEqual([0, 0, 1, 2, 3]);
    const b = tensor([0, 1, 2, 3, 4]);
    assign(slice(b, [0, 4]), slice(b, [1, 5]));
    expect(b.toArray()).toEqual([1, 2, 3, 4, 4]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    assign(m, transpose(m));
    expect(m.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    const h = tensor([1, 2, 3], undefined, 'f16');
    assign(slice(h, [1]), slice(h, [0, 2]));
    expect(h.toArray()).toEqual([1, 1, 2]);
  });

  it('rejects a source that does not broadcast with a ShapeError quoting both shapes', () => {
    expect(() => assign(zeros([2, 3]), zeros([4]))).toThrow(ShapeError);
    expect(() => assign(zeros([2, 3]), zeros([4]))).toThrow(/cannot broadcast \[4\] to \[2,3\]/);
    expect(() => assign(zeros([3]), zeros([2, 3]))).toThrow(ShapeError);
    expect(() => assign(zeros([2, 3]), zeros([3, 3]))).toThrow(/\[3,3\].*\[2,3\]/);
    expect(() => assign(slice(zeros([3, 4]), null, [0, 4, 2]), zeros([3, 4]))).toThrow(ShapeError);
  });

  it('the shape error names assign', () => {
    expect(() => assign(zeros([2, 3]), zeros([4]))).toThrow(/^assign: /);
  });

  it('writes exactly the elements of a random strided slice (naive index check)', () => {
    const range = (n: number) =>
      fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: 3 }));
    const cases = fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
      .chain(([r, c]) =>
        fc.record({
          r: fc.constant(r),
          c: fc.constant(c),
          rowSpec: range(r),
          colSpec: range(c),
          seed: fc.integer({ min: 0, max: 1000 }),
          dtype: fc.constantFrom<DenseDType>('f32', 'int16', 'f64'),
          broadcastRow: fc.boolean(),
        }),
      );
    fc.assert(
      fc.property(cases, ({ r, c, rowSpec, colSpec, seed, dtype, broadcastRow }) => {
        const pick = ([lo, hi, step]: [number, number, number]) => {
          const out: number[] = [];
          for (let i = lo; i < hi; i += step) out.push(i);
          return out;
        };
        const rows = pick(rowSpec);
        const cols = pick(colSpec);
        const base = zeros([r, c], dtype);
        const view = slice(base, rowSpec, colSpec);
        expect(view.shape).toEqual([rows.length, cols.length]);
        const srcShape = broadcastRow ? [cols.length] : [rows.length, cols.length];
        const data = randomF32Data(numel(srcShape), seed, { integers: true, scale: 50 });
        assign(view, tensor(data, srcShape));
        const got = base.data();
        for (let p = 0; p < r * c; p++) {
          const [i, j] = unravel(p, [r, c]);
          const ri = rows.indexOf(i);
          const cj = cols.indexOf(j);
          const want = ri < 0 || cj < 0 ? 0 : data[broadcastRow ? cj : ravel([ri, cj], srcShape)];
          expect(Number(got[p]) + 0).toBe(want + 0);
        }
      }),
    );
  });
});
