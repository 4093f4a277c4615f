import { describe, expect, it } from 'vitest';
import { betaCdf, betaQuantile, fitBetaMoments, logGamma } from '../../../src/quantizers/pvq/beta.js';
import { ValueError } from '../../../src/errors.js';
import { mulberry32 } from './helpers.js';

// Reference values from scipy 1.17 (scipy.special.betainc, scipy.stats.beta.ppf, scipy.special.gammaln).
const CDF: [number, number, number, number][] = [
  [0.3, 2.5, 7.0, 0.6412224629717214],
  [0.01, 0.5, 0.5, 0.06376856085851985],
  [0.9, 30.0, 4.0, 0.5769436641256929],
  [0.2, 200.0, 900.0, 0.9384152629755869],
  [0.7, 1.2, 0.3, 0.26174368875694337],
];
const PPF: [number, number, number, number][] = [
  [0.1, 2.5, 7.0, 0.09909891366857027],
  [0.95, 30.0, 4.0, 0.9575187002072613],
  [0.5, 200.0, 900.0, 0.18162530264559817],
];
const LGAMMA: [number, number][] = [
  [0.1, 2.252712651734206],
  [0.5, 0.5723649429247],
  [3.7, 1.428072326665388],
  [50.5, 146.51925549072064],
  [1234.5, 7550.550901077894],
];

describe('beta distribution', () => {
  it('log-gamma matches scipy', () => {
    for (const [z, v] of LGAMMA) expect(Math.abs(logGamma(z) - v)).toBeLessThan(1e-12 * Math.max(1, Math.abs(v)));
    expect(() => logGamma(0)).toThrow(ValueError);
  });

  it('cdf and quantile match scipy', () => {
    for (const [x, a, b, v] of CDF) expect(Math.abs(betaCdf(x, a, b) - v)).toBeLessThan(1e-12);
    for (const [p, a, b, v] of PPF) expect(Math.abs(betaQuantile(p, a, b) - v)).toBeLessThan(1e-12);
    expect(betaCdf(0, 2, 3)).toBe(0);
    expect(betaCdf(1, 2, 3)).toBe(1);
    expect(betaCdf(0.25, 1, 1)).toBeCloseTo(0.25, 14);
    expect(() => betaCdf(0.5, 0, 1)).toThrow(ValueError);
    expect(() => betaQuantile(1.5, 1, 1)).toThrow(ValueError);
  });

  it('method-of-moments fit recovers the parameters of Beta samples (order statistics of uniforms)', () => {
    // U_(a) of a+b-1 uniforms ~ Beta(a, b): an independent sampler
    const r = mulberry32(5);
    const a = 3;
    const b = 5;
    const n = 20000;
    const u = new Float64Array(n);
    const buf = new Float64Array(a + b - 1);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < buf.length; j++) buf[j] = r();
      buf.sort();
      u[i] = buf[a - 1];
    }
    const fit = fitBetaMoments(u);
    expect(fit.alpha).toBeGreaterThan(2.8);
    expect(fit.alpha).toBeLessThan(3.2);
    expect(fit.beta).toBeGreaterThan(4.6);
    expect(fit.beta).toBeLessThan(5.4);
    const ex = fitBetaMoments(Float64Array.of(0.2, 0.4, 0.6, 0.8));
    // mean 0.5, population variance 0.05: c = 0.25/0.05 - 1 = 4
    expect(ex.alpha).toBeCloseTo(2, 12);
    expect(ex.beta).toBeCloseTo(2, 12);
    expect(() => fitBetaMoments([])).toThrow(ValueError);
    expect(() => fitBetaMoments([0.5, 0.5])).toThrow(ValueError);
    expect(() => fitBetaMoments([0.5, 1.5])).toThrow(ValueError);
  });
});
