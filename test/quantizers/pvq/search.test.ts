import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pvqCorrelation, pvqSearch, pvqSearchExact } from '../../../src/quantizers/pvq/search.js';
import { ValueError } from '../../../src/errors.js';
import { allCodewords, corr, gaussian, mulberry32 } from './helpers.js';

const l1 = (y: Int32Array): number => y.reduce((s, v) => s + Math.abs(v), 0);

/** Best correlation over every codeword of P(D, K), by brute force. */
function bruteBest(x: ArrayLike<number>, K: number): number {
  let best = -Infinity;
  for (const y of allCodewords(x.length, K)) best = Math.max(best, corr(x, y));
  return best;
}

const smallX = fc.record({
  D: fc.integer({ min: 1, max: 6 }),
  K: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer(),
  // integer-valued inputs produce exact ties, which the tie rules must survive
  ints: fc.boolean(),
});

function makeX(D: number, seed: number, ints: boolean): Float64Array {
  const g = gaussian(D, seed);
  return ints ? g.map((v) => Math.round(2 * v)) : g;
}

describe('pvq pulse search', () => {
  it('exact search attains the brute-force optimum over all codewords (small D, K)', () => {
    fc.assert(
      fc.property(smallX, ({ D, K, seed, ints }) => {
        const x = makeX(D, seed, ints);
        const y = pvqSearchExact(x, K);
        expect(l1(y)).toBe(K);
        const best = bruteBest(x, K);
        expect(corr(x, y)).toBeGreaterThanOrEqual(best - 1e-12 * Math.max(1, Math.abs(best)));
      }),
      { numRuns: 300 },
    );
  });

  it('greedy search returns a codeword of the pyramid with the signs of x, deterministically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 80 }), fc.integer(), (D, K, seed) => {
        const x = gaussian(D, seed);
        const y = pvqSearch(x, K);
        expect(l1(y)).toBe(K);
        for (let i = 0; i < D; i++) if (y[i] !== 0) expect(Math.sign(y[i])).toBe(x[i] < 0 ? -1 : 1);
        expect(Array.from(pvqSearch(x, K))).toEqual(Array.from(y));
        const ye = pvqSearchExact(x, K);
        expect(l1(ye)).toBe(K);
        // exact never loses to greedy
        expect(corr(x, ye)).toBeGreaterThanOrEqual(corr(x, y) - 1e-12);
      }),
      { numRuns: 100 },
    );
  });

  it('greedy is optimal on most small gaussian groups and never far off (measured against brute force)', () => {
    const r = mulberry32(11);
    let optimal = 0;
    let worst = 1;
    const N = 400;
    for (let n = 0; n < N; n++) {
      const D = 2 + Math.floor(r() * 5);
      const K = 1 + Math.floor(r() * 6);
      const x = gaussian(D, n * 31 + 5);
      const best = bruteBest(x, K);
      const c = corr(x, pvqSearch(x, K));
      if (c >= best - 1e-12) optimal++;
      worst = Math.min(worst, c / best);
    }
    expect(optimal / N).toBeGreaterThan(0.9);
    expect(worst).toBeGreaterThan(0.9);
  });

  it('exact search on real-size groups beats or ties greedy and keeps Σ|y| = K', () => {
    const r = mulberry32(3);
    let strictlyBetter = 0;
    for (let n = 0; n < 50; n++) {
      const x = gaussian(32, 1000 + n).map((v) => v * (r() < 0.1 ? 4 : 1));
      const yg = pvqSearch(x, 20);
      const ye = pvqSearchExact(x, 20);
      expect(l1(ye)).toBe(20);
      expect(corr(x, ye)).toBeGreaterThanOrEqual(corr(x, yg) - 1e-12);
      if (corr(x, ye) > corr(x, yg) + 1e-12) strictlyBetter++;
    }
    expect(strictlyBetter).toBeLessThan(50);
  });

  it('documented examples and edge cases', () => {
    expect(Array.from(pvqSearch(Float32Array.of(0.9, -0.1, 0.4), 4))).toEqual([3, 0, 1]);
    expect(Array.from(pvqSearchExact(Float32Array.of(1, 0.45), 3))).toEqual([2, 1]);
    expect(Array.from(pvqSearch([0, 0, 0], 5))).toEqual([5, 0, 0]);
    expect(Array.from(pvqSearchExact([0, -0, 0], 2))).toEqual([2, 0, 0]);
    expect(Array.from(pvqSearch([1, 2], 0))).toEqual([0, 0]);
    // one dominant coordinate takes every pulse
    expect(Array.from(pvqSearch([0, -100, 0.01], 7))).toEqual([0, -7, 0]);
    expect(pvqCorrelation(Float32Array.of(3, 4), Int32Array.of(1, 1))).toBeCloseTo(7 / Math.SQRT2, 14);
    expect(() => pvqSearch([1, NaN], 2)).toThrow(ValueError);
    expect(() => pvqSearchExact([], 2)).toThrow(ValueError);
    expect(() => pvqSearch([1, 2], -1)).toThrow(ValueError);
  });
});
