/**
 * Seeded random tensors: `rand` (uniform [0, 1)), `randn` (normal), `randint`, and the `Rng` stream
 * behind them. Deterministic across runtimes: the generator is xoshiro128** (Blackman & Vigna,
 * https://prng.di.unimi.it/xoshiro128starstar.c) in 32-bit integer arithmetic (Math.imul, >>>), seeded
 * by a splitmix32-style sequence (Weyl step 0x9e3779b9 and the murmur3 fmix32 finaliser), so the
 * integer stream, `rand` and `randint` are bit-identical on every JS engine.
 *
 * `randn` uses Box–Muller with Math.log, Math.sqrt, Math.cos and Math.sin in f64. Math.sqrt is
 * correctly rounded everywhere; log/cos/sin are not pinned down by ECMAScript, so normals are
 * identical wherever those functions are (V8 and SpiderMonkey both use fdlibm ports, so Node, Deno,
 * Chrome and Firefox agree); another libm may differ in the last f64 ulp, which rounding to f32 hides
 * in all but rare cases. Not cryptographic. Not the Philox/Mersenne streams of torch or numpy.
 */
import { DTypeError, ValueError, checkOptions } from '../errors.js';
import { DTYPES, checkDenseDType, type DenseDType, isDenseDType } from '../dtype/table.js';
import { DEFAULT_FLOAT, DEFAULT_INT } from '../dtype/promote.js';
import { Tensor, empty, writeElement } from '../tensor.js';

const TWO_32 = 4294967296;

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A xoshiro128** stream. The seed is an integer in [0, 2^53): its low and high 32-bit halves
 * `lo`, `hi` give the state `s[i] = fmix32(((lo + (i + 1) * 0x9e3779b9) mod 2^32) ^ hi)`, i = 0..3.
 * @example
 * const rng = new Rng(42);
 * rng.nextU32(); rng.nextF64(); rng.nextNormal();
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ValueError(`seed must be an integer in [0, 2^53), got ${seed}`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    const s: number[] = [];
    let x = lo;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      s.push(fmix32((x ^ hi) >>> 0));
    }
    // xoshiro must not start from the all-zero state (it would stay there).
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    [this.s0, this.s1, this.s2, this.s3] = s;
  }

  /**
   * The next 32-bit unsigned integer of the stream.
   * @example
   * new Rng(1).nextU32(); // an integer in [0, 2^32)
   */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return r;
  }

  /**
   * A uniform f32 in [0, 1): the top 24 bits of one draw times 2^-24 (every value exact in f32).
   * @example
   * new Rng(1).nextF32() < 1
   */
  nextF32(): number {
    return (this.nextU32() >>> 8) * 5.960464477539063e-8;
  }

  /**
   * A uniform f64 in [0, 1) with 53 random bits from two draws (27 + 26 bits, as numpy's random_double).
   * @example
   * new Rng(1).nextF64() < 1
   */
  nextF64(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) * 1.1102230246251565e-16;
  }

  /**
   * A pair of independent standard normals by Box–Muller from two `nextF64` draws u1, u2:
   * r = √(-2 ln(1 - u1)), [r cos 2πu2, r sin 2πu2] (1 - u1 is in (0, 1], so the log is finite).
   * @example
   * const [z0, z1] = new Rng(1).nextNormalPair();
   */
  nextNormalPair(): [number, number] {
    boxMuller(this, PAIR);
    return [PAIR[0], PAIR[1]];
  }

  /**
   * One standard normal: the first of `nextNormalPair()` (the second is discarded, so the stream
   * stays a plain function of the number of calls).
   * @example
   * new Rng(1).nextNormal();
   */
  nextNormal(): number {
    return this.nextNormalPair()[0];
  }

  /**
   * A uniform integer in [0, n) for 1 <= n <= 2^32, unbiased (draws above the largest multiple of n
   * are rejected).
   * @example
   * new Rng(1).nextInt(6); // a die roll 0..5
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) throw new ValueError(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
}

const PAIR = new Float64Array(2);

/** Box–Muller into `out[0]`, `out[1]` (no allocation, for the fill loops). */
function boxMuller(rng: Rng, out: Float64Array): void {
  const u1 = 1 - rng.nextF64();
  const u2 = rng.nextF64();
  const r = Math.sqrt(-2 * Math.log(u1));
  const th = 2 * Math.PI * u2;
  out[0] = r * Math.cos(th);
  out[1] = r * Math.sin(th);
}

/** Options of the random tensor constructors: a seed or a stream (one of them is required). */
export interface RandomOptions {
  /** Seed of a fresh `Rng` (an integer in [0, 2^53)). */
  seed?: number;
  /** A stream to draw from (advanced by the call); takes precedence over `seed`. */
  rng?: Rng;
  /** Result dtype (default f32). */
  dtype?: DenseDType;
}

function streamOf(op: string, opts: RandomOptions): Rng {
  if (opts.rng) return opts.rng;
  if (opts.seed === undefined) throw new ValueError(`${op}: pass { seed } or { rng } (results are reproducible by design)`);
  return new Rng(opts.seed);
}

function floatOut(op: string, dtype: DenseDType): void {
  if (!isDenseDType(dtype) || DTYPES[dtype].dense.kind !== 'float') {
    throw new DTypeError(`${op} produces a float dtype (f16, bf16, f32, f64), got ${String(dtype)}`);
  }
}

/**
 * Uniform values in [0, 1): f64 draws 53 bits per element (`nextF64`), other float dtypes 24
 * (`nextF32`). For f16/bf16 a draw that rounds up to 1 becomes the largest value below 1, so the
 * interval stays half-open.
 * @example
 * rand([2, 3], { seed: 0 });
 * rand([4], { seed: 0, dtype: 'f64' });
 */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkOptions('rand', opts);
  const dtype = opts.dtype ?? DEFAULT_FLOAT;
  floatOut('rand', dtype);
  const rng = streamOf('rand', opts);
  const t = empty(shape, dtype);
  const raw = t.raw();
  const n = t.size;
  if (dtype === 'f64' || dtype === 'f32') {
    const wide = dtype === 'f64';
    for (let i = 0; i < n; i++) raw[i] = wide ? rng.nextF64() : rng.nextF32();
    return t;
  }
  // Bits of 1 minus one step: the largest value below 1 in a 16-bit float (bit patterns of positive
  // floats are ordered like their values).
  const one = new Uint16Array(1);
  writeElement(dtype, one, 0, 1);
  const belowOne = one[0] - 1;
  for (let i = 0; i < n; i++) {
    writeElement(dtype, raw, i, rng.nextF32());
    if (raw[i] === one[0]) raw[i] = belowOne;
  }
  return t;
}

/** Options of `randn`. */
export interface RandnOptions extends RandomOptions {
  /** Mean of the distribution (default 0). */
  mean?: number;
  /** Standard deviation (default 1). */
  std?: number;
}

/**
 * Normal values `mean + std * z`, z from Box–Muller pairs (`Rng.nextNormalPair`) filled in order
 * (element 2i is the cosine branch, 2i+1 the sine branch; an odd count discards the last sine),
 * computed in f64 and rounded once to the dtype.
 * @example
 * randn([1024], { seed: 1 });
 * randn([4, 4], { seed: 1, dtype: 'f64', std: 0.02 });
 */
export function randn(shape: readonly number[], opts: RandnOptions = {}): Tensor {
  checkOptions('randn', opts);
  const dtype = opts.dtype ?? DEFAULT_FLOAT;
  floatOut('randn', dtype);
  const { mean = 0, std = 1 } = opts;
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
    throw new ValueError(`randn: mean must be finite and std finite and >= 0, got ${mean} and ${std}`);
  }
  const rng = streamOf('randn', opts);
  const t = empty(shape, dtype);
  const raw = t.raw();
  const n = t.size;
  const direct = dtype === 'f32' || dtype === 'f64';
  for (let i = 0; i < n; i += 2) {
    boxMuller(rng, PAIR);
    const v0 = mean + std * PAIR[0];
    if (direct) raw[i] = v0;
    else writeElement(dtype, raw, i, v0);
    if (i + 1 < n) {
      const v1 = mean + std * PAIR[1];
      if (direct) raw[i + 1] = v1;
      else writeElement(dtype, raw, i + 1, v1);
    }
  }
  return t;
}

/**
 * Uniform integers in [low, high) (unbiased, `Rng.nextInt`), default dtype int32; high - low may be
 * at most 2^32 and the values must fit the dtype.
 * @example
 * randint(0, 10, [5], { seed: 3 });
 * randint(0, 256, [16], { seed: 3, dtype: 'uint8' });
 */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkOptions('randint', opts);
  const dtype = opts.dtype ?? DEFAULT_INT;
  checkDenseDType('randint', dtype);
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low || high - low > TWO_32) {
    throw new ValueError(`randint: need integers low < high with high - low <= 2^32, got ${low} and ${high}`);
  }
  const { min, max, kind } = DTYPES[dtype].dense;
  if (kind !== 'float' && (low < min || high - 1 > max)) {
    throw new ValueError(`randint: [${low}, ${high}) does not fit ${dtype} [${min}, ${max}]`);
  }
  const rng = streamOf('randint', opts);
  const t = empty(shape, dtype);
  const raw = t.raw();
  const n = t.size;
  const range = high - low;
  for (let i = 0; i < n; i++) writeElement(dtype, raw, i, low + rng.nextInt(range));
  return t;
}
