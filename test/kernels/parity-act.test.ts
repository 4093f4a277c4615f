/**
 * The activation kernels (causal softmax, SwiGLU): exp32 against e^x within 2 f32 ulps over its
 * range and at its edges; WASM against the JS reference bit for bit on adversarial shapes (rows of
 * 1 to 40 columns, every remainder mod 4, padded row strides, row ranges not starting at 0) and
 * values (±Inf, NaN, −0, magnitudes that underflow or overflow exp); and each kernel against its
 * definition in f64 (rows summing to 1, silu(g)·u).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import { exp32 } from '../../src/kernels/js/act.js';
import { dimArb, readRef, refIn, rng } from './helpers.js';

const f = Math.fround;

/** The spacing of f32 values at |y| (normal range). */
const ulp32 = (y: number): number => 2 ** (Math.floor(Math.log2(Math.abs(y))) - 23);

/** Values that exercise exp: ordinary, large of either sign, and the special ones. */
function value(next: () => number): number {
  const u = next();
  if (u < 0.04) return [Infinity, -Infinity, NaN, -0, 0, 1e30, -1e30][Math.floor(next() * 7)];
  if (u < 0.2) return f((next() * 2 - 1) * 120);
  return f((next() * 2 - 1) * 8);
}

describe('exp32', () => {
  it('is within 2 ulps of e^x on [-87.33, 88.37], 0 below, +Inf above, NaN for NaN', () => {
    const next = rng(5);
    const xs: number[] = [0, -0, 1, -1, f(-87.33654), f(-87.3), f(88.37), f(88.3), f(Math.LN2), f(-Math.LN2), f(0.5 * Math.LN2)];
    for (let i = 0; i < 20000; i++) xs.push(f(next() * (88.37 + 87.33) - 87.33));
    for (let i = 0; i < 2000; i++) xs.push(f((next() * 2 - 1) * 1e-3));
    for (const x of xs) {
      const want = Math.exp(x);
      const got = exp32(x);
      expect(Math.fround(got)).toBe(got);
      if (!(Math.abs(got - want) <= 2 * ulp32(want))) throw new Error(`exp32(${x}) = ${got}, e^x = ${want}: ${Math.abs(got - want) / ulp32(want)} ulps`);
    }
    expect(exp32(f(-87.34))).toBe(0);
    expect(exp32(-1000)).toBe(0);
    expect(exp32(-Infinity)).toBe(0);
    expect(exp32(f(88.38))).toBe(Infinity);
    expect(exp32(Infinity)).toBe(Infinity);
    expect(exp32(NaN)).toBeNaN();
  });
});

describe('causal_softmax_f32 parity', () => {
  it('wasm equals the js reference bit for bit, and rows are the softmax of their causal part', () => {
    fc.assert(
      fc.property(dimArb(40, 1), dimArb(12, 1), fc.nat(40), fc.nat(3), fc.boolean(), fc.integer(), (cols, m, r0Raw, pad, special, seed) => {
        const next = rng(seed);
        const r0 = r0Raw % (cols + 2);
        const r1 = r0 + m;
        const rs = cols + pad;
        const len = m * rs;
        const s = new Float32Array(len).map(() => (special ? value(next) : f((next() * 2 - 1) * 6)));
        const run = (where: 'js' | 'wasm') => {
          const r = refIn(s, where, 3);
          (where === 'js' ? KERNELS.causal_softmax_f32.js : KERNELS.causal_softmax_f32.wasm!)({ s: r, r0, r1, cols, rs });
          return readRef(r, Float32Array, len);
        };
        const js = run('js');
        const wasm = run('wasm');
        expect(Array.from(wasm)).toEqual(Array.from(js));
        for (let i = r0; i < r1; i++) {
          const row = (i - r0) * rs;
          const n = Math.min(i, cols - 1) + 1;
          for (let j = n; j < cols; j++) expect(js[row + j]).toBe(0);
          for (let j = cols; j < rs; j++) expect(js[row + j]).toBe(s[row + j]); // padding untouched
          const part = Array.from(s.subarray(row, row + n));
          if (special || part.some((v) => !Number.isFinite(v))) continue;
          const mx = Math.max(...part);
          const z = part.reduce((a, v) => a + Math.exp(v - mx), 0);
          for (let j = 0; j < n; j++) expect(Math.abs(js[row + j] - Math.exp(part[j] - mx) / z)).toBeLessThan(1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('swiglu_f32 parity', () => {
  it('wasm equals the js reference bit for bit, and g becomes silu(g)·u', () => {
    fc.assert(
      fc.property(dimArb(70), fc.nat(3), fc.integer(), (n, pad, seed) => {
        const next = rng(seed);
        const g = new Float32Array(n).map(() => value(next));
        const u = new Float32Array(n).map(() => f((next() * 2 - 1) * 3));
        const run = (where: 'js' | 'wasm') => {
          const gr = refIn(g, where, pad);
          const ur = refIn(u, where, 3 - pad);
          (where === 'js' ? KERNELS.swiglu_f32.js : KERNELS.swiglu_f32.wasm!)({ g: gr, u: ur, n });
          return readRef(gr, Float32Array, n);
        };
        const js = run('js');
        const wasm = run('wasm');
        expect(Array.from(wasm)).toEqual(Array.from(js));
        for (let i = 0; i < n; i++) {
          const x = g[i];
          if (!Number.isFinite(x) || Math.abs(x) > 80) continue;
          const want = (x / (1 + Math.exp(-x))) * u[i];
          expect(Math.abs(js[i] - want)).toBeLessThanOrEqual(4 * 2 ** -23 * Math.abs(want) + 1e-37);
        }
      }),
      { numRuns: 300 },
    );
  });
});
