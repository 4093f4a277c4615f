/**
 * Reductions (src/ops/reduce.ts): properties against the naive f64 references of test/tensor/naive.ts
 * over random shapes, axis subsets (negative, none = all) and keepdims; numerical stability, result
 * dtypes, strided views, edge cases (empty axes, 0-d, NaN, ±Inf, -0) and errors pinned with
 * hand-computed values. Expectations never come from the library's own reductions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, QuantensorError, ShapeError, ValueError } from '../../src/errors.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import type { DenseDType } from '../../src/dtype/table.js';
import { zeros } from '../../src/ops/creation.js';
import { contiguous, expand, permute, slice } from '../../src/ops/movement.js';
import {
  all,
  any,
  argmax,
  argmin,
  max,
  mean,
  min,
  norm,
  prod,
  std,
  sum,
  variance,
  type Axes,
} from '../../src/ops/reduce.js';
import { mulberry32, randomF32Data, shape, type DataOpts } from '../arbitraries.js';
import { naiveReduce, numel, sameNumber } from './naive.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** An `axis` argument for a tensor of rank `rank`, with the sorted non-negative axes it means. */
interface AxisCase {
  arg: Axes;
  axes: number[];
}

/** undefined, null, one axis, or a shuffled subset of the axes, each randomly written negative. */
function axesFor(rank: number): fc.Arbitrary<AxisCase> {
  const every = Array.from({ length: rank }, (_, i) => i);
  const list = fc.shuffledSubarray(every).chain((sub) =>
    fc.array(fc.boolean(), { minLength: sub.length, maxLength: sub.length }).map((neg) => ({
      arg: sub.map((a, i) => (neg[i] ? a - rank : a)) as Axes,
      axes: [...sub].sort((x, y) => x - y),
    })),
  );
  const options: fc.Arbitrary<AxisCase>[] = [fc.constant({ arg: undefined, axes: every }), fc.constant({ arg: null, axes: every }), list];
  if (rank > 0) {
    options.push(fc.integer({ min: -rank, max: rank - 1 }).map((a) => ({ arg: a, axes: [a < 0 ? a + rank : a] })));
  }
  return fc.oneof(...options);
}

/** A random f32 tensor, its values as an independent flat array, an axis argument and keepdims. */
interface ReduceCase extends AxisCase {
  t: Tensor;
  data: Float32Array;
  keepdims: boolean;
}

/** `data` with a fraction `rate` of its elements replaced by NaN (F32_SPECIALS alone rarely hit NaN). */
function withNaNs(data: Float32Array, seed: number, rate: number): Float32Array {
  const next = mulberry32(seed ^ 0x5bd1e995);
  for (let i = 0; i < data.length; i++) if (next() < rate) data[i] = NaN;
  return data;
}

/** Random data: two thirds plain, one third with special values (±0, ±Inf, subnormals, f32 max) and NaNs. */
function reduceCase(maxSize = 120, dataOpts: DataOpts = {}): fc.Arbitrary<ReduceCase> {
  return fc
    .tuple(shape({ maxRank: 4, maxSize }), fc.nat(), fc.boolean(), fc.constantFrom(0, 0, 0.1))
    .chain(([s, seed, keepdims, specials]) => {
      const data = withNaNs(randomF32Data(numel(s), seed, { ...dataOpts, specials }), seed, specials / 2);
      return axesFor(s.length).map(({ arg, axes }) => ({ t: tensor(data, s, 'f32'), data, arg, axes, keepdims }));
    });
}

/** The values of a result as a flat number array. */
const flat = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number>);

/**
 * Checks `got` (a reduction's result) element by element against a naive reference computed in f64:
 * equal when the reference rounded to the result dtype (`round`, f32 by default) matches it (this
 * covers NaN, ±Inf and f32 overflow), else within `tol(group, ref)`.
 */
function expectReduced(
  got: Tensor,
  c: { data: ArrayLike<number>; t: Tensor; axes: number[]; keepdims: boolean },
  f: (values: number[]) => number,
  tol: (values: number[], ref: number) => number,
  what: string,
  round: (x: number) => number = Math.fround,
): void {
  const groups: number[][] = [];
  const ref = naiveReduce(c.data, c.t.shape, c.axes, c.keepdims, (v) => {
    groups.push(v);
    return f(v);
  });
  expect(got.shape).toEqual(ref.shape);
  const g = flat(got);
  expect(g.length).toBe(ref.data.length);
  for (let i = 0; i < g.length; i++) {
    if (sameNumber(g[i], round(ref.data[i]))) continue;
    const bound = tol(groups[i], ref.data[i]);
    expect(Math.abs(g[i] - ref.data[i]), `${what}[${i}]: got ${g[i]}, reference ${ref.data[i]} ± ${bound}`).toBeLessThanOrEqual(bound);
  }
}

const U64 = 2 ** -53; // unit roundoff of f64
const U32 = 2 ** -24; // unit roundoff of f32 (half an ulp, relative)
const MIN_SUB32 = 2 ** -149;
const sumAbs = (v: number[]) => v.reduce((a, x) => a + Math.abs(x), 0);

/**
 * Tolerance of a sum, from the documented accumulation: the library adds in f64 (in any order, its
 * error is at most (n-1)·u64·Σ|x|, and so is the reference's) and rounds once to f32 (half an ulp,
 * at most u32·|sum|, or half the smallest subnormal). So |got - ref| <= u32·|ref| + 2n·u64·Σ|x| +
 * 2^-149. An f32 accumulation (error up to (n-1)·u32·Σ|x|) breaks this bound as soon as terms cancel.
 */
const sumTol = (v: number[], ref: number) => U32 * Math.abs(ref) + 2 * v.length * U64 * sumAbs(v) + MIN_SUB32;
/** Same for a mean (the sum's bound divided by n, with the final rounding relative to the mean). */
const meanTol = (v: number[], ref: number) => U32 * Math.abs(ref) + 2 * U64 * sumAbs(v) + MIN_SUB32;
/** Same for a product: relative (n-1)·u64 per side, plus the final f32 rounding. */
const prodTol = (v: number[], ref: number) => (U32 + 2 * v.length * U64) * Math.abs(ref) + MIN_SUB32;
const exact = () => 0;
const identity = (x: number) => x;

const naiveSum = (v: number[]) => v.reduce((a, x) => a + x, 0);
const naiveMax = (v: number[]) => (v.some(Number.isNaN) ? NaN : Math.max(...v));
const naiveMin = (v: number[]) => (v.some(Number.isNaN) ? NaN : Math.min(...v));

/** Two-pass f64 variance with divisor n - ddof (a divisor <= 0 gives Inf or NaN, as documented). */
function naiveVariance(v: number[], ddof: number): number {
  const m = naiveSum(v) / v.length;
  let ss = 0;
  for (const x of v) ss += (x - m) * (x - m);
  const d = v.length - ddof;
  return d > 0 ? ss / d : ss / 0;
}

/** Index of the first maximum (or minimum); the first NaN wins over everything. */
function naiveArg(v: number[], isMax: boolean): number {
  const nan = v.findIndex(Number.isNaN);
  if (nan >= 0) return nan;
  const best = isMax ? Math.max(...v) : Math.min(...v);
  return v.findIndex((x) => x === best);
}

/** Integer data of a dtype's full range from a seed. */
const INT_RANGES = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  bool: [0, 1],
} as const satisfies Partial<Record<DenseDType, readonly [number, number]>>;
type IntDType = keyof typeof INT_RANGES;

function randomInts(n: number, seed: number, dtype: IntDType, small: boolean): number[] {
  const next = mulberry32(seed);
  const [lo, hi] = small && dtype !== 'bool' && dtype !== 'uint8' ? [-3, 3] : INT_RANGES[dtype];
  return Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)));
}

/** Whether a reduction has an output position that reduces no element. */
const hasEmptyGroup = (c: { t: Tensor; axes: number[] }) =>
  c.axes.reduce((a, ax) => a * c.t.shape[ax], 1) === 0 && c.t.shape.filter((_, i) => !c.axes.includes(i)).every((d) => d > 0);

// ---------------------------------------------------------------------------------------------

describe('sum, mean, prod, max, min, any, all against naive f64 references', () => {
  it('sum: f64 accumulation rounded once to f32', () => {
    fc.assert(
      fc.property(reduceCase(), (c) => {
        const got = sum(c.t, c.arg, { keepdims: c.keepdims });
        expect(got.dtype).toBe('f32');
        expectReduced(got, c, naiveSum, sumTol, 'sum');
      }),
    );
  });

  it('mean: the f64 sum divided by the count (NaN for an empty reduction)', () => {
    fc.assert(
      fc.property(reduceCase(), (c) => {
        const got = mean(c.t, c.arg, { keepdims: c.keepdims });
        expect(got.dtype).toBe('f32');
        expectReduced(got, c, (v) => naiveSum(v) / v.length, meanTol, 'mean');
      }),
    );
  });

  it('prod: f64 accumulation rounded once (1 for an empty reduction)', () => {
    fc.assert(
      fc.property(reduceCase(), (c) => {
        const got = prod(c.t, c.arg, { keepdims: c.keepdims });
        expect(got.dtype).toBe('f32');
        expectReduced(got, c, (v) => v.reduce((a, x) => a * x, 1), prodTol, 'prod');
      }),
    );
  });

  it('max and min: exact, the same dtype, NaN propagates, ValueError on an empty axis', () => {
    fc.assert(
      fc.property(reduceCase(), fc.boolean(), (c, isMax) => {
        const op = isMax ? max : min;
        if (hasEmptyGroup(c)) {
          expect(() => op(c.t, c.arg, { keepdims: c.keepdims })).toThrow(ValueError);
          return;
        }
        const got = op(c.t, c.arg, { keepdims: c.keepdims });
        expect(got.dtype).toBe('f32');
        expectReduced(got, c, isMax ? naiveMax : naiveMin, exact, isMax ? 'max' : 'min');
      }),
    );
  });

  it('any and all: exact bool results (NaN is truthy; all of nothing is true)', () => {
    fc.assert(
      fc.property(reduceCase(120, { integers: true, scale: 1 }), (c) => {
        const a = any(c.t, c.arg, { keepdims: c.keepdims });
        const l = all(c.t, c.arg, { keepdims: c.keepdims });
        expect(a.dtype).toBe('bool');
        expect(l.dtype).toBe('bool');
        expectReduced(a, c, (v) => (v.some((x) => x !== 0) ? 1 : 0), exact, 'any');
        expectReduced(l, c, (v) => (v.every((x) => x !== 0) ? 1 : 0), exact, 'all');
      }),
    );
  });

  it('integer and bool inputs: sum/prod wrap to int32, max/min keep the dtype, mean is f32', () => {
    const dtypes = Object.keys(INT_RANGES) as IntDType[];
    fc.assert(
      fc.property(
        fc.tuple(shape({ maxRank: 3, maxSize: 60 }), fc.nat(), fc.constantFrom(...dtypes), fc.boolean(), fc.boolean()).chain(
          ([s, seed, dtype, keepdims, small]) =>
            axesFor(s.length).map(({ arg, axes }) => {
              const data = randomInts(numel(s), seed, dtype, small);
              return { t: tensor(data, s, dtype), data, arg, axes, keepdims, dtype };
            }),
        ),
        (c) => {
          const o = { keepdims: c.keepdims };
          const s = sum(c.t, c.arg, o);
          expect(s.dtype).toBe('int32');
          // Exact in f64 (n·2^31 < 2^53), then wrapped modulo 2^32 to int32 (ToInt32 is `| 0`).
          expectReduced(s, c, (v) => naiveSum(v) | 0, exact, 'sum', identity);
          const p = prod(c.t, c.arg, o);
          expect(p.dtype).toBe('int32');
          // The exact product (BigInt), wrapped modulo 2^32.
          expectReduced(p, c, (v) => Number(BigInt.asIntN(32, v.reduce((a, x) => a * BigInt(x), 1n))), exact, 'prod', identity);
          const m = mean(c.t, c.arg, o);
          expect(m.dtype).toBe('f32');
          expectReduced(m, c, (v) => naiveSum(v) / v.length, (_, r) => U32 * Math.abs(r), 'mean');
          if (!hasEmptyGroup(c)) {
            const mx = max(c.t, c.arg, o);
            const mn = min(c.t, c.arg, o);
            expect(mx.dtype).toBe(c.dtype);
            expect(mn.dtype).toBe(c.dtype);
            expectReduced(mx, c, naiveMax, exact, 'max', identity);
            expectReduced(mn, c, naiveMin, exact, 'min', identity);
          }
        },
      ),
    );
  });

  it('accumulates f32 in f64: small terms an f32 running sum would drop are kept', () => {
    // f32: 1 + 2^-24 rounds back to 1 (tie to even), so an f32 accumulator returns 1.
    const t = tensor([1, 2 ** -24, 2 ** -24, 2 ** -24, 2 ** -24]);
    expect(sum(t).item()).toBe(1 + 2 ** -22);
    expect(mean(t).item()).toBe(Math.fround((1 + 2 ** -22) / 5));
    // An f32 running product overflows at 1e30 * 1e30; f64 does not.
    expect(prod(tensor([1e30, 1e30, 1e-30])).item()).toBe(Math.fround(Math.fround(1e30) * Math.fround(1e30) * Math.fround(1e-30)));
    // Catastrophic cancellation in f32 only: 2^25 + 1 - 2^25 is 1 in f64.
    expect(sum(tensor([2 ** 25, 1, -(2 ** 25)]), 0).item()).toBe(1);
  });
});

describe('variance and std', () => {
  it('match a two-pass f64 reference for any axes and correction', () => {
    fc.assert(
      fc.property(reduceCase(), fc.constantFrom(0, 1, 2, 0.5), fc.boolean(), (c, ddof, isStd) => {
        const op = isStd ? std : variance;
        const got = op(c.t, c.arg, { keepdims: c.keepdims, correction: ddof });
        expect(got.dtype).toBe('f32');
        // Both sides do the same two f64 passes: relative error O(n·u64), then one f32 rounding.
        const f = (v: number[]) => (isStd ? Math.sqrt(naiveVariance(v, ddof)) : naiveVariance(v, ddof));
        expectReduced(got, c, f, (v, r) => (U32 + 8 * (v.length + 2) * U64) * Math.abs(r) + MIN_SUB32, isStd ? 'std' : 'variance');
      }),
    );
  });

  it('the default correction is 0 (population), 1 gives the sample variance', () => {
    const t = tensor([1, 2, 3, 4]);
    expect(variance(t).item()).toBe(1.25);
    expect(variance(t, null, { correction: 1 }).item()).toBe(Math.fround(5 / 3));
    expect(std(tensor([1, 3])).item()).toBe(1);
    expect(std(t, 0, { correction: 1 }).item()).toBe(Math.fround(Math.sqrt(5 / 3)));
    expect(variance(tensor([[1, 2], [3, 5]]), -1, { keepdims: true }).toArray()).toEqual([[0.25], [1]]);
  });

  it('is stable for a large offset (1e4 + small noise in f32), unlike E[x²] - E[x]²', () => {
    // One-pass E[x²]-E[x]² is off by ~3e-4 (relative) here even in f64, and by ~1e5x in f32.
    const next = mulberry32(7);
    const data = Float32Array.from({ length: 4 * 1024 }, () => 1e4 + (next() * 2 - 1) * 0.05);
    const t = tensor(data, [4, 1024]);
    const rows = Array.from({ length: 4 }, (_, r) => Array.from(data.subarray(r * 1024, (r + 1) * 1024)));
    const got = flat(variance(t, 1));
    rows.forEach((row, r) => {
      const ref = naiveVariance(row, 0);
      expect(Math.abs(got[r] - ref) / ref).toBeLessThan(1e-6);
    });
    const ref = naiveVariance(Array.from(data), 1);
    expect(Math.abs(std(t, null, { correction: 1 }).item() - Math.sqrt(ref)) / Math.sqrt(ref)).toBeLessThan(1e-6);
  });

  it('is exact in f64 for 1e9 + [0, 1, 2, 3], where a one-pass formula loses every digit', () => {
    const t = tensor(new Float64Array([1e9, 1e9 + 1, 1e9 + 2, 1e9 + 3]));
    expect(variance(t).item()).toBe(1.25);
    expect(variance(t, 0, { correction: 1 }).item()).toBe(5 / 3);
    expect(std(t).item()).toBe(Math.sqrt(1.25));
    expect(variance(t).dtype).toBe('f64');
  });

  it('a divisor of 0 or less gives NaN (zero deviation) or Inf', () => {
    expect(variance(tensor([5]), null, { correction: 1 }).item()).toBeNaN();
    expect(std(tensor([[5]]), null, { correction: 2 }).item()).toBeNaN();
    expect(variance(tensor([1, 3]), null, { correction: 2 }).item()).toBe(Infinity);
    expect(variance(tensor([1, 3]), null, { correction: 3 }).item()).toBe(Infinity);
    expect(variance(tensor([1, 3]), null, { correction: -2 }).item()).toBe(0.5); // numpy allows ddof < 0
  });
});

describe('norm', () => {
  const ORDS = [undefined, 2, 1, Infinity, -Infinity, 3, 0.5] as const;

  it('every documented order matches an f64 reference', () => {
    fc.assert(
      fc.property(reduceCase(), fc.constantFrom(...ORDS), (c, ord) => {
        if ((ord === Infinity || ord === -Infinity) && hasEmptyGroup(c)) return; // max/min of nothing: undocumented
        const got = norm(c.t, ord, c.arg, { keepdims: c.keepdims });
        expect(got.dtype).toBe('f32');
        const p = ord ?? 2;
        const abs = (v: number[]) => v.map(Math.abs);
        const f = (v: number[]): number => {
          if (p === Infinity) return naiveMax(abs(v).concat(0));
          if (p === -Infinity) return naiveMin(abs(v));
          if (p === 1) return naiveSum(abs(v));
          if (p === 2) return Math.sqrt(naiveSum(v.map((x) => x * x)));
          return naiveSum(abs(v).map((x) => x ** p)) ** (1 / p);
        };
        // No cancellation (all terms >= 0): relative O(n·u64), amplified by 1/p in the root, then f32.
        const tol = (v: number[], r: number) => (U32 + (8 * (v.length + 2) * U64) / Math.min(p, 1)) * Math.abs(r) + MIN_SUB32;
        expectReduced(got, c, f, p === Infinity || p === -Infinity ? exact : tol, `norm ord ${p}`);
      }),
    );
  });

  it('documented examples and a matrix is a flattened vector (not a matrix norm)', () => {
    expect(norm(tensor([3, 4])).item()).toBe(5);
    expect(norm(tensor([[3, -4]]), 1, 1).toArray()).toEqual([7]);
    expect(norm(tensor([3, -4]), Infinity).item()).toBe(4);
    expect(norm(tensor([3, -4]), -Infinity).item()).toBe(3);
    expect(norm(tensor([[3, 0], [0, 4]])).item()).toBe(5); // spectral would be 4
    expect(norm(tensor([[1, 2], [3, 4]]), 2, [0, 1], { keepdims: true }).shape).toEqual([1, 1]);
    expect(norm(tensor([1, 2, 3], [3], 'int8'), 1).dtype).toBe('f32');
  });

  it('f32 values ~1e30 do not overflow (squares accumulate in f64)', () => {
    const x = Math.fround(1e30);
    const t = tensor([1e30, -1e30, 1e30]);
    const ref = Math.sqrt(3 * x * x);
    expect(Math.abs(norm(t).item() - ref) / ref).toBeLessThanOrEqual(2 * U32);
    expect(norm(tensor([3e38, 3e38])).item()).toBe(Infinity); // finite in f64, but sqrt(2)·3e38 > f32 max
    const bf = tensor([1e30, 1e30], [2], 'bf16');
    expect(norm(bf).dtype).toBe('bf16');
    expect(Number.isFinite(norm(bf).item())).toBe(true);
  });

  it('f64 2-norm is scaled: no overflow at 1e200, no underflow at 1e-200', () => {
    expect(Math.abs(norm(tensor(new Float64Array([1e200, 1e200]))).item() / (Math.SQRT2 * 1e200) - 1)).toBeLessThanOrEqual(4 * U64);
    expect(Math.abs(norm(tensor(new Float64Array([3e-200, 4e-200]))).item() / 5e-200 - 1)).toBeLessThanOrEqual(4 * U64);
    expect(Math.abs(norm(tensor(new Float64Array([1e308, 1e307]))).item() / Math.hypot(1e308, 1e307) - 1)).toBeLessThanOrEqual(4 * U64);
    expect(norm(tensor(new Float64Array([0, 0]))).item()).toBe(0);
    expect(norm(tensor(new Float64Array([1, Infinity]))).item()).toBe(Infinity);
    expect(norm(tensor(new Float64Array([1, NaN, Infinity]))).item()).toBeNaN();
  });
});

describe('argmax and argmin', () => {
  it('first occurrence of the extreme, first NaN wins, int32 indices, any axis', () => {
    const argCase = fc
      .tuple(shape({ maxRank: 3, maxSize: 60 }), fc.nat(), fc.boolean(), fc.constantFrom(0, 0.15))
      .chain(([s, seed, keepdims, specials]) => {
        const data = withNaNs(randomF32Data(numel(s), seed, { integers: true, scale: 2, specials }), seed, specials / 2); // many ties
        const axis = s.length === 0 ? fc.constantFrom(undefined, null) : fc.constantFrom(undefined, null, ...s.flatMap((_, i) => [i, i - s.length]));
        return axis.map((a) => ({ t: tensor(data, s), data, a, keepdims }));
      });
    fc.assert(
      fc.property(argCase, fc.boolean(), ({ t, data, a, keepdims }, isMax) => {
        const op = isMax ? argmax : argmin;
        const axes = a === undefined || a === null ? t.shape.map((_, i) => i) : [a < 0 ? a + t.ndim : a];
        const c = { t, data, axes, keepdims };
        if (hasEmptyGroup(c)) {
          expect(() => op(t, a, { keepdims })).toThrow(ValueError);
          return;
        }
        const got = op(t, a, { keepdims });
        expect(got.dtype).toBe('int32');
        // Over all axes the index is into the flattened tensor: naiveReduce's groups are row-major.
        expectReduced(got, c, (v) => naiveArg(v, isMax), exact, isMax ? 'argmax' : 'argmin', identity);
      }),
    );
  });

  it('fixed cases: ties, NaN, ±Inf, flattened index, keepdims', () => {
    expect(argmax(tensor([3, 7, 7, 1])).item()).toBe(1);
    expect(argmin(tensor([2, 1, 5, 1])).item()).toBe(1);
    expect(argmax(tensor([1, NaN, 5, NaN])).item()).toBe(1);
    expect(argmin(tensor([NaN, -Infinity])).item()).toBe(0);
    expect(argmin(tensor([-Infinity, NaN])).item()).toBe(1);
    expect(argmax(tensor([-Infinity, -Infinity])).item()).toBe(0);
    expect(argmax(tensor([-0, 0])).item()).toBe(0); // -0 == 0: a tie, the first wins
    expect(argmax(tensor([[1, 5], [7, 2]]), 1).toArray()).toEqual([1, 0]);
    expect(argmax(tensor([[1, 5], [7, 2]])).item()).toBe(2);
    expect(argmax(tensor([[1, 5], [7, 2]]), -2, { keepdims: true }).toArray()).toEqual([[1, 0]]);
    expect(argmax(tensor([[1, 5], [7, 2]]), null, { keepdims: true }).toArray()).toEqual([[2]]);
    expect(argmin(tensor([[4, 1, 9]], [1, 3], 'uint8'), 1).toArray()).toEqual([1]);
    expect(argmax(tensor([0, 1, 1], [3], 'bool')).item()).toBe(1);
    expect(argmax(tensor([1, 2, 3], [3], 'int8')).dtype).toBe('int32');
  });
});

describe('strided inputs give the same results as contiguous copies', () => {
  type Op = (t: Tensor, axis: Axes, keepdims: boolean) => Tensor;
  const single = (axis: Axes): number | null => (typeof axis === 'number' ? axis : null);
  const OPS: [string, Op][] = [
    ['sum', (t, a, k) => sum(t, a, { keepdims: k })],
    ['prod', (t, a, k) => prod(t, a, { keepdims: k })],
    ['mean', (t, a, k) => mean(t, a, { keepdims: k })],
    ['variance', (t, a, k) => variance(t, a, { keepdims: k, correction: 1 })],
    ['std', (t, a, k) => std(t, a, { keepdims: k })],
    ['max', (t, a, k) => max(t, a, { keepdims: k })],
    ['min', (t, a, k) => min(t, a, { keepdims: k })],
    ['any', (t, a, k) => any(t, a, { keepdims: k })],
    ['all', (t, a, k) => all(t, a, { keepdims: k })],
    ['norm2', (t, a, k) => norm(t, 2, a, { keepdims: k })],
    ['norm1', (t, a, k) => norm(t, 1, a, { keepdims: k })],
    ['norm3', (t, a, k) => norm(t, 3, a, { keepdims: k })],
    ['argmax', (t, a, k) => argmax(t, single(a), { keepdims: k })],
    ['argmin', (t, a, k) => argmin(t, single(a), { keepdims: k })],
  ];

  /** A transposed, step-sliced or expanded view of a random tensor (no empty dimension). */
  const viewArb = fc
    .tuple(shape({ minRank: 1, maxRank: 3, minDim: 1, maxSize: 60 }), fc.nat(), fc.constantFrom('permute', 'slice', 'expand', 'slice+permute'))
    .chain(([s, seed, kind]) =>
      fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }).map((perm) => {
        const base = tensor(randomF32Data(numel(s), seed, { specials: 0.05 }), s);
        if (kind === 'permute') return permute(base, perm);
        if (kind === 'expand') return expand(tensor(randomF32Data(numel(s), seed), [...s, 1]), [...s, 3]);
        // Step 2 on every axis, starting at 1 where that leaves elements (a non-zero offset).
        const sl = slice(base, ...s.map((d) => [d > 1 ? 1 : 0, null, 2] as [number, null, number]));
        return kind === 'slice' ? sl : permute(sl, perm);
      }),
    )
    .chain((v) => fc.tuple(fc.constant(v), axesFor(v.ndim), fc.boolean()));

  it('every reduction, bit for bit (f64 accumulation in row-major order, whatever the strides)', () => {
    fc.assert(
      fc.property(viewArb, ([v, { arg }, keepdims]) => {
        const c = contiguous(v);
        expect(c.isContiguous).toBe(true);
        for (const [name, op] of OPS) {
          const a = op(v, arg, keepdims);
          const b = op(c, arg, keepdims);
          expect(a.shape, name).toEqual(b.shape);
          expect(a.dtype, name).toBe(b.dtype);
          expect(flat(a), name).toEqual(flat(b));
        }
      }),
    );
  });

  it('fixed cases against hand-computed values', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const tt = permute(t, [1, 0]); // [[1,4],[2,5],[3,6]]
    expect(sum(tt, 1).toArray()).toEqual([5, 7, 9]);
    expect(argmax(tt, 0).toArray()).toEqual([2, 2]);
    expect(max(slice(t, null, [0, null, 2]), 1).toArray()).toEqual([3, 6]); // columns 0 and 2
    const e = expand(tensor([[1], [2]]), [2, 4]); // stride 0 on the last axis
    expect(sum(e, 1).toArray()).toEqual([4, 8]);
    expect(prod(e).item()).toBe(16);
    expect(argmin(e, 1).toArray()).toEqual([0, 0]);
    expect(variance(e, 1).toArray()).toEqual([0, 0]);
  });
});

describe('result dtypes', () => {
  it('follow the documented table', () => {
    const cases: [string, Tensor, DenseDType, number][] = [
      ['sum int8', sum(tensor([127, 127], [2], 'int8')), 'int32', 254],
      ['sum uint8', sum(tensor([255, 255, 255], [3], 'uint8')), 'int32', 765],
      ['sum int16', sum(tensor([32767, 32767], [2], 'int16')), 'int32', 65534],
      ['sum bool', sum(tensor([1, 1, 0, 1], [4], 'bool')), 'int32', 3],
      ['sum int32 wraps', sum(tensor([2 ** 31 - 1, 1], [2], 'int32')), 'int32', -(2 ** 31)],
      ['sum f64', sum(tensor(new Float64Array([0.1, 0.2]))), 'f64', 0.1 + 0.2],
      ['sum f16', sum(tensor([1, 2], [2], 'f16')), 'f16', 3],
      ['sum bf16', sum(tensor([1, 2], [2], 'bf16')), 'bf16', 3],
      ['prod uint8', prod(tensor([255, 255], [2], 'uint8')), 'int32', 65025],
      ['prod int32 wraps', prod(tensor([65537, 65537], [2], 'int32')), 'int32', 131073], // (2^32 + 2^17 + 1) mod 2^32
      ['prod bool', prod(tensor([1, 0], [2], 'bool')), 'int32', 0],
      ['mean int32', mean(tensor([1, 2], [2], 'int32')), 'f32', 1.5],
      ['mean bool', mean(tensor([1, 0, 0, 0], [4], 'bool')), 'f32', 0.25],
      ['mean f16', mean(tensor([1, 2], [2], 'f16')), 'f16', 1.5],
      ['variance int8', variance(tensor([1, 3], [2], 'int8')), 'f32', 1],
      ['std uint8', std(tensor([1, 3], [2], 'uint8')), 'f32', 1],
      ['norm int16', norm(tensor([3, 4], [2], 'int16')), 'f32', 5],
      ['max f16', max(tensor([0.5, 65504], [2], 'f16')), 'f16', 65504],
      ['min bf16', min(tensor([0.5, -3], [2], 'bf16')), 'bf16', -3],
      ['max int8', max(tensor([-128, -5], [2], 'int8')), 'int8', -5],
      ['min uint8', min(tensor([200, 7], [2], 'uint8')), 'uint8', 7],
      ['max bool', max(tensor([0, 1], [2], 'bool')), 'bool', 1],
      ['max int32', max(tensor([2 ** 31 - 1, 0], [2], 'int32')), 'int32', 2 ** 31 - 1],
      ['argmin f64', argmin(tensor(new Float64Array([2, 1]))), 'int32', 1],
      ['any int8', any(tensor([0, -3], [2], 'int8')), 'bool', 1],
      ['all f64', all(tensor(new Float64Array([1, 0]))), 'bool', 0],
    ];
    for (const [what, got, dtype, value] of cases) {
      expect(got.dtype, what).toBe(dtype);
      expect(got.item(), what).toBe(value);
    }
  });

  it('f16 sums round once from the f64 accumulator', () => {
    // 1 + 2^-11 + 2^-24 (all exact f16) is above the f16 midpoint 1 + 2^-11, so it rounds up to
    // 1 + 2^-10. Rounding through f32 first would tie at the midpoint and round to even: 1.
    const t = tensor([1, 2 ** -11, 2 ** -24], [3], 'f16');
    expect(sum(t).item()).toBe(1 + 2 ** -10);
  });

  it('bf16 sums round through f32, as the module header documents', () => {
    // 1 + 2^-8 + 2^-32 (all exact bf16) is above the bf16 midpoint 1 + 2^-8: once-rounded it would be
    // 1 + 2^-7. Through f32 it first becomes exactly the midpoint, which ties to even: 1.
    const t = tensor([1, 2 ** -8, 2 ** -32], [3], 'bf16');
    expect(sum(t).item()).toBe(1);
    // above the midpoint by more than f32 rounds away, it goes up either way
    expect(sum(tensor([1, 2 ** -8, 2 ** -20], [3], 'bf16')).item()).toBe(1 + 2 ** -7);
  });

  it('f16 and bf16 inputs: sum/mean within half an ulp of the f64 reference, max/min exact', () => {
    fc.assert(
      fc.property(reduceCase(60), fc.constantFrom('f16', 'bf16') as fc.Arbitrary<'f16' | 'bf16'>, (c32, dtype) => {
        const t = tensor(c32.data, c32.t.shape, dtype);
        const data = t.data() as Float32Array; // the stored half values, decoded
        const c = { ...c32, t, data };
        const o = { keepdims: c.keepdims };
        const u = dtype === 'f16' ? 2 ** -11 : 2 ** -8;
        const sub = dtype === 'f16' ? 2 ** -24 : MIN_SUB32;
        // As sumTol/meanTol, with half an ulp of the half format (u·|r|, or half its smallest subnormal).
        const tol = (v: number[], r: number) => u * Math.abs(r) + 2 * v.length * U64 * sumAbs(v) + sub;
        const mTol = (v: number[], r: number) => u * Math.abs(r) + 2 * U64 * sumAbs(v) + sub;
        const s = sum(t, c.arg, o);
        expect(s.dtype).toBe(dtype);
        // Overflow of the half range: the reference is compared in f64, so map ±Inf exactly.
        const halfMax = dtype === 'f16' ? 65520 : 3.3961775292304046e38;
        const clampInf = (r: number) => (Math.abs(r) >= halfMax ? Math.sign(r) * Infinity : r);
        expectReduced(s, c, (v) => clampInf(naiveSum(v)), tol, `sum ${dtype}`, identity);
        expectReduced(mean(t, c.arg, o), c, (v) => clampInf(naiveSum(v) / v.length), mTol, `mean ${dtype}`, identity);
        if (!hasEmptyGroup(c)) {
          const mx = max(t, c.arg, o);
          expect(mx.dtype).toBe(dtype);
          expectReduced(mx, c, naiveMax, exact, `max ${dtype}`, identity);
          expectReduced(min(t, c.arg, o), c, naiveMin, exact, `min ${dtype}`, identity);
        }
      }),
    );
  });
});

describe('edge cases', () => {
  it('an empty axis: sum 0, prod 1, mean NaN, any false, all true; max/min/argmax/argmin throw', () => {
    const e = zeros([2, 0]);
    expect(sum(e, 1).toArray()).toEqual([0, 0]);
    expect(prod(e, 1).toArray()).toEqual([1, 1]);
    expect(flat(mean(e, 1)).every(Number.isNaN)).toBe(true);
    expect(flat(variance(e, 1)).every(Number.isNaN)).toBe(true);
    expect(any(e, 1).toArray()).toEqual([0, 0]);
    expect(all(e, 1).toArray()).toEqual([1, 1]);
    expect(norm(e, 2, 1).toArray()).toEqual([0, 0]);
    expect(sum(zeros([0], 'int8')).item()).toBe(0);
    expect(sum(zeros([0], 'int8')).dtype).toBe('int32');
    expect(prod(zeros([0], 'uint8')).item()).toBe(1);
    for (const [name, op] of [
      ['max', () => max(e, 1)],
      ['min', () => min(e)],
      ['argmax', () => argmax(e, 1)],
      ['argmin', () => argmin(e, -1)],
    ] as const) {
      expect(op, name).toThrow(ValueError);
      expect(op, name).toThrow(new RegExp(`^${name} of an empty axis: shape \\[2,0\\] along ax`));
    }
    // Nothing to reduce into: an empty result, no error.
    expect(max(e, 0).shape).toEqual([0]);
    expect(argmax(e, 0).shape).toEqual([0]);
    expect(sum(e, 0, { keepdims: true }).shape).toEqual([1, 0]);
  });

  it('argmax/argmin over all axes of an empty tensor quote the caller\'s shape', () => {
    // max(e) says "shape [2,0] along axes [0,1]"; the flattened arg-reductions should not quote [0].
    const e = zeros([2, 0]);
    expect(() => argmax(e)).toThrow(ValueError);
    expect(() => argmax(e)).toThrow(/^argmax of an empty axis: shape \[2,0\]/);
    expect(() => argmin(e, null)).toThrow(/^argmin of an empty axis: shape \[2,0\]/);
  });

  it('0-d tensors reduce over no axes', () => {
    const s = tensor(-5);
    for (const r of [sum(s), sum(s, []), prod(s), max(s), min(s), mean(s)]) {
      expect(r.shape).toEqual([]);
      expect(r.item()).toBe(-5);
    }
    expect(sum(s, null, { keepdims: true }).shape).toEqual([]);
    expect(variance(s).item()).toBe(0);
    expect(norm(s).item()).toBe(5);
    expect(argmax(s).item()).toBe(0);
    expect(argmin(s, null, { keepdims: true }).shape).toEqual([]);
    expect(any(tensor(0)).item()).toBe(0);
    expect(all(s).item()).toBe(1);
    expect(() => sum(s, 0)).toThrow(ShapeError);
    expect(() => argmax(s, -1)).toThrow(ShapeError);
  });

  it('a single element, and an empty axis list reduces nothing', () => {
    const one = tensor([[7]]);
    expect(sum(one).item()).toBe(7);
    expect(std(one).item()).toBe(0);
    expect(argmin(one, 1).toArray()).toEqual([0]);
    const t = tensor([
      [1, 2],
      [3, 4],
    ], [2, 2], 'int8');
    const r = sum(t, []);
    expect(r.dtype).toBe('int32');
    expect(r.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('NaN and ±Infinity propagate', () => {
    expect(sum(tensor([1, NaN, 2])).item()).toBeNaN();
    expect(sum(tensor([Infinity, 1])).item()).toBe(Infinity);
    expect(sum(tensor([Infinity, -Infinity])).item()).toBeNaN();
    expect(prod(tensor([0, Infinity])).item()).toBeNaN();
    expect(prod(tensor([-2, Infinity])).item()).toBe(-Infinity);
    expect(mean(tensor([-Infinity, 1])).item()).toBe(-Infinity);
    expect(variance(tensor([Infinity, 1])).item()).toBeNaN();
    expect(max(tensor([1, NaN, 3])).item()).toBeNaN();
    expect(max(tensor([NaN, 3])).item()).toBeNaN();
    expect(min(tensor([-Infinity, NaN])).item()).toBeNaN();
    expect(max(tensor([-Infinity, 2, Infinity])).item()).toBe(Infinity);
    expect(min(tensor([Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(max(tensor([[1, NaN], [3, 4]]), 1).toArray()).toEqual([NaN, 4]);
    expect(norm(tensor([1, -Infinity]), 1).item()).toBe(Infinity);
    expect(norm(tensor([1, NaN]), Infinity).item()).toBeNaN();
    expect(any(tensor([0, NaN])).item()).toBe(1);
    expect(all(tensor([NaN, 1])).item()).toBe(1);
  });

  it('-0: a product keeps the sign, max/min return it, any/all treat it as zero', () => {
    expect(Object.is(prod(tensor([-0, 1])).item(), -0)).toBe(true);
    expect(Object.is(prod(tensor([-0, -1])).item(), 0)).toBe(true);
    expect(Object.is(max(tensor([-0])).item(), -0)).toBe(true);
    expect(Object.is(min(tensor([-0, -0])).item(), -0)).toBe(true);
    expect(Object.is(norm(tensor([-0])).item(), 0)).toBe(true);
    expect(Object.is(norm(tensor([-0]), 1).item(), 0)).toBe(true);
    expect(any(tensor([-0, 0])).item()).toBe(0);
    expect(all(tensor([1, -0])).item()).toBe(0);
  });
});

describe('errors', () => {
  const t = zeros([2, 3]);
  /** Every reduction called with one bad axis argument. */
  const ALL_OPS: [string, (axis: unknown) => Tensor][] = [
    ['sum', (a) => sum(t, a as never)],
    ['prod', (a) => prod(t, a as never)],
    ['mean', (a) => mean(t, a as never)],
    ['variance', (a) => variance(t, a as never)],
    ['std', (a) => std(t, a as never)],
    ['max', (a) => max(t, a as never)],
    ['min', (a) => min(t, a as never)],
    ['any', (a) => any(t, a as never)],
    ['all', (a) => all(t, a as never)],
    ['norm', (a) => norm(t, 2, a as never)],
    ['argmax', (a) => argmax(t, a as never)],
    ['argmin', (a) => argmin(t, a as never)],
  ];
  const LIST_OPS = ALL_OPS.filter(([n]) => n !== 'argmax' && n !== 'argmin');

  /** The message of what `f` throws, after checking it is a `cls`. */
  function thrown(f: () => unknown, cls: new (...args: never[]) => Error, what: string): string {
    try {
      f();
    } catch (e) {
      expect(e, what).toBeInstanceOf(cls);
      return (e as Error).message;
    }
    throw new Error(`${what}: did not throw`);
  }

  it('an out-of-range or non-integer axis is a ShapeError quoting the axis and the shape', () => {
    for (const [name, op] of ALL_OPS) {
      for (const axis of [2, -3, 1.5]) expect(thrown(() => op(axis), ShapeError, `${name}(${axis})`)).toContain(`axis ${axis} `);
      expect(thrown(() => op(2), ShapeError, name)).toContain('[2,3]');
    }
    for (const [name, op] of LIST_OPS) thrown(() => op([0, 5]), ShapeError, `${name}([0,5])`);
  });

  it('a repeated axis (also spelled negatively) is a ShapeError', () => {
    for (const [name, op] of LIST_OPS) {
      expect(thrown(() => op([1, 1]), ShapeError, name)).toMatch(/repeated/);
      expect(thrown(() => op([0, -2]), ShapeError, name)).toMatch(/axis -2 is repeated in \[0,-2\] for shape \[2,3\]/);
    }
  });

  it('axis errors name the op', () => {
    // The brief: every error message names the op that threw it.
    const missing: string[] = [];
    for (const [name, op] of ALL_OPS) {
      const messages = [thrown(() => op(2), ShapeError, name)];
      if (LIST_OPS.some(([n]) => n === name)) messages.push(thrown(() => op([0, 0]), ShapeError, name));
      else messages.push(thrown(() => op([0, 1]), QuantensorError, `${name} with a list of axes`));
      for (const m of messages) if (!m.includes(name)) missing.push(`${name}: "${m}"`);
    }
    expect(missing).toEqual([]);
  });

  it('int64 is refused with a DTypeError naming the op', () => {
    const t64 = tensor([1, 2], [2], 'int64');
    const ops: [string, () => unknown][] = [
      ['sum', () => sum(t64)],
      ['prod', () => prod(t64)],
      ['mean', () => mean(t64)],
      ['variance', () => variance(t64)],
      ['std', () => std(t64)],
      ['max', () => max(t64)],
      ['min', () => min(t64)],
      ['any', () => any(t64)],
      ['all', () => all(t64)],
      ['norm', () => norm(t64)],
      ['argmax', () => argmax(t64, 0)],
      ['argmin', () => argmin(t64)],
    ];
    for (const [name, op] of ops) expect(thrown(op, DTypeError, name)).toMatch(new RegExp(`^${name} does not support int64`));
  });

  it('documented option checks: a non-finite correction, an ord <= 0 or NaN are ValueErrors naming the op', () => {
    for (const correction of [NaN, Infinity, -Infinity, '1' as never]) {
      expect(thrown(() => variance(t, null, { correction }), ValueError, `variance ${correction}`)).toMatch(/^variance: correction must be finite/);
      expect(thrown(() => std(t, 0, { correction }), ValueError, `std ${correction}`)).toMatch(/^std: correction must be finite/);
    }
    for (const ord of [0, -1, -2, NaN, 'fro' as never]) {
      expect(thrown(() => norm(t, ord), ValueError, `norm ${ord}`)).toMatch(/^norm: ord must be > 0, Infinity or -Infinity/);
    }
  });

  it('a keepdims that is not a boolean, or a null options object, is a ValueError naming the op', () => {
    // errors.ts: "a bad option" is a ValueError; quant.ts checks its boolean options the same way.
    const bad: [string, () => unknown][] = [
      ['sum', () => sum(t, 0, { keepdims: 'no' as never })],
      ['max', () => max(t, 0, { keepdims: 1 as never })],
      ['argmax', () => argmax(t, 0, { keepdims: 'yes' as never })],
      ['sum', () => sum(t, 0, null as never)],
      ['variance', () => variance(t, 0, null as never)],
      ['argmin', () => argmin(t, 0, null as never)],
    ];
    const problems: string[] = [];
    for (const [name, op] of bad) {
      try {
        const r = op() as Tensor;
        problems.push(`${name}: no error, returned shape [${r.shape.join(',')}]`);
      } catch (e) {
        if (!(e instanceof ValueError) || !(e as Error).message.includes(name)) problems.push(`${name}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
