/**
 * RTN: without a clip search it is exactly `quantize`; with one, every (row, group) keeps the factor
 * with the smallest error among the grid (checked against an exhaustive search written here over
 * fakeQuantize with a fixed clip), for both the weight norm and the Hessian-scored error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fakeQuantize, quantize } from '../../src/ops/quant.js';
import type { QuantDType } from '../../src/dtype/table.js';
import { tensor } from '../../src/tensor.js';
import { chooseGroupQParams, rtn } from '../../src/quantizers/rtn.js';
import { mulberry32 } from '../arbitraries.js';
import { naiveHessian } from './helpers.js';

const dtypes: QuantDType[] = ['int2', 'int3', 'int4', 'int8', 'fp4', 'nf4'];

function weight(rows: number, cols: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  // Heavy-ish tails so that clipping pays off.
  return Float32Array.from({ length: rows * cols }, () => {
    const u = next() * 2 - 1;
    return Math.fround(u * u * u * 3);
  });
}

/** Per (row, group) error of a dequantized tensor. */
function groupErrors(w: Float32Array, d: ArrayLike<number>, rows: number, cols: number, gs: number, score: (r: number, g: number, delta: Float64Array) => number): Float64Array {
  const nG = Math.ceil(cols / gs);
  const out = new Float64Array(rows * nG);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < nG; g++) {
      const c0 = g * gs;
      const n = Math.min(gs, cols - c0);
      const delta = new Float64Array(n);
      for (let k = 0; k < n; k++) delta[k] = w[r * cols + c0 + k] - d[r * cols + c0 + k];
      out[r * nG + g] = score(r, g, delta);
    }
  }
  return out;
}

describe('rtn', () => {
  it('without a clip search equals quantize, for every scalar dtype', () => {
    for (const dtype of dtypes) {
      const w = tensor(weight(5, 40, 1), [5, 40]);
      const { q, report } = rtn(w, { dtype, groupSize: 16 });
      const r = quantize(w, { dtype, groupSize: 16 });
      expect(Array.from(q.codeBytes())).toEqual(Array.from(r.codeBytes()));
      expect(report.bitsPerWeight).toBe(r.bitsPerWeight);
      expect(report.extras.meanClip).toBe(1);
      const d = r.dequantize().toFloat32();
      const src = w.toFloat32();
      let se = 0;
      for (let i = 0; i < d.length; i++) se += (d[i] - src[i]) ** 2;
      expect(report.error.value).toBeCloseTo(se / d.length, 12);
    }
  });

  it('the clip search keeps, per (row, group), the best factor of the grid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...dtypes),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.constantFrom(1, 2, 2.4),
        fc.boolean(),
        (dtype, rows, cols, gs, seed, norm, useH) => {
          const grid = 6;
          const maxShrink = 0.6;
          const w = weight(rows, cols, seed);
          const wt = tensor(w, [rows, cols]);
          const x = weight(cols + 3, cols, seed + 1);
          const h = naiveHessian(x, cols + 3, cols);
          const score = useH
            ? (_r: number, g: number, d: Float64Array) => {
                let s = 0;
                for (let i = 0; i < d.length; i++) for (let j = 0; j < d.length; j++) s += d[i] * h[(g * gs + i) * cols + g * gs + j] * d[j];
                return s;
              }
            : (_r: number, _g: number, d: Float64Array) => d.reduce((s, v) => s + Math.abs(v) ** norm, 0);
          const { qparams, clip } = chooseGroupQParams(wt, {
            dtype,
            groupSize: gs,
            clipSearch: { grid, maxShrink, norm, hessian: useH ? tensor(h, [cols, cols], 'f64') : undefined },
          });
          const got = groupErrors(w, fakeQuantize(wt, { dtype, qparams }).toFloat32(), rows, cols, gs, score);
          let best = new Float64Array(got.length).fill(Infinity);
          for (let i = 0; i < grid; i++) {
            const p = 1 - (i * maxShrink) / grid;
            const e = groupErrors(w, fakeQuantize(wt, { dtype, groupSize: gs, clip: p }).toFloat32(), rows, cols, gs, score);
            best = best.map((b, k) => Math.min(b, e[k]));
          }
          for (let k = 0; k < got.length; k++) {
            expect(got[k]).toBeLessThanOrEqual(best[k] * (1 + 1e-9) + 1e-12);
            expect(clip[k]).toBeGreaterThan(1 - maxShrink - 1e-12);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('codebook dtype: nearest codeword with a given codebook (with or without group scales)', () => {
    const w = tensor(weight(6, 16, 3), [6, 16]);
    const codebook = tensor(Float32Array.from({ length: 8 * 2 }, (_, i) => Math.fround(Math.sin(i * 1.7))), [8, 2]);
    for (const groupSize of [undefined, 8] as const) {
      const { q } = rtn(w, { dtype: 'codebook', codebook, groupSize });
      const r = quantize(w, { dtype: 'codebook', codebook, groupSize });
      expect(Array.from(q.codeBytes())).toEqual(Array.from(r.codeBytes()));
      expect(!!q.qparams.scales).toBe(groupSize !== undefined);
    }
    expect(() => rtn(w, { dtype: 'codebook' })).toThrow(/needs opts.codebook/);
    expect(() => rtn(w, { dtype: 'codebook', codebook, clipSearch: true })).toThrow(/scalar dtypes/);
  });

  it('the clip search lowers the weight error on heavy-tailed data', () => {
    const w = tensor(weight(16, 128, 5), [16, 128]);
    const a = rtn(w, { dtype: 'int3', groupSize: 64 });
    const b = rtn(w, { dtype: 'int3', groupSize: 64, clipSearch: { norm: 2 } });
    expect(b.report.error.value).toBeLessThan(a.report.error.value);
    expect(b.report.extras.meanClip).toBeLessThan(1);
  });
});
