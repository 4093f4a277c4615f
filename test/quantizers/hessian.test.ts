/**
 * HessianAccumulator against a naive f64 2/n Σ xᵀx written in the test: batch splitting, merging,
 * dtypes of the input, the AWQ statistics, and the defined errors (empty set, non-finite values,
 * wrong width).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tensor } from '../../src/tensor.js';
import { ShapeError, ValueError } from '../../src/errors.js';
import { HessianAccumulator, hessianOf, outputError } from '../../src/quantizers/hessian.js';
import { quantize } from '../../src/ops/quant.js';
import { mulberry32 } from '../arbitraries.js';
import { naiveHessian, outputError as naiveOutputError } from './helpers.js';

function data(n: number, f: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n * f }, () => Math.fround((next() * 2 - 1) * (1 + next() * 3)));
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rel: number): void {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(rel * scale + 1e-300);
}

describe('HessianAccumulator', () => {
  it('any split into batches gives 2/n Σ xᵀx (f64 and f32), and merging equals adding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 1e9 }),
        (f, n, cuts, seed) => {
          const x = data(n, f, seed);
          const ref = naiveHessian(x, n, f);
          const points = [0, ...cuts.map((c) => Math.min(c, n)).sort((a, b) => a - b), n];
          for (const dtype of ['f64', 'f32'] as const) {
            const acc = new HessianAccumulator(f, { dtype });
            const a2 = new HessianAccumulator(f, { dtype });
            for (let i = 1; i < points.length; i++) {
              const part = x.subarray(points[i - 1] * f, points[i] * f);
              (i % 2 ? acc : a2).add(tensor(part, [points[i] - points[i - 1], f]));
            }
            acc.merge(a2);
            expect(acc.count).toBe(n);
            expectClose(acc.hessian('f64').data() as Float64Array, ref, dtype === 'f64' ? 1e-12 : 1e-5);
            acc.dispose();
            a2.dispose();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('batches read in place (a row slice at an offset) or copied (a transposed view) give the same sum', () => {
    const f = 9;
    const n = 37;
    const x = data(n + 5, f, 7);
    const ref = naiveHessian(x.subarray(3 * f, (3 + n) * f), n, f);
    const whole = tensor(x, [n + 5, f]);
    const rows = whole.slice([3, 3 + n]); // contiguous, offset 3 rows: read in place
    const xt = tensor(Float32Array.from({ length: n * f }, (_, i) => x[(3 + (i % n)) * f + Math.floor(i / n)]), [f, n]).transpose(); // [n, f], strided: copied
    for (const batch of [rows, xt]) {
      const acc = new HessianAccumulator(f);
      acc.add(batch);
      expectClose(acc.hessian('f64').data() as Float64Array, ref, 1e-5);
      acc.dispose();
    }
    expect(Array.from(rows.toFloat32())).toEqual(Array.from(x.subarray(3 * f, (3 + n) * f))); // the batch is left as it was
  });

  it('mean |x| and max |x| per channel; leading axes are tokens; bf16 input', () => {
    const f = 5;
    const x = data(12, f, 3);
    const acc = new HessianAccumulator(f);
    acc.add(tensor(x.subarray(0, 6 * f), [2, 3, f], 'bf16'));
    acc.add(tensor(x.subarray(6 * f), [6, f], 'bf16'));
    const bf = tensor(x, [12, f], 'bf16').toFloat32();
    for (let c = 0; c < f; c++) {
      let s = 0;
      let m = 0;
      for (let t = 0; t < 12; t++) {
        s += Math.abs(bf[t * f + c]);
        m = Math.max(m, Math.abs(bf[t * f + c]));
      }
      expect(acc.meanAbs()[c]).toBeCloseTo(s / 12, 12);
      expect(acc.maxAbs()[c]).toBe(m);
    }
    expectClose(acc.hessian('f64').data() as Float64Array, naiveHessian(bf, 12, f), 1e-6);
    expectClose(hessianOf(tensor(bf, [12, f]), { dtype: 'f64' }).data() as Float64Array, naiveHessian(bf, 12, f), 1e-12);
  });

  it('defined errors: empty calibration set, non-finite activation (state unchanged), wrong width', () => {
    const acc = new HessianAccumulator(3, { dtype: 'f64' });
    expect(() => acc.hessian()).toThrow(/calibration set is empty/);
    acc.add(tensor([1, 2, 3], [1, 3]));
    expect(() => acc.add(tensor([1, NaN, 3, 4, 5, 6], [2, 3]))).toThrow(ValueError);
    expect(() => acc.add(tensor([1, NaN, 3, 4, 5, 6], [2, 3]))).toThrow(/token 0, channel 1/);
    expect(() => acc.add(tensor([1, 2, 3, 4, 5, -Infinity, 7, 8, 9], [3, 3]))).toThrow(/token 1, channel 2/);
    expect(acc.count).toBe(1);
    expect(Array.from(acc.hessian().data() as Float64Array)).toEqual([2, 4, 6, 4, 8, 12, 6, 12, 18]);
    // the rejected batches left the AWQ statistics alone too (their channels 0 and 2 were finite)
    expect(Array.from(acc.meanAbs())).toEqual([1, 2, 3]);
    expect(Array.from(acc.maxAbs())).toEqual([1, 2, 3]);
    expect(() => acc.add(tensor([1, 2], [1, 2]))).toThrow(ShapeError);
    expect(() => acc.merge(new HessianAccumulator(4))).toThrow(ShapeError);
  });

  it('outputError is the mean over tokens of ‖(W − Q)x‖² (QTensor or float Q)', () => {
    const f = 6;
    const n = 9;
    const x = data(n, f, 8);
    const acc = new HessianAccumulator(f, { dtype: 'f64' });
    acc.add(tensor(x, [n, f]));
    const w = data(4, f, 9);
    const q = quantize(tensor(w, [4, f]), { dtype: 'int3', groupSize: 3 });
    const d = q.dequantize().toFloat32();
    let direct = 0;
    for (let t = 0; t < n; t++) {
      for (let o = 0; o < 4; o++) {
        let y = 0;
        for (let c = 0; c < f; c++) y += (w[o * f + c] - d[o * f + c]) * x[t * f + c];
        direct += y * y;
      }
    }
    expect(outputError(tensor(w, [4, f]), q, acc)).toBeCloseTo(direct / n, 10);
    expect(outputError(tensor(w, [4, f]), q.dequantize(), acc.hessian())).toBeCloseTo(naiveOutputError(w, d, naiveHessian(x, n, f), 4, f), 10);
    expect(() => outputError(tensor(w, [4, f]), tensor(new Float32Array(5 * f), [5, f]), acc)).toThrow(ShapeError);
  });
});
