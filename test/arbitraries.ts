/**
 * Shared fast-check arbitraries for property tests: floats from raw f32 bit patterns (NaN, -0,
 * subnormals, ±Inf), finite floats, shapes (with size-0 and size-1 dimensions), seeded random f32
 * tensors and broadcast-compatible shape pairs. Not a test file and not shipped: tests import it.
 *
 * Tensor data comes from a small seeded generator (mulberry32) rather than from fast-check arrays, so
 * a large tensor costs one integer of fast-check state and shrinking acts on the shape and the seed.
 * The generator is local on purpose: it must not depend on the library's own PRNG under test.
 */
import fc from 'fast-check';
import { tensor, type Tensor } from '../src/tensor.js';

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);

/** The f32 whose bit pattern is `bits` (any 32-bit pattern: NaNs, -0, subnormals, ±Inf included). */
export function f32FromBits(bits: number): number {
  u32Buf[0] = bits >>> 0;
  return f32Buf[0];
}

/** The bit pattern of `Math.fround(x)`. */
export function bitsOfF32(x: number): number {
  f32Buf[0] = x;
  return u32Buf[0];
}

/** Edge values of f32 that uniform bit patterns hit rarely: zeros, infinities, subnormal and normal extremes. */
export const F32_SPECIALS: readonly number[] = [
  0,
  -0,
  Infinity,
  -Infinity,
  NaN,
  2 ** -149, // smallest subnormal
  -(2 ** -149),
  f32FromBits(0x007fffff), // largest subnormal
  2 ** -126, // smallest normal
  f32FromBits(0x7f7fffff), // largest finite
  -f32FromBits(0x7f7fffff),
  1,
  -1,
  0.5,
  1.5,
  2.5,
  -0.5,
];

/**
 * Any f32 value, drawn from raw 32-bit patterns (so NaN payloads, -0, subnormals and ±Inf all occur),
 * with the edge values of `F32_SPECIALS` mixed in.
 * @example
 * fc.assert(fc.property(anyF32(), (x) => Object.is(Math.fround(x), x)));
 */
export function anyF32(): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 0xffffffff }).map(f32FromBits), weight: 4 },
    { arbitrary: fc.constantFrom(...F32_SPECIALS), weight: 1 },
  );
}

/**
 * A finite f32 value (any bit pattern but NaN/Inf), optionally bounded by `|x| <= maxAbs`.
 * @example
 * fc.assert(fc.property(finiteF32({ maxAbs: 1e3 }), (x) => Math.abs(x) <= 1e3));
 */
export function finiteF32(opts: { maxAbs?: number } = {}): fc.Arbitrary<number> {
  const maxAbs = opts.maxAbs;
  const base = anyF32().filter((x) => Number.isFinite(x));
  if (maxAbs === undefined) return base;
  const m = Math.fround(maxAbs);
  return fc.oneof(
    { arbitrary: fc.float({ min: -m, max: m, noNaN: true, noDefaultInfinity: true }), weight: 4 },
    { arbitrary: base.filter((x) => Math.abs(x) <= m), weight: 1 },
  );
}

/** Any f16 bit pattern (0..0xffff). */
export function f16Bits(): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 0xffff });
}

/** Options for `shape()`. */
export interface ShapeOpts {
  minRank?: number;
  maxRank?: number;
  /** Largest dimension (default 5). */
  maxDim?: number;
  /** Smallest dimension (default 0: size-0 dimensions occur). */
  minDim?: number;
  /** Upper bound on the element count (default 256). */
  maxSize?: number;
}

/**
 * A shape: rank in [minRank, maxRank] (default 0..4), dimensions in [minDim, maxDim], biased toward
 * 0 and 1 so size-0 and broadcast-like dimensions are common.
 * @example
 * fc.assert(fc.property(shape({ maxRank: 3 }), (s) => s.length <= 3));
 */
export function shape(opts: ShapeOpts = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 4, maxDim = 5, minDim = 0, maxSize = 256 } = opts;
  const dim = fc.oneof(
    { arbitrary: fc.integer({ min: minDim, max: maxDim }), weight: 4 },
    { arbitrary: fc.constantFrom(...[0, 1].filter((d) => d >= minDim && d <= maxDim)), weight: 1 },
  );
  return fc
    .array(dim, { minLength: minRank, maxLength: maxRank })
    .filter((s) => s.reduce((a, b) => a * b, 1) <= maxSize);
}

/**
 * A seeded generator of f32 values (mulberry32), independent of the library's PRNG.
 * @example
 * const next = mulberry32(7); next(); // a number in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options for `randomF32Data` and `f32Tensor`. */
export interface DataOpts {
  /** Values are uniform in [-scale, scale) (default 4). */
  scale?: number;
  /** Fraction of elements replaced by `F32_SPECIALS` (NaN, ±Inf, -0, ...); default 0. */
  specials?: number;
  /** Round values to integers (exact sums, no float-ordering noise); default false. */
  integers?: boolean;
}

/**
 * `n` f32 values from `seed`: uniform in [-scale, scale), optionally integers, optionally with special values.
 * @example
 * randomF32Data(4, 1).length === 4
 */
export function randomF32Data(n: number, seed: number, opts: DataOpts = {}): Float32Array {
  const { scale = 4, specials = 0, integers = false } = opts;
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    if (specials > 0 && next() < specials) {
      out[i] = F32_SPECIALS[Math.floor(u * F32_SPECIALS.length)];
      continue;
    }
    const v = (u * 2 - 1) * scale;
    out[i] = integers ? Math.round(v) : v;
  }
  return out;
}

/**
 * An f32 tensor of the given shape with seeded random contents.
 * @example
 * randomF32Tensor([2, 3], 1).shape // [2, 3]
 */
export function randomF32Tensor(s: readonly number[], seed: number, opts: DataOpts = {}): Tensor {
  return tensor(randomF32Data(s.reduce((a, b) => a * b, 1), seed, opts), s, 'f32');
}

/**
 * An arbitrary f32 tensor: a shape (from `shapeArb`, default `shape()`) and a seed for its contents.
 * @example
 * fc.assert(fc.property(f32Tensor(), (t) => t.dtype === 'f32'));
 */
export function f32Tensor(shapeArb: fc.Arbitrary<number[]> = shape(), opts: DataOpts = {}): fc.Arbitrary<Tensor> {
  return fc
    .tuple(shapeArb, fc.integer({ min: 0, max: 0x7fffffff }))
    .map(([s, seed]) => randomF32Tensor(s, seed, opts));
}

/**
 * Two shapes that broadcast together (numpy rules), with their broadcast result:
 * each operand is a suffix of the result with some dimensions replaced by 1.
 * @example
 * fc.assert(fc.property(broadcastShapes(), ({ a, b, out }) => out.length === Math.max(a.length, b.length)));
 */
export function broadcastShapes(opts: ShapeOpts = {}): fc.Arbitrary<{ a: number[]; b: number[]; out: number[] }> {
  const outArb = shape({ maxRank: 4, maxDim: 4, maxSize: 128, ...opts });
  return outArb.chain((out) => {
    const operand = fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([rank, ones]) => out.slice(out.length - rank).map((d, i) => (ones[out.length - rank + i] ? 1 : d)));
    return fc.tuple(operand, operand).map(([a, b]) => {
      // The result is the broadcast of what was drawn; a rank shorter than `out` drops leading dims.
      const r = Math.max(a.length, b.length);
      const res: number[] = [];
      for (let i = 0; i < r; i++) {
        const da = a[a.length - r + i] ?? 1;
        const db = b[b.length - r + i] ?? 1;
        res.push(da === 1 ? db : da);
      }
      return { a, b, out: res };
    });
  });
}

/**
 * Two shapes that do not broadcast: some aligned dimension differs and neither is 1.
 * @example
 * fc.assert(fc.property(incompatibleShapes(), ({ a, b }) => a.length > 0 && b.length > 0));
 */
export function incompatibleShapes(): fc.Arbitrary<{ a: number[]; b: number[] }> {
  return fc
    .tuple(
      shape({ minRank: 1, maxRank: 3, minDim: 1, maxDim: 4 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 1, max: 3 }),
      fc.nat(),
    )
    .map(([base, d, shift, pick]) => {
      const i = pick % base.length;
      const a = [...base];
      const b = [...base];
      a[i] = d;
      b[i] = d + shift; // differs from a[i] and both are >= 2
      return { a, b };
    });
}
