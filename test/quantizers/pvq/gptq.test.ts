import { describe, expect, it } from 'vitest';
import { pvqGptq } from '../../../src/quantizers/pvq/gptq.js';
import { pvqQuantize } from '../../../src/quantizers/pvq/quantize.js';
import { randomHadamard, rotateSymmetric } from '../../../src/ops/hadamard.js';
import { tensor } from '../../../src/tensor.js';
import { ShapeError } from '../../../src/errors.js';
import { block0Inputs, naiveHessian, outputError, readWeight } from '../helpers.js';
import { gaussian } from './helpers.js';

describe('pvqGptq', () => {
  it('on a real layer with real inputs: lower output error than plain PVQ at the same bits, reported exactly', () => {
    const tokens = 512;
    const x = block0Inputs(tokens);
    const { data, shape } = readWeight('model.layers.0.self_attn.k_proj.weight');
    const [rows, cols] = shape;
    const h = naiveHessian(x, tokens, cols);
    const w = tensor(data, shape);
    for (const bits of [2, 3]) {
      const plain = pvqQuantize(w, { bits, dim: 16 });
      const hq = pvqGptq(w, tensor(h, [cols, cols], 'f64'), { bits, dim: 16 });
      expect(hq.q.bitsPerWeight).toBe(plain.q.bitsPerWeight);
      const ePlain = outputError(data, plain.q.dequantize().data() as Float32Array, h, rows, cols);
      const eH = outputError(data, hq.q.dequantize().data() as Float32Array, h, rows, cols);
      expect(eH).toBeLessThan(0.9 * ePlain);
      // the loop's (rotated-basis, damped-corrected) error equals the independent original-basis one
      expect(Math.abs(hq.report.error.value - eH)).toBeLessThan(0.02 * eH);
      expect(hq.report.method).toBe('pvq+gptq');
      // the Hessian-aware gain (default) beats the Euclidean gain inside the same loop
      const euclid = pvqGptq(w, tensor(h, [cols, cols], 'f64'), { bits, dim: 16, hessianGain: false });
      expect(eH).toBeLessThan(euclid.report.error.value);
      euclid.q.dispose();
      plain.q.dispose();
      hq.q.dispose();
    }
  });

  it('Q H Qᵀ is the Hessian of rotated inputs', () => {
    const n = 24;
    const t = 40;
    const x = Float32Array.from(gaussian(t * n, 4));
    const q = randomHadamard(n, { seed: 2 });
    const xr = q.forward(tensor(x, [t, n])).data() as Float32Array;
    const want = naiveHessian(xr, t, n);
    const got = rotateSymmetric(q, naiveHessian(x, t, n));
    for (let i = 0; i < n * n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4);
  });

  it('rejects a Hessian of the wrong size', () => {
    expect(() => pvqGptq(tensor([[1, 2, 3, 4]]), tensor([[1, 0], [0, 1]]), { dim: 2, pulses: 2 })).toThrow(ShapeError);
  });
});
