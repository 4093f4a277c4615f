/**
 * Elementwise ops (src/ops/elementwise.ts) against references computed here, never by the library:
 * naive broadcasting (test/tensor/naive.ts) of f64 JS arithmetic rounded to the result dtype,
 * BigInt for integer wrap-around, roundToF16/roundToBF16 for half precision, and the documented
 * edge cases (NaN, ±Inf, -0, empty and 0-d tensors, strided views) and errors. Not a test of
 * promoteTypes itself (test/dtype/promote.test.ts) nor of casts: this file checks that the ops
 * apply the promotion rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, QuantensorError, ShapeError, ValueError, fmtShape } from '../../src/errors.js';
import type { DenseDType } from '../../src/dtype/table.js';
import { fromBF16Bits, fromF16Bits, roundToBF16, roundToF16 } from '../../src/dtype/half.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { ones, zeros } from '../../src/ops/creation.js';
import { contiguous, expand, permute, slice, transpose } from '../../src/ops/movement.js';
import {
  abs,
  add,
  ceil,
  clamp,
  cos,
  div,
  eq,
  exp,
  floor,
  ge,
  gt,
  isfinite,
  isnan,
  le,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  silu,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  trunc,
  where,
  type Operand,
} from '../../src/ops/elementwise.js';
import { anyF32, bitsOfF32, broadcastShapes, incompatibleShapes, mulberry32, randomF32Data, randomF32Tensor, shape } from '../arbitraries.js';
import { naiveBinary, naiveBroadcastShape, numel, readBroadcast, sameNumber, unravel } from './naive.js';

type BinaryOp = (a: Operand, b: Operand) => Tensor;
type UnaryOp = (x: Tensor) => Tensor;

/** A tensor's values in row-major order as plain numbers (f16/bf16 decoded, bool as 0/1). */
const values = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number>);

/** Asserts `got` equals `want` element by element (NaN equals NaN; `strict` also tells -0 from 0). */
function expectValues(got: ArrayLike<number>, want: ArrayLike<number>, strict = false): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length && bad.length < 5; i++) {
    const ok = strict ? Object.is(got[i], want[i]) : sameNumber(got[i], want[i]);
    if (!ok) bad.push(`[${i}] got ${Object.is(got[i], -0) ? '-0' : got[i]}, want ${Object.is(want[i], -0) ? '-0' : want[i]}`);
  }
  expect(bad).toEqual([]);
}

/** Position of an f32 on the number line in ulps (±0 both 0; +Inf is one past the largest finite). */
function f32Ordinal(x: number): number {
  const b = bitsOfF32(x);
  return b & 0x80000000 ? -(b & 0x7fffffff) : b;
}

/**
 * Asserts every f32 `got` is within `maxUlps` of `ref` (an f64 value) rounded to f32; NaN must match
 * NaN. Used where the docs promise no particular libm (see TOLERANCE_ULPS).
 */
function expectWithinUlps(got: ArrayLike<number>, ref: ArrayLike<number>, inputs: string[], maxUlps: number): void {
  expect(got.length).toBe(ref.length);
  const bad: string[] = [];
  for (let i = 0; i < ref.length && bad.length < 5; i++) {
    const want = Math.fround(ref[i]);
    const ok = Number.isNaN(want) ? Number.isNaN(got[i]) : !Number.isNaN(got[i]) && Math.abs(f32Ordinal(got[i]) - f32Ordinal(want)) <= maxUlps;
    if (!ok) bad.push(`at ${inputs[i]}: got ${got[i]}, want ${want} ± ${maxUlps} ulp`);
  }
  expect(bad).toEqual([]);
}

/** Asserts `fn` throws an instance of `cls` whose message names `op` (and each of `parts`). */
function expectError(fn: () => unknown, cls: new (...args: never[]) => Error, op: string, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${op} should throw ${cls.name}`).toBeInstanceOf(cls);
  const msg = (err as Error).message;
  expect(msg).toContain(op);
  for (const p of parts) expect(msg).toContain(p);
}

/** numpy's maximum/minimum: NaN propagates; written without Math.max/min. */
const naiveMax = (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x >= y ? x : y);
const naiveMin = (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x <= y ? x : y);
const truth = (x: number) => x !== 0; // NaN is true (numpy, torch)
const bit = (b: boolean) => (b ? 1 : 0);

/** pow with the C99 special cases the docs promise where JS differs. */
const c99Pow = (x: number, y: number) => (x === 1 || (x === -1 && Math.abs(y) === Infinity) ? 1 : Math.pow(x, y));

const ARITH: [string, BinaryOp, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['maximum', maximum, naiveMax],
  ['minimum', minimum, naiveMin],
];

const PREDICATES: [string, BinaryOp, (x: number, y: number) => boolean][] = [
  ['eq', eq, (x, y) => x === y],
  ['ne', ne, (x, y) => x !== y],
  ['lt', lt, (x, y) => x < y],
  ['le', le, (x, y) => x <= y],
  ['gt', gt, (x, y) => x > y],
  ['ge', ge, (x, y) => x >= y],
  ['logicalAnd', logicalAnd, (x, y) => truth(x) && truth(y)],
  ['logicalOr', logicalOr, (x, y) => truth(x) || truth(y)],
  ['logicalXor', logicalXor, (x, y) => truth(x) !== truth(y)],
];

const ALL_BINARY: [string, BinaryOp][] = [...ARITH, ...PREDICATES, ['pow', pow]].map(([n, f]) => [n, f] as [string, BinaryOp]);

/** Half to even, numpy's `round`, from floor and the exact fraction (exact for f32 inputs). */
function roundHalfEvenRef(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** Unary ops whose f32 result is the correctly rounded f64 result: exact comparison (bitwise, -0 included). */
const EXACT_UNARY: [string, UnaryOp, (x: number) => number, 'f32' | 'bool'][] = [
  ['neg', neg, (x) => -x, 'f32'],
  ['abs', abs, (x) => (x < 0 || Object.is(x, -0) ? -x : x), 'f32'],
  ['sign', sign, (x) => (x > 0 ? 1 : x < 0 ? -1 : x), 'f32'], // ±0 and NaN as they are
  ['square', square, (x) => x * x, 'f32'],
  // √ is correctly rounded in f64, and 53 >= 2*24 + 2 makes the second rounding to f32 innocuous.
  ['sqrt', sqrt, (x) => Math.sqrt(x), 'f32'],
  ['reciprocal', reciprocal, (x) => 1 / x, 'f32'],
  ['round', round, roundHalfEvenRef, 'f32'],
  ['floor', floor, (x) => Math.floor(x), 'f32'],
  ['ceil', ceil, (x) => Math.ceil(x), 'f32'],
  ['trunc', trunc, (x) => Math.trunc(x), 'f32'],
  ['isnan', isnan, (x) => bit(Number.isNaN(x)), 'bool'],
  ['isfinite', isfinite, (x) => bit(Number.isFinite(x)), 'bool'],
  ['logicalNot', logicalNot, (x) => bit(!truth(x)), 'bool'],
];

/**
 * Transcendental ops, checked to TOLERANCE_ULPS of the f64 Math result rounded to f32. The docs
 * name no libm: V8's Math.exp/sin/... are themselves only faithful (≤ 1 ulp in f64), so an f32 result
 * may land on either side of a near-tie, and a future f32 kernel (a WASM polynomial) is allowed a
 * little more; 2 ulp still catches any wrong formula, sign or overflow. rsqrt is here too: 1/√x is
 * two roundings, not a correctly rounded result.
 */
const TOLERANCE_ULPS = 2;
const sigmoidRef = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const TRANSCENDENTAL: [string, UnaryOp, (x: number) => number][] = [
  ['exp', exp, Math.exp],
  ['log', log, Math.log],
  ['sin', sin, Math.sin],
  ['cos', cos, Math.cos],
  ['tanh', tanh, Math.tanh],
  ['sigmoid', sigmoid, sigmoidRef],
  ['silu', silu, (x) => x * sigmoidRef(x)],
  ['rsqrt', rsqrt, (x) => 1 / Math.sqrt(x)],
];

const ALL_UNARY: [string, UnaryOp][] = [
  ...EXACT_UNARY.map(([n, f]) => [n, f] as [string, UnaryOp]),
  ...TRANSCENDENTAL.map(([n, f]) => [n, f] as [string, UnaryOp]),
  ['relu', relu],
];

/** Seeds and data options for a pair of random f32 operands. */
const dataOpts = fc.record({
  seedA: fc.nat(),
  seedB: fc.nat(),
  // Integer data makes ties (eq, maximum) and exact zeros (x/0, 0/0) common.
  integers: fc.boolean(),
  specials: fc.constantFrom(0, 0.2),
});

describe('binary ops on f32: broadcasting against a naive reference', () => {
  it.each(ARITH)('%s equals the f64 result rounded to f32, exactly', (name, op, f) => {
    fc.assert(
      fc.property(broadcastShapes(), dataOpts, ({ a, b, out }, { seedA, seedB, integers, specials }) => {
        const A = randomF32Tensor(a, seedA, { integers, specials });
        const B = randomF32Tensor(b, seedB, { integers, specials });
        const got = op(A, B);
        const want = naiveBinary(values(A), a, values(B), b, (x, y) => Math.fround(f(x, y)));
        expect(got.shape).toEqual(want.shape);
        expect(got.shape).toEqual(out);
        expect(got.dtype).toBe('f32');
        expectValues(values(got), want.data);
      }),
    );
  });

  it.each(PREDICATES)('%s gives bool, exactly', (name, op, f) => {
    fc.assert(
      fc.property(broadcastShapes(), dataOpts, ({ a, b }, { seedA, seedB, integers, specials }) => {
        const A = randomF32Tensor(a, seedA, { integers, specials });
        const B = randomF32Tensor(b, seedB, { integers, specials });
        const got = op(A, B);
        const want = naiveBinary(values(A), a, values(B), b, (x, y) => bit(f(x, y)));
        expect(got.shape).toEqual(want.shape);
        expect(got.dtype).toBe('bool');
        expectValues(values(got), want.data);
      }),
    );
  });

  it.each([...ARITH, ...PREDICATES.map(([n, op, f]) => [n, op, (x: number, y: number) => bit(f(x, y))] as const)])(
    '%s with an f32 JS scalar on either side equals the reference',
    (name, op, f) => {
      fc.assert(
        fc.property(shape({ maxRank: 3 }), fc.nat(), anyF32(), fc.boolean(), (s, seed, scalar, scalarFirst) => {
          // An f32 value as the scalar: its rounding to the tensor's dtype is exact, tested below.
          const T = randomF32Tensor(s, seed, { specials: 0.2, integers: true });
          const got = scalarFirst ? op(scalar, T) : op(T, scalar);
          const want = values(T).map((x) => Math.fround(scalarFirst ? f(scalar, x) : f(x, scalar)));
          expect(got.shape).toEqual(s);
          expectValues(values(got), want);
        }),
      );
    },
  );

  it(`pow is within ${TOLERANCE_ULPS} ulp of the f64 C99 pow`, () => {
    fc.assert(
      fc.property(broadcastShapes(), dataOpts, ({ a, b }, { seedA, seedB, integers, specials }) => {
        const A = randomF32Tensor(a, seedA, { specials, scale: 6 });
        // Small exponents, integers and halves, so results stay mostly finite and signs of negative
        // bases matter (integer exponents) or give NaN (fractional ones).
        const eData = Array.from(randomF32Data(numel(b), seedB, { specials, integers, scale: 4 }), (v) => (integers ? v : Math.round(v * 2) / 2));
        const B = tensor(eData, b, 'f32');
        const got = pow(A, B);
        const want = naiveBinary(values(A), a, values(B), b, c99Pow);
        const where = want.data.map((_, i) => {
          const idx = unravel(i, want.shape);
          return `${readBroadcast(values(A), a, idx)} ** ${readBroadcast(values(B), b, idx)}`;
        });
        expect(got.dtype).toBe('f32');
        expect(got.shape).toEqual(want.shape);
        expectWithinUlps(values(got), want.data, where, TOLERANCE_ULPS);
      }),
    );
  });

  it.each(ALL_BINARY)('%s throws ShapeError naming the op and both shapes when shapes do not broadcast', (name, op) => {
    fc.assert(
      fc.property(incompatibleShapes(), ({ a, b }) => {
        expect(naiveBroadcastShape(a, b)).toBeNull();
        expectError(() => op(zeros(a), zeros(b)), ShapeError, name, fmtShape(a), fmtShape(b));
      }),
    );
  });
});

describe('unary ops on f32', () => {
  const unaryData = fc.oneof(
    fc.record({ s: shape({ maxRank: 3 }), seed: fc.nat(), scale: fc.constantFrom(1, 4, 100) }).map(({ s, seed, scale }) =>
      randomF32Tensor(s, seed, { scale, specials: 0.15 }),
    ),
    fc.array(anyF32(), { maxLength: 40 }).map((v) => tensor(v, [v.length], 'f32')),
  );

  it.each(EXACT_UNARY)('%s equals the reference exactly (-0 included)', (name, op, f, dtype) => {
    fc.assert(
      fc.property(unaryData, (t) => {
        const got = op(t);
        expect(got.shape).toEqual(t.shape);
        expect(got.dtype).toBe(dtype);
        expectValues(values(got), values(t).map((x) => Math.fround(f(x))), true);
      }),
    );
  });

  it('relu is max(x, 0) and keeps NaN', () => {
    fc.assert(
      fc.property(unaryData, (t) => {
        const got = relu(t);
        expect(got.dtype).toBe('f32');
        expectValues(values(got), values(t).map((x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0)));
      }),
    );
  });

  it.each(TRANSCENDENTAL)(`%s is within ${TOLERANCE_ULPS} ulp of the f64 Math result`, (name, op, f) => {
    fc.assert(
      fc.property(unaryData, (t) => {
        const got = op(t);
        expect(got.shape).toEqual(t.shape);
        expect(got.dtype).toBe('f32');
        const xs = values(t);
        expectWithinUlps(values(got), xs.map(f), xs.map((x) => `${name}(${x})`), TOLERANCE_ULPS);
      }),
    );
  });
});

/** A strided view over fresh random storage: transposed, stepped slice with offset, expanded, permuted. */
const stridedView = fc
  .record({
    kind: fc.constantFrom('transpose', 'slice', 'expand', 'permute'),
    d0: fc.integer({ min: 1, max: 4 }),
    d1: fc.integer({ min: 1, max: 4 }),
    seed: fc.nat(),
    dtype: fc.constantFrom<DenseDType>('f32', 'f16', 'int8', 'bool'),
  })
  .map(({ kind, d0, d1, seed, dtype }) => {
    const make = (s: number[]) => {
      const data = randomF32Data(numel(s), seed, { integers: dtype !== 'f32', specials: dtype === 'f32' ? 0.1 : 0 });
      return tensor(data, s, dtype);
    };
    switch (kind) {
      case 'transpose':
        return transpose(make([d1, d0])); // shape [d0, d1]
      case 'slice':
        return slice(make([d0 * 2 + 1, d1 * 3]), [1, d0 * 2 + 1, 2], [2, d1 * 3, 3]); // offset, steps 2 and 3
      case 'expand':
        return expand(make([1, d1]), [d0, d1]); // stride 0
      default:
        return slice(permute(make([d1, d0, 2]), [1, 0, 2]), null, null, 1); // [d0, d1], strides [2, 2*d0], offset 1
    }
  });

describe('strided inputs', () => {
  const copyOf = (t: Tensor) => contiguous(t);

  it('the views under test really are strided', () => {
    const t = zeros([3, 4]);
    expect(transpose(t).isContiguous).toBe(false);
    expect(slice(zeros([7, 12]), [1, 7, 2], [2, 12, 3]).offset).toBeGreaterThan(0);
    expect(expand(zeros([1, 4]), [3, 4]).strides).toEqual([0, 1]);
  });

  it.each(ALL_BINARY)('%s on views equals its result on contiguous copies', (name, op) => {
    fc.assert(
      fc.property(stridedView, fc.nat(), fc.boolean(), (v, seed, viewFirst) => {
        expect(v.shape.length).toBe(2);
        const other = randomF32Tensor(v.shape.slice(), seed, { integers: true });
        const c = copyOf(v);
        expect(c.isContiguous).toBe(true);
        const got = viewFirst ? op(v, other) : op(other, v);
        const want = viewFirst ? op(c, other) : op(other, c);
        expect(got.dtype).toBe(want.dtype);
        expect(got.shape).toEqual(want.shape);
        expectValues(values(got), values(want));
        expect(op(v, v).toArray()).toEqual(op(c, c).toArray()); // both operands strided
      }),
    );
  });

  it.each(ALL_UNARY)('%s on views equals its result on contiguous copies', (name, op) => {
    fc.assert(
      fc.property(stridedView, (v) => {
        const got = op(v);
        const want = op(copyOf(v));
        expect(got.dtype).toBe(want.dtype);
        expect(got.isContiguous).toBe(true);
        expectValues(values(got), values(want), true);
      }),
    );
  });

  it('where and clamp on views equal the contiguous results', () => {
    fc.assert(
      fc.property(stridedView, stridedView, fc.nat(), (v, w, seed) => {
        const shp = v.shape.slice();
        const w2 = w.shape[0] === shp[0] && w.shape[1] === shp[1] ? w : randomF32Tensor(shp, seed);
        const cond = gt(randomF32Tensor(shp, seed + 1), 0);
        const condT = transpose(contiguous(transpose(cond))); // same values, strided layout
        expectValues(values(where(condT, v, w2)), values(where(cond, copyOf(v), copyOf(w2))));
        expectValues(values(clamp(v, w2, 2)), values(clamp(copyOf(v), copyOf(w2), 2)));
      }),
    );
  });

  it('ops do not write into their inputs and return fresh contiguous tensors', () => {
    const base = tensor([
      [1, -2, 3],
      [-4, 5, NaN],
    ]);
    const before = values(base);
    const v = transpose(base);
    for (const [, op] of ALL_BINARY) {
      const r = op(v, v);
      expect(r.strides).toEqual([2, 1]);
      expect(r.storage).not.toBe(base.storage);
    }
    for (const [, op] of ALL_UNARY) expect(op(v).storage).not.toBe(base.storage);
    expectValues(values(base), before, true);
  });
});

describe('result dtypes: the promotion rules applied', () => {
  const i8 = (v: number[]) => tensor(v, undefined, 'int8');
  const b = (v: number[]) => tensor(v, undefined, 'bool');

  it('tensor-tensor arithmetic uses the promoted dtype (no wrap where it widens)', () => {
    const s = add(i8([127, -128, 5]), tensor([255, 0, 250], undefined, 'uint8'));
    expect(s.dtype).toBe('int16');
    expect(s.toArray()).toEqual([382, -128, 255]);
    expect(mul(i8([100]), tensor([1000], undefined, 'int16')).toArray()).toEqual([-31072]); // 100000 wraps in int16
    expect(add(i8([100]), tensor([100000], undefined, 'int32')).toArray()).toEqual([100100]);
    const h = add(tensor([1000, 70000, 3], undefined, 'int32'), tensor([0.5, 0, 0.25], undefined, 'f16'));
    expect(h.dtype).toBe('f16'); // float beats int, as in torch
    expect(h.toArray()).toEqual([1000.5, Infinity, 3.25]);
    const fb = add(tensor([1 + 2 ** -10], undefined, 'f16'), tensor([2 ** -12], undefined, 'bf16'));
    expect(fb.dtype).toBe('f32'); // neither half format holds the other
    expect(fb.item()).toBe(1 + 2 ** -10 + 2 ** -12); // needs 12 mantissa bits: not an f16, not a bf16
    const d = add(tensor([0.1], undefined, 'f32'), tensor([0.1], undefined, 'f64'));
    expect(d.dtype).toBe('f64');
    expect(d.item()).toBe(Math.fround(0.1) + 0.1); // summed and stored in f64, not f32
    expect(sub(b([1]), i8([3])).dtype).toBe('int8');
    expect(maximum(tensor([2], undefined, 'int16'), tensor([0.5], undefined, 'f32')).dtype).toBe('f32');
  });

  it('arithmetic on bool computes in int32', () => {
    const x = b([1, 1, 0]);
    const y = b([1, 0, 0]);
    for (const [op, want] of [
      [add, [2, 1, 0]],
      [sub, [0, 1, 0]],
      [mul, [1, 0, 0]],
      [maximum, [1, 1, 0]],
      [minimum, [1, 0, 0]],
    ] as [BinaryOp, number[]][]) {
      const r = op(x, y);
      expect(r.dtype).toBe('int32');
      expect(r.toArray()).toEqual(want);
    }
    expect(neg(x).dtype).toBe('int32');
    expect(neg(x).toArray()).toEqual([-1, -1, 0]);
    for (const op of [abs, sign, square, relu]) expect(op(x).dtype).toBe('int32');
    expect(add(x, true).dtype).toBe('int32'); // bool + bool
    expect(add(x, true).toArray()).toEqual([2, 2, 1]);
  });

  it('JS numbers are weak scalars: they never widen a tensor dtype within its kind', () => {
    const r = add(i8([1, 2]), 1.5);
    expect(r.dtype).toBe('f32'); // a non-integer scalar makes an int tensor f32
    expect(r.toArray()).toEqual([2.5, 3.5]);
    const w = add(i8([127]), 1);
    expect(w.dtype).toBe('int8'); // not int32: the integer scalar takes int8 (and the sum wraps)
    expect(w.toArray()).toEqual([-128]);
    expect(sub(tensor([0], undefined, 'uint8'), 1).toArray()).toEqual([255]);
    expect(add(i8([1]), true).dtype).toBe('int8');
    expect(add(b([1, 0]), 2).dtype).toBe('int32');
    expect(add(b([1, 0]), 2).toArray()).toEqual([3, 2]);
    expect(add(i8([1]), Infinity).toArray()).toEqual([Infinity]);
    expect(add(i8([1]), NaN).dtype).toBe('f32');
    const h = add(tensor([1], undefined, 'f16'), 1e6);
    expect(h.dtype).toBe('f16');
    expect(h.item()).toBe(Infinity); // 1e6 rounds to f16 +Inf; the f16 tensor is not widened
    // The scalar is rounded to the tensor's float format before the op: 2^-24 + 2^-50 becomes 2^-24
    // in f32, and 1 + 2^-24 is then a tie that rounds to 1 (unrounded it would give 1 + 2^-23).
    expect(add(tensor([1]), 2 ** -24 + 2 ** -50).item()).toBe(1);
    expect(add(tensor([0], undefined, 'f16'), 0.1).item()).toBe(roundToF16(0.1));
  });

  it('two scalars: integers give int32, other numbers f32, booleans bool (arithmetic: int32)', () => {
    const i = add(2, 3);
    expect([i.dtype, i.shape, i.item()]).toEqual(['int32', [], 5]);
    const f = add(2, 0.5);
    expect([f.dtype, f.item()]).toEqual(['f32', 2.5]);
    const t = add(true, true);
    expect([t.dtype, t.item()]).toEqual(['int32', 2]);
    expect(add(true, 2).item()).toBe(3);
    expect(div(1, 4).dtype).toBe('f32');
    expect(eq(1, 1).dtype).toBe('bool');
  });

  it('a weak integer scalar that does not fit the integer dtype is a ValueError naming the op', () => {
    expectError(() => add(i8([1]), 128), ValueError, 'add', '128', 'int8');
    expectError(() => sub(tensor([1], undefined, 'uint8'), -1), ValueError, 'sub', 'uint8');
    expectError(() => mul(tensor([1], undefined, 'int16'), 40000), ValueError, 'mul', 'int16');
    expectError(() => maximum(300, i8([1])), ValueError, 'maximum');
    expectError(() => div(i8([1]), 1000), ValueError, 'div');
    expectError(() => where(true, i8([1]), 300), ValueError, 'where');
  });

  it('div, pow and the float functions give f32 on integers and bool, keep float dtypes', () => {
    const q = div(tensor([1, 2, 7, 16777217], undefined, 'int32'), 4);
    expect(q.dtype).toBe('f32');
    expect(q.toArray()).toEqual([0.25, 0.5, 1.75, Math.fround(16777217 / 4)]);
    expect(div(tensor([16777217], undefined, 'int32'), 1).item()).toBe(16777216); // one rounding into f32
    expect(div(i8([1]), i8([3])).item()).toBe(Math.fround(1 / 3));
    expect(div(b([1]), b([1])).dtype).toBe('f32');
    expect(div(tensor([1], undefined, 'f64'), tensor([3], undefined, 'int32')).item()).toBe(1 / 3);
    expect(div(tensor([1], undefined, 'f16'), i8([3])).dtype).toBe('f16');
    expect(div(tensor([1], undefined, 'f16'), i8([3])).item()).toBe(roundToF16(1 / 3));
    const p = pow(tensor([2, 3], undefined, 'int32'), 2);
    expect(p.dtype).toBe('f32');
    expect(p.toArray()).toEqual([4, 9]);
    expect(pow(tensor([2], undefined, 'int32'), -1).item()).toBe(0.5);
    const r = sqrt(tensor([4, 2], undefined, 'int32'));
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([2, Math.fround(Math.SQRT2)]);
    expect(sqrt(b([1])).dtype).toBe('f32');
    expect(sqrt(tensor([2], undefined, 'f64')).item()).toBe(Math.SQRT2);
    expect(sqrt(tensor([2], undefined, 'f16')).item()).toBe(roundToF16(Math.SQRT2));
    for (const [, op] of TRANSCENDENTAL) {
      expect(op(i8([1])).dtype).toBe('f32');
      expect(op(tensor([1], undefined, 'bf16')).dtype).toBe('bf16');
      expect(op(tensor([1], undefined, 'f64')).dtype).toBe('f64');
    }
    expect(exp(tensor([1], undefined, 'f64')).item()).toBe(Math.E); // computed and kept in f64
  });

  it('rounding ops return integers and bool unchanged, as a copy', () => {
    for (const op of [round, floor, ceil, trunc]) {
      const x = i8([-3, 5, 127]);
      const r = op(x);
      expect(r.dtype).toBe('int8');
      expect(r.toArray()).toEqual([-3, 5, 127]);
      expect(r.storage).not.toBe(x.storage);
      expect(op(b([1, 0])).dtype).toBe('bool');
    }
  });

  it('comparisons and logical ops give bool for any operand dtypes', () => {
    const operands: Operand[] = [i8([1]), tensor([1], undefined, 'f16'), b([1]), tensor([1], undefined, 'f64'), 1, 0.5, true];
    for (const [, op] of PREDICATES) {
      for (const x of operands) for (const y of operands) expect(op(x, y).dtype).toBe('bool');
    }
    for (const op of [isnan, isfinite, logicalNot]) expect(op(i8([1])).dtype).toBe('bool');
  });

  it('comparisons compare exact values; a scalar is rounded only to a float tensor dtype', () => {
    const big = tensor([16777217], undefined, 'int32');
    const f = tensor([16777216], undefined, 'f32');
    expect(eq(big, f).item()).toBe(0); // not rounded to a common f32
    expect(gt(big, f).item()).toBe(1);
    expect(lt(f, big).item()).toBe(1);
    expect(eq(i8([127]), 300).item()).toBe(0); // exact: no range error, no wrap
    expect(lt(i8([127]), 300).item()).toBe(1);
    expect(lt(tensor([0], undefined, 'int32'), 0.5).item()).toBe(1);
    expect(eq(tensor([0], undefined, 'int32'), 0.5).item()).toBe(0);
    expect(eq(tensor([0.1], undefined, 'f32'), 0.1).item()).toBe(1); // 0.1 rounded to f32 first
    expect(eq(0.1, tensor([0.1], undefined, 'f32')).item()).toBe(1);
    expect(eq(tensor([0.1], undefined, 'f64'), Math.fround(0.1)).item()).toBe(0);
    expect(eq(tensor([0.1], undefined, 'f16'), 0.1).item()).toBe(1);
    expect(eq(tensor([0.1], undefined, 'bf16'), 0.1).item()).toBe(1);
    expect(lt(tensor([1], undefined, 'f16'), 1 + 2 ** -12).item()).toBe(0); // the scalar rounds to 1 in f16
    expect(lt(i8([1]), 1 + 2 ** -12).item()).toBe(1); // but stays exact against an integer tensor
  });

  it('where returns the promoted dtype of a and b (bool stays bool)', () => {
    const c = b([1, 0]);
    const r = where(c, i8([-1, -2]), tensor([200, 201], undefined, 'uint8'));
    expect(r.dtype).toBe('int16');
    expect(r.toArray()).toEqual([-1, 201]);
    expect(where(c, b([1, 1]), b([0, 0])).dtype).toBe('bool');
    expect(where(c, i8([1, 2]), 1.5).dtype).toBe('f32');
    expect(where(c, i8([1, 2]), 1.5).toArray()).toEqual([1, 1.5]);
    const h = where(c, tensor([1, 2], undefined, 'f16'), 0.1);
    expect(h.dtype).toBe('f16');
    expect(h.toArray()).toEqual([1, roundToF16(0.1)]);
    expect(where(true, 1, 2).dtype).toBe('int32');
    expect(where(false, 1, 2.5).item()).toBe(2.5);
  });
});

/** Hand-written integer ranges (not read from the dtype table). */
const INT_RANGES = {
  int8: { min: -128, max: 127, wrap: (v: bigint) => BigInt.asIntN(8, v) },
  uint8: { min: 0, max: 255, wrap: (v: bigint) => BigInt.asUintN(8, v) },
  int16: { min: -32768, max: 32767, wrap: (v: bigint) => BigInt.asIntN(16, v) },
  int32: { min: -2147483648, max: 2147483647, wrap: (v: bigint) => BigInt.asIntN(32, v) },
} as const;
type IntDType = keyof typeof INT_RANGES;

/** `n` integers of `dtype` from `seed`, with the range ends, 0 and ±1 mixed in. */
function randomInts(n: number, seed: number, dtype: IntDType): number[] {
  const { min, max } = INT_RANGES[dtype];
  const edges = [min, max, 0, 1, Math.max(min, -1), min + 1, max - 1];
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => (next() < 0.3 ? edges[Math.floor(next() * edges.length)] : min + Math.floor(next() * (max - min + 1))));
}

describe('integer semantics', () => {
  const intDType = fc.constantFrom<IntDType>('int8', 'uint8', 'int16', 'int32');

  it.each([
    ['add', add, (x: bigint, y: bigint) => x + y],
    ['sub', sub, (x: bigint, y: bigint) => x - y],
    ['mul', mul, (x: bigint, y: bigint) => x * y],
  ] as [string, BinaryOp, (x: bigint, y: bigint) => bigint][])('%s wraps like C (two’s complement), against BigInt', (name, op, f) => {
    fc.assert(
      fc.property(broadcastShapes(), intDType, fc.nat(), fc.nat(), ({ a, b }, dtype, sa, sb) => {
        const A = tensor(randomInts(numel(a), sa, dtype), a, dtype);
        const B = tensor(randomInts(numel(b), sb, dtype), b, dtype);
        const got = op(A, B);
        expect(got.dtype).toBe(dtype);
        const want = naiveBinary(values(A), a, values(B), b, (x, y) => Number(INT_RANGES[dtype].wrap(f(BigInt(x), BigInt(y)))));
        expectValues(values(got), want.data);
      }),
    );
  });

  it('maximum, minimum and comparisons are exact on integers; div gives the f32-rounded quotient', () => {
    fc.assert(
      fc.property(broadcastShapes(), intDType, fc.nat(), fc.nat(), ({ a, b }, dtype, sa, sb) => {
        const A = tensor(randomInts(numel(a), sa, dtype), a, dtype);
        const B = tensor(randomInts(numel(b), sb, dtype), b, dtype);
        expectValues(values(maximum(A, B)), naiveBinary(values(A), a, values(B), b, naiveMax).data);
        expectValues(values(minimum(A, B)), naiveBinary(values(A), a, values(B), b, naiveMin).data);
        for (const [, op, f] of PREDICATES) expectValues(values(op(A, B)), naiveBinary(values(A), a, values(B), b, (x, y) => bit(f(x, y))).data);
        const q = div(A, B);
        expect(q.dtype).toBe('f32');
        expectValues(values(q), naiveBinary(values(A), a, values(B), b, (x, y) => Math.fround(x / y)).data);
      }),
    );
  });

  it('neg, abs and square wrap at the range ends; sign and relu are exact', () => {
    fc.assert(
      fc.property(intDType, fc.nat(), fc.integer({ min: 0, max: 40 }), (dtype, seed, n) => {
        const xs = randomInts(n, seed, dtype);
        const t = tensor(xs, [n], dtype);
        const w = (v: bigint) => Number(INT_RANGES[dtype].wrap(v));
        expectValues(values(neg(t)), xs.map((x) => w(-BigInt(x))));
        expectValues(values(abs(t)), xs.map((x) => w(BigInt(Math.abs(x)))));
        expectValues(values(square(t)), xs.map((x) => w(BigInt(x) * BigInt(x))));
        expectValues(values(sign(t)), xs.map((x) => (x > 0 ? 1 : x < 0 ? -1 : 0)));
        expectValues(values(relu(t)), xs.map((x) => (x > 0 ? x : 0)));
        for (const op of [neg, abs, square, sign, relu]) expect(op(t).dtype).toBe(dtype);
      }),
    );
  });

  it('documented wrap examples: int8 127 + 1, -(-128), int32 products beyond 2^53', () => {
    expect(add(tensor([127], undefined, 'int8'), tensor([1], undefined, 'int8')).toArray()).toEqual([-128]);
    expect(neg(tensor([-128], undefined, 'int8')).toArray()).toEqual([-128]);
    expect(abs(tensor([-128], undefined, 'int8')).toArray()).toEqual([-128]);
    const m = 2147483647;
    // m * m = 2^62 - 2^32 + 1 is not exact in f64; Math.imul keeps the low 32 bits: 1.
    expect(mul(tensor([m], undefined, 'int32'), tensor([m], undefined, 'int32')).toArray()).toEqual([1]);
    expect(mul(tensor([m], undefined, 'int32'), m).toArray()).toEqual([1]);
    expect(square(tensor([m, -2147483648], undefined, 'int32')).toArray()).toEqual([1, 0]);
    expect(add(tensor([m], undefined, 'int32'), 1).toArray()).toEqual([-2147483648]);
  });

  it('int64 arithmetic throws DTypeError naming the op (cast it first)', () => {
    const t = tensor([1, 2], undefined, 'int64');
    for (const [name, op] of ALL_BINARY) {
      expectError(() => op(t, 1), DTypeError, name, 'int64');
      expectError(() => op(tensor([1, 2]), t), DTypeError, name, 'int64');
    }
    for (const [name, op] of ALL_UNARY.filter(([n]) => !['round', 'floor', 'ceil', 'trunc'].includes(n))) {
      expectError(() => op(t), DTypeError, name, 'int64');
    }
    expectError(() => where(t, 1, 2), DTypeError, 'where', 'int64');
    expectError(() => where(true, t, 2), DTypeError, 'where', 'int64');
    expect(add(t.astype('f64'), 1).toArray()).toEqual([2, 3]); // the documented way out
  });
});

describe('f16 and bf16: computed wider, rounded once to nearest even', () => {
  /** Random values of a half format from random 16-bit patterns (NaN, ±Inf, subnormals included). */
  const halfTensor = (s: readonly number[], seed: number, dtype: 'f16' | 'bf16') => {
    const next = mulberry32(seed);
    const decode = dtype === 'f16' ? fromF16Bits : fromBF16Bits;
    // Every other value near 1 so sums and products of normal numbers are common, not only extremes.
    const data = Array.from({ length: numel(s) }, (_, i) => decode(i % 2 ? Math.floor(next() * 0x10000) : (dtype === 'f16' ? 0x3800 : 0x3f00) + Math.floor(next() * 0x800)));
    return tensor(data, s, dtype);
  };
  const HALF = [
    ['f16', roundToF16],
    ['bf16', roundToBF16],
  ] as const;

  // +, -, *, / and √ are single IEEE operations: the f64 result rounded to f32 and then to the half
  // format equals the f64 result rounded directly (double rounding is innocuous when the wider
  // precision p' >= 2p + 2: 53 >= 50 and 24 >= 2*11 + 2), so roundToF16 of the f64 result is exact.
  it.each(HALF)('%s binary arithmetic equals the rounded f64 result', (dtype, rnd) => {
    fc.assert(
      fc.property(broadcastShapes(), fc.nat(), fc.nat(), ({ a, b }, sa, sb) => {
        const A = halfTensor(a, sa, dtype);
        const B = halfTensor(b, sb, dtype);
        for (const [name, op, f] of ARITH) {
          const got = op(A, B);
          expect(got.dtype, name).toBe(dtype);
          expectValues(values(got), naiveBinary(values(A), a, values(B), b, (x, y) => rnd(f(x, y))).data);
        }
      }),
    );
  });

  it.each(HALF)('%s sqrt, neg, abs, square and round equal the rounded f64 result', (dtype, rnd) => {
    fc.assert(
      fc.property(shape({ maxRank: 2 }), fc.nat(), (s, seed) => {
        const t = halfTensor(s, seed, dtype);
        const xs = values(t);
        expectValues(values(sqrt(t)), xs.map((x) => rnd(Math.sqrt(x))));
        expectValues(values(neg(t)), xs.map((x) => -x), true);
        expectValues(values(abs(t)), xs.map(Math.abs));
        expectValues(values(square(t)), xs.map((x) => rnd(x * x)));
        expectValues(values(round(t)), xs.map(roundHalfEvenRef), true);
        for (const op of [sqrt, neg, abs, square, round]) expect(op(t).dtype).toBe(dtype);
      }),
    );
  });

  it('ties go to even; overflow goes to Inf', () => {
    const h = (v: number[]) => tensor(v, undefined, 'f16');
    expect(add(h([2048, 2050]), h([1, 1])).toArray()).toEqual([2048, 2052]); // 2049 and 2051 are ties
    expect(add(h([65504]), h([16])).item()).toBe(Infinity); // 65520 is the tie above the largest f16
    expect(add(h([65504]), h([15])).item()).toBe(65504);
    expect(mul(h([256]), h([256])).item()).toBe(Infinity);
    const bf = (v: number[]) => tensor(v, undefined, 'bf16');
    expect(add(bf([1, 1 + 2 ** -7]), bf([2 ** -8, 2 ** -8])).toArray()).toEqual([1, 1 + 2 ** -6]);
    expect(mul(bf([3]), bf([1 / 3])).item()).toBe(roundToBF16(3 * roundToBF16(1 / 3)));
  });
});

describe('edge values', () => {
  const f = (v: number[]) => tensor(v);

  it('maximum, minimum and clamp propagate NaN', () => {
    expectValues(values(maximum(f([1, NaN, 3]), 2)), [2, NaN, 3]);
    expectValues(values(maximum(NaN, f([1, -Infinity]))), [NaN, NaN]);
    expectValues(values(minimum(f([NaN, -Infinity]), f([-Infinity, NaN]))), [NaN, NaN]);
    expectValues(values(clamp(f([NaN, 0.5]), 0, 1)), [NaN, 0.5]);
    expectValues(values(clamp(f([0.5]), NaN, 1)), [NaN]);
    expectValues(values(clamp(f([0.5]), 0, NaN)), [NaN]);
    expectValues(values(maximum(f([-Infinity, Infinity]), f([0, 0]))), [0, Infinity]);
  });

  it('comparisons with NaN are false except ne; -0 equals 0', () => {
    const x = f([NaN, 1]);
    const y = f([NaN, NaN]);
    expect(eq(x, y).toArray()).toEqual([0, 0]);
    expect(ne(x, y).toArray()).toEqual([1, 1]);
    for (const op of [lt, le, gt, ge]) expect(op(x, y).toArray()).toEqual([0, 0]);
    for (const op of [eq, lt, le, gt, ge]) expect(op(x, NaN).toArray()).toEqual([0, 0]);
    expect(ne(NaN, x).toArray()).toEqual([1, 1]);
    expect(eq(f([-0]), f([0])).item()).toBe(1);
    expect(lt(f([-0]), 0).item()).toBe(0);
    expect(eq(f([Infinity, -Infinity]), Infinity).toArray()).toEqual([1, 0]);
  });

  it('logical ops treat NaN and -0 by truth value (NaN true, -0 false)', () => {
    expect(logicalAnd(f([NaN, -0, 2]), true).toArray()).toEqual([1, 0, 1]);
    expect(logicalOr(f([NaN, -0]), 0).toArray()).toEqual([1, 0]);
    expect(logicalXor(f([NaN, -0]), f([NaN, NaN])).toArray()).toEqual([0, 1]);
    expect(logicalNot(f([NaN, -0, 0, Infinity])).toArray()).toEqual([0, 1, 1, 0]);
  });

  it('sign keeps ±0 and NaN; round is half to even', () => {
    expect(sign(f([-0])).item()).toBe(-0);
    expect(sign(f([0])).item()).toBe(0);
    expectValues(values(sign(f([NaN, -Infinity, Infinity, -1e-40]))), [NaN, -1, 1, -1], true);
    expectValues(values(round(f([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -0.4, 2 ** 23 + 1]))), [0, 2, 2, -0, -2, -2, 4, -0, 2 ** 23 + 1], true);
    expectValues(values(round(f([Math.fround(0.49999997), Infinity, NaN]))), [0, Infinity, NaN], true);
    expectValues(values(floor(f([-1.5, -0]))), [-2, -0], true);
    expectValues(values(ceil(f([-1.5, -0.5]))), [-1, -0], true);
    expectValues(values(trunc(f([-1.5, 1.5]))), [-1, 1], true);
    expect(round(tensor([2.5, 3.5], undefined, 'f16')).toArray()).toEqual([2, 4]);
  });

  it('sqrt, log, rsqrt, reciprocal and exp at their poles and outside their domains', () => {
    expectValues(values(sqrt(f([-1, -0, Infinity, -Infinity]))), [NaN, -0, Infinity, NaN], true);
    expectValues(values(log(f([0, -0, -1, Infinity, 1]))), [-Infinity, -Infinity, NaN, Infinity, 0], true);
    expectValues(values(rsqrt(f([0, -0, Infinity, -4]))), [Infinity, -Infinity, 0, NaN], true);
    expectValues(values(reciprocal(f([0, -0, Infinity, -Infinity]))), [Infinity, -Infinity, 0, -0], true);
    expectValues(values(exp(f([-Infinity, Infinity, 89, -104]))), [0, Infinity, Infinity, 0]); // f32 over/underflow
    expectValues(values(tanh(f([-Infinity, Infinity, -0]))), [-1, 1, -0], true);
    expectValues(values(sigmoid(f([-Infinity, Infinity, 0]))), [0, 1, 0.5], true);
    expectValues(values(silu(f([Infinity, 0, -1000]))), [Infinity, 0, -0], true);
    expectValues(values(sin(f([Infinity, -0]))), [NaN, -0], true);
    expect(log(tensor([0], undefined, 'int32')).item()).toBe(-Infinity);
  });

  it('pow follows C99 where JS differs', () => {
    expectValues(values(pow(1, f([NaN, Infinity, -Infinity]))), [1, 1, 1]);
    expectValues(values(pow(f([1, 1]), f([NaN, Infinity]))), [1, 1]);
    expectValues(values(pow(f([-1, -1]), f([Infinity, -Infinity]))), [1, 1]);
    expectValues(values(pow(f([NaN, Infinity, 0]), 0)), [1, 1, 1]);
    expectValues(values(pow(f([0, -0, -8, -2, 4]), f([-1, -1, 1 / 3, 3, 0.5]))), [Infinity, -Infinity, NaN, -8, 2], true);
  });

  it('division by zero: ±Inf and NaN for floats and for integers (whose quotient is f32)', () => {
    expectValues(values(div(f([1, -1, 0, NaN, 1]), f([0, 0, 0, 0, -0]))), [Infinity, -Infinity, NaN, NaN, -Infinity], true);
    const q = div(tensor([1, -1, 0], undefined, 'int32'), tensor([0, 0, 0], undefined, 'int32'));
    expect(q.dtype).toBe('f32');
    expectValues(values(q), [Infinity, -Infinity, NaN]);
    expectValues(values(div(tensor([5, 0], undefined, 'uint8'), 0)), [Infinity, NaN]);
    expectValues(values(add(f([Infinity, 0]), f([-Infinity, -0]))), [NaN, 0], true);
    expectValues(values(mul(f([0, -0]), f([Infinity, 1]))), [NaN, -0], true);
  });

  it('empty tensors (a dimension of 0) give empty results of the broadcast shape', () => {
    const e = zeros([0, 3]);
    for (const [, op] of ALL_BINARY) {
      const r = op(e, ones([3]));
      expect(r.shape).toEqual([0, 3]);
      expect(r.size).toBe(0);
      expect(op(zeros([0]), ones([1])).shape).toEqual([0]);
      expect(op(1, zeros([2, 0])).shape).toEqual([2, 0]);
    }
    for (const [, op] of ALL_UNARY) expect(op(zeros([2, 0, 1])).shape).toEqual([2, 0, 1]);
    expect(where(zeros([0, 1], 'bool'), ones([1, 3]), 0).shape).toEqual([0, 3]);
    expect(clamp(zeros([0]), 0, 1).shape).toEqual([0]);
    expectError(() => add(zeros([0]), zeros([2])), ShapeError, 'add', '[0]', '[2]');
    expect(add(zeros([0, 3], 'int8'), 1).dtype).toBe('int8');
  });

  it('0-d tensors broadcast with anything and stay 0-d alone', () => {
    const two = tensor(2);
    expect(two.shape).toEqual([]);
    const s = add(two, tensor(3));
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(5);
    expect(mul(two, tensor([[1], [2]])).toArray()).toEqual([[2], [4]]);
    expect(sub(tensor([1, 2]), two).toArray()).toEqual([-1, 0]);
    for (const [, op] of ALL_UNARY) expect(op(two).shape).toEqual([]);
    expect(neg(tensor(-0)).item()).toBe(0);
    expect(lt(two, 3).shape).toEqual([]);
    expect(where(tensor(1, undefined, 'bool'), tensor([1, 2]), tensor(0)).toArray()).toEqual([1, 2]);
  });
});

describe('where', () => {
  /** Three shapes that broadcast together, and their broadcast. */
  const threeShapes = broadcastShapes().chain(({ a, b, out }) =>
    fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([rank, ones1]) => {
        const c = out.slice(out.length - rank).map((d, i) => (ones1[out.length - rank + i] ? 1 : d));
        return { c, a, b };
      }),
  );

  it('picks a where cond is non-zero and b elsewhere, all three broadcast', () => {
    fc.assert(
      fc.property(threeShapes, fc.nat(), fc.nat(), fc.nat(), ({ c, a, b }, sc, sa, sb) => {
        // cond as f32 with NaN and -0 among its values: NaN is true, -0 false.
        const C = randomF32Tensor(c, sc, { integers: true, scale: 1, specials: 0.2 });
        const A = randomF32Tensor(a, sa, { specials: 0.1 });
        const B = randomF32Tensor(b, sb, { specials: 0.1 });
        const out = naiveBroadcastShape(naiveBroadcastShape(c, a)!, b)!;
        const got = where(C, A, B);
        expect(got.shape).toEqual(out);
        expect(got.dtype).toBe('f32');
        const want = Array.from({ length: numel(out) }, (_, i) => {
          const idx = unravel(i, out);
          return truth(readBroadcast(values(C), c, idx)) ? readBroadcast(values(A), a, idx) : readBroadcast(values(B), b, idx);
        });
        expectValues(values(got), want, true);
        // The same with a bool cond.
        expectValues(values(where(ne(C, 0), A, B)), want, true);
      }),
    );
  });

  it('takes scalars and a boolean cond', () => {
    const c = tensor([1, 0, 1], undefined, 'bool');
    expect(where(c, tensor([1, 2, 3]), 0).toArray()).toEqual([1, 0, 3]);
    expect(where(c, 7, tensor([[1], [2]])).toArray()).toEqual([
      [7, 1, 7],
      [7, 2, 7],
    ]);
    expect(where(false, tensor([1, 2]), -1).toArray()).toEqual([-1, -1]);
  });

  it('throws ShapeError naming where when shapes do not broadcast', () => {
    expectError(() => where(tensor([1, 0], undefined, 'bool'), tensor([1, 2, 3]), 0), ShapeError, 'where', '[2]', '[3]');
  });

  it('a broadcast error of where quotes the shapes the caller passed', () => {
    // cond [2,1] and a [1,3] broadcast to [2,3], which b [4] does not fit: the message should quote
    // the operands' shapes, not only the intermediate [2,3].
    expectError(
      () => where(zeros([2, 1], 'bool'), zeros([1, 3]), zeros([4])),
      ShapeError,
      'where',
      '[2,1]',
      '[1,3]',
      '[4]',
    );
  });
});

describe('clamp', () => {
  const f = (v: number[]) => tensor(v);

  it('is min(max(x, lo), hi): with lo > hi every element becomes hi', () => {
    expect(clamp(f([-2, 0.5, 9]), 0, 1).toArray()).toEqual([0, 0.5, 1]);
    expect(clamp(f([-1, 0.5, 2]), 1, 0).toArray()).toEqual([0, 0, 0]);
  });

  it('either bound may be omitted; with none it returns a copy', () => {
    expect(clamp(f([-2, 3]), 0).toArray()).toEqual([0, 3]);
    expect(clamp(f([-2, 3]), undefined, 1).toArray()).toEqual([-2, 1]);
    const x = f([-2, NaN]);
    const c = clamp(x);
    expectValues(values(c), [-2, NaN]);
    expect(c).not.toBe(x);
    expect(c.storage).not.toBe(x.storage);
  });

  it('broadcasts tensor bounds and follows the promotion of maximum/minimum', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (sx, sl, sh) => {
        const x = randomF32Tensor([2, 3], sx, { specials: 0.1 });
        const lo = randomF32Tensor([3], sl);
        const hi = randomF32Tensor([2, 1], sh);
        const want = naiveBinary(naiveBinary(values(x), [2, 3], values(lo), [3], naiveMax).data, [2, 3], values(hi), [2, 1], naiveMin);
        const got = clamp(x, lo, hi);
        expect(got.shape).toEqual([2, 3]);
        expectValues(values(got), want.data);
      }),
    );
    const i = clamp(tensor([-5, 5, 100], undefined, 'int8'), -1, 1);
    expect(i.dtype).toBe('int8');
    expect(i.toArray()).toEqual([-1, 1, 1]);
    expect(clamp(tensor([-5, 5], undefined, 'int8'), 0.5).dtype).toBe('f32');
    const s = clamp(5, 0, 1);
    expect([s.shape, s.item()]).toEqual([[], 1]);
  });

  it('errors from clamp name clamp, not the maximum/minimum it is built on', () => {
    expectError(() => clamp(tensor([1], undefined, 'int8'), 0, 1000), ValueError, 'clamp', '1000');
    expectError(() => clamp(tensor([1], undefined, 'int64'), 0), DTypeError, 'clamp', 'int64');
    expectError(() => clamp(zeros([2]), zeros([3])), ShapeError, 'clamp', '[2]', '[3]');
  });
});

describe('bad operands', () => {
  const t = tensor([1, 2]);

  // The docs define an operand as a tensor or a JS number/boolean; anything else must be refused by a
  // library error that names the op, not computed as NaN or failing with a TypeError deep inside.
  const BAD: [string, unknown][] = [
    ['a string', 'abc'],
    ['a dtype name', 'f16'],
    ['undefined', undefined],
    ['null', null],
    ['an array', [1, 2]],
    ['an object', {}],
  ];

  /** What `fn` does when it should throw a QuantensorError naming `op`, or null when it does. */
  function misbehaviour(op: string, fn: () => unknown): string | null {
    try {
      const r = fn();
      return `returned ${r instanceof Object && 'dtype' in r ? String(r) : typeof r}`;
    } catch (e) {
      if (!(e instanceof QuantensorError)) return `threw ${(e as Error).name}: ${(e as Error).message}`;
      return e.message.includes(op) ? null : `threw ${e.name} without naming ${op}: ${e.message}`;
    }
  }

  it('binary ops refuse a non-operand with a library error naming the op', () => {
    const bad: string[] = [];
    for (const [label, x] of BAD) {
      for (const [name, op] of ALL_BINARY) {
        const m1 = misbehaviour(name, () => op(t, x as never));
        if (m1) bad.push(`${name}(tensor, ${label}) ${m1}`);
        const m2 = misbehaviour(name, () => op(x as never, t));
        if (m2) bad.push(`${name}(${label}, tensor) ${m2}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('unary ops refuse a non-tensor with a library error naming the op', () => {
    const bad: string[] = [];
    for (const [label, x] of [...BAD, ['a number', 3] as [string, unknown]]) {
      for (const [name, op] of ALL_UNARY) {
        const m = misbehaviour(name, () => op(x as never));
        if (m) bad.push(`${name}(${label}) ${m}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('TSDoc examples', () => {
  it('hold as written', () => {
    const i8 = tensor([1, 2], undefined, 'int8');
    expect(add(tensor([[1], [2]]), tensor([10, 20])).toArray()).toEqual([
      [11, 21],
      [12, 22],
    ]);
    expect(add(i8, 1).dtype).toBe('int8');
    expect(sub(tensor([5, 6]), 1).toArray()).toEqual([4, 5]);
    expect(mul(tensor([1, 2, 3]), 2).toArray()).toEqual([2, 4, 6]);
    expect(div(tensor([1, 2], undefined, 'int32'), 4).toArray()).toEqual([0.25, 0.5]);
    expect(pow(tensor([1, 2, 3]), 2).toArray()).toEqual([1, 4, 9]);
    expect(maximum(tensor([1, NaN, 3]), 2).toArray()).toEqual([2, NaN, 3]);
    expect(minimum(tensor([1, 3]), 2).toArray()).toEqual([1, 2]);
    expect(eq(tensor([1, NaN]), tensor([1, NaN])).toArray()).toEqual([1, 0]);
    expect(ne(tensor([1, 2]), 1).toArray()).toEqual([0, 1]);
    expect(lt(tensor([1, 2]), 2).toArray()).toEqual([1, 0]);
    expect(le(tensor([1, 2]), 2).toArray()).toEqual([1, 1]);
    expect(gt(tensor([1, 2]), 1).toArray()).toEqual([0, 1]);
    expect(ge(tensor([1, 2]), 2).toArray()).toEqual([0, 1]);
    expect(logicalAnd(tensor([1, 0, 2]), true).toArray()).toEqual([1, 0, 1]);
    expect(logicalOr(tensor([1, 0]), tensor([0, 0])).toArray()).toEqual([1, 0]);
    expect(logicalXor(tensor([1, 0]), tensor([1, 1])).toArray()).toEqual([0, 1]);
    expect(where(tensor([1, 0, 1], undefined, 'bool'), tensor([1, 2, 3]), 0).toArray()).toEqual([1, 0, 3]);
    expect(neg(tensor([1, -2])).toArray()).toEqual([-1, 2]);
    expect(abs(tensor([-1.5, 2])).toArray()).toEqual([1.5, 2]);
    expect(sign(tensor([-3, 0, 2])).toArray()).toEqual([-1, 0, 1]);
    expect(square(tensor([3])).toArray()).toEqual([9]);
    expect(relu(tensor([-1, 2])).toArray()).toEqual([0, 2]);
    expect(sqrt(tensor([4, 2])).toArray()).toEqual([2, 1.4142135381698608]);
    expect(rsqrt(tensor([4])).toArray()).toEqual([0.5]);
    expect(reciprocal(tensor([4])).toArray()).toEqual([0.25]);
    expect(exp(tensor([0])).toArray()).toEqual([1]);
    expect(log(tensor([1])).toArray()).toEqual([0]);
    expect(sin(tensor([0])).toArray()).toEqual([0]);
    expect(cos(tensor([0])).toArray()).toEqual([1]);
    expect(tanh(tensor([0])).toArray()).toEqual([0]);
    expect(sigmoid(tensor([0])).toArray()).toEqual([0.5]);
    expect(silu(tensor([0])).toArray()).toEqual([0]);
    expect(round(tensor([0.5, 1.5, 2.5, -0.5])).toArray()).toEqual([0, 2, 2, -0]);
    expect(floor(tensor([-1.5])).toArray()).toEqual([-2]);
    expect(ceil(tensor([-1.5])).toArray()).toEqual([-1]);
    expect(trunc(tensor([-1.5])).toArray()).toEqual([-1]);
    expect(isnan(tensor([1, NaN])).toArray()).toEqual([0, 1]);
    expect(isfinite(tensor([1, Infinity, NaN])).toArray()).toEqual([1, 0, 0]);
    expect(logicalNot(tensor([0, 2])).toArray()).toEqual([1, 0]);
    expect(clamp(tensor([-2, 0.5, 9]), 0, 1).toArray()).toEqual([0, 0.5, 1]);
  });
});
