/**
 * Parity of fwht_f32: WASM (SIMD, in-register stages h = 1, 2) versus the JS reference, bit for bit
 * (same f32 operations in the same order), and both versus an f64 product with the Sylvester–Hadamard
 * matrix H[i][j] = (−1)^popcount(i & j) written here, within log2(n) rounding steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import { randArray, readRef, refIn, rng } from './helpers.js';

const popcount = (v: number): number => {
  let c = 0;
  for (; v; v &= v - 1) c++;
  return c;
};

/** signsOut ⊙ (scale · H (signsIn ⊙ x)) in f64. */
function naive(x: Float32Array, n: number, si: Float32Array | null, so: Float32Array | null, scale: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (popcount(i & j) & 1 ? -1 : 1) * x[j] * (si ? si[j] : 1);
    out[i] = s * scale * (so ? so[i] : 1);
  }
  return out;
}

const caseArb = fc.record({
  logn: fc.integer({ min: 0, max: 9 }),
  rows: fc.integer({ min: 0, max: 5 }),
  pad: fc.integer({ min: 0, max: 3 }),
  signs: fc.constantFrom('none', 'in', 'out', 'both'),
  seed: fc.integer(),
});

describe('fwht_f32 parity', () => {
  it('wasm equals the js reference bit for bit, and both match the f64 Hadamard product', () => {
    fc.assert(
      fc.property(caseArb, ({ logn, rows, pad, signs, seed }) => {
        const n = 2 ** logn;
        const rsx = n + pad;
        const next = rng(seed);
        const data = randArray(Float32Array, Math.max(1, rows * rsx), next);
        const sign = () => Float32Array.from({ length: n }, () => (next() < 0.5 ? -1 : 1));
        const si = signs === 'in' || signs === 'both' ? sign() : null;
        const so = signs === 'out' || signs === 'both' ? sign() : null;
        const scale = Math.fround(1 / Math.sqrt(n));
        const run = (where: 'js' | 'wasm') => {
          const x = refIn(data, where, 2);
          const fn = where === 'js' ? KERNELS.fwht_f32.js : KERNELS.fwht_f32.wasm!;
          fn({ rows, n, x, rsx, signsIn: si ? refIn(si, where, 1) : undefined, signsOut: so ? refIn(so, where, 3) : undefined, scale });
          return readRef(x, Float32Array, data.length);
        };
        const js = run('js');
        const wasm = run('wasm');
        expect(Array.from(wasm)).toEqual(Array.from(js));
        for (let r = 0; r < rows; r++) {
          const want = naive(data.subarray(r * rsx, r * rsx + n), n, si, so, scale);
          // each output is a ±sum of n inputs of |x| < 1: log2(n) + 2 roundings of at most n·u each
          const bound = (logn + 2) * n * scale * 2 ** -24 + 1e-30;
          for (let i = 0; i < n; i++) expect(Math.abs(js[r * rsx + i] - want[i])).toBeLessThanOrEqual(bound);
          // padding between rows untouched
          for (let i = n; i < rsx && r * rsx + i < data.length; i++) expect(Object.is(js[r * rsx + i], data[r * rsx + i])).toBe(true);
        }
      }),
    );
  });

  it('a real-size batch (64 rows of 4096) agrees bit for bit', () => {
    const n = 4096;
    const next = rng(99);
    const data = randArray(Float32Array, 64 * n, next);
    const run = (where: 'js' | 'wasm') => {
      const x = refIn(data, where);
      (where === 'js' ? KERNELS.fwht_f32.js : KERNELS.fwht_f32.wasm!)({ rows: 64, n, x, rsx: n, scale: 1 / 64 });
      return readRef(x, Float32Array, data.length);
    };
    const js = run('js');
    const wasm = run('wasm');
    let diff = 0;
    for (let i = 0; i < js.length; i++) if (!Object.is(js[i], wasm[i])) diff++;
    expect(diff).toBe(0);
    // a delta maps to a constant row
    const d = new Float32Array(n);
    d[0] = 1;
    const x = refIn(d, 'wasm');
    KERNELS.fwht_f32.wasm!({ rows: 1, n, x, rsx: n, scale: 1 });
    expect(readRef(x, Float32Array, n).every((v) => v === 1)).toBe(true);
  });
});
