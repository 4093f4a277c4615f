/**
 * Seeded random tensors. Expected values come from two independent implementations: constants printed
 * by the reference C code of xoshiro128** (prng.di.unimi.it, compiled with gcc, with the documented
 * splitmix32 seeding and glibc's log/cos/sin for Box–Muller), and a BigInt re-implementation below
 * that shares no code with src/ops/random.ts.
 */
import { describe, expect, it } from 'vitest';
import { Rng, rand, randint, randn } from '../../src/ops/random.js';
import { DTypeError, ValueError } from '../../src/errors.js';
import { fromBF16Bits, fromF16Bits } from '../../src/dtype/half.js';

// ---- independent BigInt reference ----
const M32 = 0xffffffffn;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M32;
function fmix(h: bigint): bigint {
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M32;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M32;
  return h ^ (h >> 16n);
}
function refStream(seed: bigint): () => number {
  const lo = seed & M32;
  const hi = seed >> 32n;
  const s: bigint[] = [];
  let x = lo;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M32;
    s.push(fmix(x ^ hi));
  }
  return () => {
    const result = (rotl((s[1] * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1] << 9n) & M32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

describe('Rng stream', () => {
  it('matches the reference C implementation (first draws of three seeds)', () => {
    const expected: [number, number[]][] = [
      [0, [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335]],
      [42, [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290]],
      [2 ** 32 + 7, [3284082876, 2314872714, 1605315725, 3575906948, 2503804679, 3402902450]],
    ];
    for (const [seed, vals] of expected) {
      const r = new Rng(seed);
      expect(vals.map(() => r.nextU32())).toEqual(vals);
    }
  });

  it('matches the BigInt reference over a long stream', () => {
    for (const seed of [1, 123456789, 2 ** 40 + 3]) {
      const r = new Rng(seed);
      const ref = refStream(BigInt(seed));
      for (let i = 0; i < 2000; i++) expect(r.nextU32()).toBe(ref());
    }
  });

  it('maps draws to uniforms and integers exactly as documented', () => {
    const r = new Rng(42);
    expect([r.nextF32(), r.nextF32(), r.nextF32(), r.nextF32()].map(Math.fround)).toEqual(
      [0.660615683, 0.12688005, 0.111701906, 0.81493938].map(Math.fround),
    );
    const r2 = new Rng(42);
    expect([r2.nextF64(), r2.nextF64(), r2.nextF64()]).toEqual([0.66061572080016207, 0.11170196395322241, 0.079105645614491404]);
    const r3 = new Rng(3);
    expect(Array.from({ length: 8 }, () => r3.nextInt(10))).toEqual([3, 9, 5, 5, 8, 8, 9, 9]);
  });

  it('rejects bad seeds', () => {
    for (const s of [-1, 0.5, 2 ** 53, NaN]) expect(() => new Rng(s)).toThrow(ValueError);
  });
});

describe('rand', () => {
  it('gives the documented f32 and f64 values for a seed', () => {
    expect(Array.from(rand([2, 2], { seed: 42 }).toFloat32())).toEqual([0.660615683, 0.12688005, 0.111701906, 0.81493938].map(Math.fround));
    expect(Array.from(rand([3], { seed: 42, dtype: 'f64' }).data() as Float64Array)).toEqual([0.66061572080016207, 0.11170196395322241, 0.079105645614491404]);
  });

  it('is reproducible per seed, differs across seeds, and stays in [0, 1)', () => {
    const a = rand([1000], { seed: 9 }).toFloat32();
    expect(rand([1000], { seed: 9 }).data()).toEqual(a);
    expect(rand([1000], { seed: 10 }).data()).not.toEqual(a);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(0.05);
  });

  it('continues a shared stream', () => {
    const rng = new Rng(5);
    const first = rand([3], { rng }).toFloat32();
    const second = rand([3], { rng }).toFloat32();
    expect(Array.from(rand([6], { seed: 5 }).toFloat32())).toEqual([...first, ...second]);
  });

  it('keeps f16/bf16 below 1 (a draw that rounds up to 1 steps down)', () => {
    for (const dtype of ['f16', 'bf16'] as const) {
      const t = rand([20000], { seed: 1, dtype });
      const raw = t.raw() as Uint16Array;
      const dec = dtype === 'f16' ? fromF16Bits : fromBF16Bits;
      let top = 0;
      for (const b of raw) {
        const v = dec(b);
        expect(v >= 0 && v < 1).toBe(true);
        top = Math.max(top, v);
      }
      // bf16 has 8 significant bits, so many draws round up near 1 and must be stepped down.
      if (dtype === 'bf16') expect(top).toBe(1 - 2 ** -8);
    }
  });

  it('requires a seed or a stream and a float dtype', () => {
    expect(() => rand([2])).toThrow(/seed/);
    expect(() => rand([2], { seed: 1, dtype: 'int32' })).toThrow(DTypeError);
  });
});

describe('randn', () => {
  it('matches Box–Muller from the C reference (glibc libm) to the last bits of f64', () => {
    const ref = [
      -0.69258437052221145, 0.23026798570072035, -1.2870249601100738, -0.10708196833280312, -1.7702631045594646,
      -0.76734460846681007,
    ];
    const got = randn([6], { seed: 7, dtype: 'f64' }).data() as Float64Array;
    for (let i = 0; i < 6; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(ref[i]));
    const f = randn([5], { seed: 7 }).toFloat32(); // odd count: the last sine is dropped
    expect(Array.from(f)).toEqual(ref.slice(0, 5).map(Math.fround));
  });

  it('applies mean and std, and has roughly normal moments', () => {
    const n = 20000;
    const t = randn([n], { seed: 3, dtype: 'f64', mean: 2, std: 0.5 }).data() as Float64Array;
    const m = t.reduce((s, v) => s + v, 0) / n;
    const v = t.reduce((s, x) => s + (x - m) ** 2, 0) / n;
    expect(Math.abs(m - 2)).toBeLessThan(0.02);
    expect(Math.abs(v - 0.25)).toBeLessThan(0.02);
    const tail = t.filter((x) => Math.abs(x - 2) > 1).length / n; // beyond 2 sigma: 4.55%
    expect(Math.abs(tail - 0.0455)).toBeLessThan(0.01);
  });

  it('rejects a negative std', () => {
    expect(() => randn([2], { seed: 1, std: -1 })).toThrow(ValueError);
  });
});

describe('randint', () => {
  it('matches the reference draws and covers the range', () => {
    expect(Array.from(randint(0, 10, [8], { seed: 3 }).data() as Int32Array)).toEqual([3, 9, 5, 5, 8, 8, 9, 9]);
    const t = randint(-3, 4, [5000], { seed: 11, dtype: 'int8' });
    expect(t.dtype).toBe('int8');
    const seen = new Set(t.data() as Int8Array);
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });

  it('checks the range against the dtype', () => {
    expect(() => randint(0, 300, [2], { seed: 1, dtype: 'uint8' })).toThrow(/does not fit uint8/);
    expect(() => randint(5, 5, [2], { seed: 1 })).toThrow(ValueError);
  });
});
