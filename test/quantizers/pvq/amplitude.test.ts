import { describe, expect, it } from 'vitest';
import { amplitudeLevels, amplitudeMse, betaAmplitudeLevels, nearestLevel } from '../../../src/quantizers/pvq/amplitude.js';
import { pvqSearch } from '../../../src/quantizers/pvq/search.js';
import { randomHadamard } from '../../../src/ops/hadamard.js';
import { tensor } from '../../../src/tensor.js';
import { ValueError } from '../../../src/errors.js';
import { readWeight } from '../helpers.js';

/** Density of R = √U, U ~ Beta(a, b), up to a constant: r^(2a−1)(1 − r²)^(b−1). */
const densityR = (a: number, b: number) => (r: number) => (r <= 0 || r >= 1 ? 0 : Math.exp((2 * a - 1) * Math.log(r) + (b - 1) * Math.log1p(-r * r)));

/** E[(R − Q(R))²] by a fine midpoint rule on [0, hi] (independent of the incomplete beta code). */
function expectedMse(levels: ArrayLike<number>, a: number, b: number, hi: number, n = 50000): number {
  const p = densityR(a, b);
  let z = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = ((i + 0.5) * hi) / n;
    const w = p(r);
    z += w;
    s += w * (r - levels[nearestLevel(levels, r)]) ** 2;
  }
  return s / z;
}

describe('amplitude quantization', () => {
  it('Beta Lloyd–Max levels satisfy the centroid condition and beat perturbed, uniform and log levels (numerical integration)', () => {
    const a = 8;
    const b = 376; // D = 16 of a 768-wide row: Beta(D/2, (n − D)/2)
    const hi = 0.5; // P(R > 0.5) is ~1e-40 here
    for (const bits of [1, 2, 3]) {
      const lv = betaAmplitudeLevels({ alpha: a, beta: b }, bits);
      expect(lv.length).toBe(2 ** bits);
      for (let j = 1; j < lv.length; j++) expect(lv[j]).toBeGreaterThan(lv[j - 1]);
      // centroid condition checked with the quadrature
      const p = densityR(a, b);
      const n = 50000;
      const num = new Float64Array(lv.length);
      const den = new Float64Array(lv.length);
      for (let i = 0; i < n; i++) {
        const r = ((i + 0.5) * hi) / n;
        const k = nearestLevel(lv, r);
        num[k] += p(r) * r;
        den[k] += p(r);
      }
      // (quadrature step 1e-5: cell edges are resolved to about that)
      for (let j = 0; j < lv.length; j++) expect(Math.abs(num[j] / den[j] - lv[j])).toBeLessThan(2e-5);
      const best = expectedMse(lv, a, b, hi);
      for (let j = 0; j < lv.length; j++) {
        for (const d of [-2e-3, 2e-3]) {
          const moved = Float64Array.from(lv);
          moved[j] += d;
          moved.sort();
          expect(expectedMse(moved, a, b, hi)).toBeGreaterThan(best);
        }
      }
    }
    // one level: the mean of R (quadrature), a little below √E[U] = √(a/(a+b)) by Jensen
    const one = betaAmplitudeLevels({ alpha: a, beta: b }, 0);
    const p = densityR(a, b);
    let z = 0;
    let m = 0;
    for (let i = 0; i < 50000; i++) {
      const r = ((i + 0.5) * hi) / 50000;
      z += p(r);
      m += p(r) * r;
    }
    expect(Math.abs(one[0] - m / z)).toBeLessThan(1e-7);
    expect(one[0]).toBeLessThan(Math.sqrt(a / (a + b)));
  });

  it('on real weights (tiny-llama, Hadamard-rotated, PVQ gains) Beta levels beat uniform and log levels', () => {
    const { data, shape } = readWeight('model.layers.2.mlp.up_proj.weight');
    const [rows, cols] = shape;
    const D = 16;
    const K = 12;
    const w = randomHadamard(cols, { seed: 1 }).forward(tensor(data, shape)).data() as Float32Array;
    const r: number[] = [];
    for (let o = 0; o < rows; o++) {
      let rho = 0;
      for (let j = 0; j < cols; j++) rho += w[o * cols + j] ** 2;
      rho = Math.sqrt(rho);
      for (let g = 0; g < cols; g += D) {
        const x = w.subarray(o * cols + g, o * cols + g + D);
        const y = pvqSearch(x, K);
        let xy = 0;
        let yy = 0;
        for (let i = 0; i < D; i++) {
          xy += x[i] * y[i];
          yy += y[i] * y[i];
        }
        r.push(xy / Math.sqrt(yy) / rho);
      }
    }
    const results: Record<string, number[]> = { beta: [], uniform: [], log: [] };
    for (const bits of [2, 3, 4, 5]) {
      const mse = (m: 'beta' | 'uniform' | 'log') => amplitudeMse(r, amplitudeLevels(r, bits, m));
      const beta = mse('beta');
      results.beta.push(beta);
      results.uniform.push(mse('uniform'));
      results.log.push(mse('log'));
      expect(beta).toBeLessThan(mse('uniform'));
      expect(beta).toBeLessThan(mse('log'));
    }
    // more bits, less error
    for (let i = 1; i < 4; i++) expect(results.beta[i]).toBeLessThan(results.beta[i - 1]);
  });

  it('nearestLevel and argument checks', () => {
    const lv = Float64Array.of(0.1, 0.2, 0.4);
    expect(nearestLevel(lv, 0)).toBe(0);
    expect(nearestLevel(lv, 0.15)).toBe(0); // tie goes low
    expect(nearestLevel(lv, 0.31)).toBe(2);
    expect(nearestLevel(lv, 9)).toBe(2);
    expect(Array.from(amplitudeLevels([0.5, 0.5], 1, 'beta'))).toEqual([0.125, 0.375]); // constant: uniform fallback
    expect(() => amplitudeLevels([], 2)).toThrow(ValueError);
    expect(() => amplitudeLevels([0.1, -1], 2)).toThrow(ValueError);
    expect(() => betaAmplitudeLevels({ alpha: 0, beta: 1 }, 2)).toThrow(ValueError);
  });
});
