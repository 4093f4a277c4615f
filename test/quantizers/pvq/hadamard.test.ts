import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomHadamard } from '../../../src/ops/hadamard.js';
import { tensor } from '../../../src/tensor.js';
import { setBackend } from '../../../src/kernels/backend.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { gaussian } from './helpers.js';

const popcount = (v: number): number => {
  let c = 0;
  for (; v; v &= v - 1) c++;
  return c;
};

/** Q as a dense f64 matrix from the definition blockdiag(H_b/√b) · diag(s). */
function denseQ(n: number, b: number, s: Float32Array): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (Math.floor(i / b) !== Math.floor(j / b)) continue;
      q[i * n + j] = ((popcount((i % b) & (j % b)) & 1 ? -1 : 1) / Math.sqrt(b)) * s[j];
    }
  }
  return q;
}

const dims = fc.constantFrom(1, 2, 4, 8, 12, 24, 64, 96, 384);

describe('randomHadamard', () => {
  it('equals the dense Q = blockdiag(H_b/√b)·diag(s), preserves norms and inverts exactly to f32 rounding', () => {
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 4 }), fc.nat(), (n, rows, seed) => {
        const h = randomHadamard(n, { seed });
        expect(h.blockSize & (h.blockSize - 1)).toBe(0);
        expect(n % h.blockSize).toBe(0);
        expect((n / h.blockSize) % 2).toBe(1); // the largest power of two leaves an odd quotient
        expect(h.signs.every((v) => v === 1 || v === -1)).toBe(true);
        const x = Float32Array.from(gaussian(rows * n, seed));
        const y = h.forward(tensor(x, [rows, n])).data() as Float32Array;
        const Q = denseQ(n, h.blockSize, h.signs);
        const logb = Math.log2(h.blockSize);
        for (let r = 0; r < rows; r++) {
          let nx = 0;
          let ny = 0;
          for (let i = 0; i < n; i++) {
            let want = 0;
            for (let j = 0; j < n; j++) want += Q[i * n + j] * x[r * n + j];
            let amax = 0;
            for (let j = 0; j < n; j++) amax += Math.abs(x[r * n + j]);
            expect(Math.abs(y[r * n + i] - want)).toBeLessThanOrEqual((logb + 2) * amax * 2 ** -24);
            nx += x[r * n + i] ** 2;
            ny += y[r * n + i] ** 2;
          }
          expect(Math.abs(Math.sqrt(ny) - Math.sqrt(nx))).toBeLessThanOrEqual((logb + 2) * 2 ** -23 * Math.sqrt(n) * Math.sqrt(nx) + 1e-30);
        }
        const back = h.inverse(tensor(y, [rows, n])).data() as Float32Array;
        for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(2 * (logb + 2) * 2 ** -23 * Math.sqrt(n) * 4 + 1e-30);
      }),
      { numRuns: 40 },
    );
  });

  it('weights rotated by Q and activations rotated by Q give the same layer output', () => {
    const n = 384;
    const out = 16;
    const h = randomHadamard(n, { seed: 3 });
    expect(h.blockSize).toBe(128);
    const w = Float32Array.from(gaussian(out * n, 1));
    const x = Float32Array.from(gaussian(n, 2));
    const w2 = h.forward(tensor(w, [out, n])).data() as Float32Array;
    const x2 = h.forward(tensor(x, [n])).data() as Float32Array;
    for (let o = 0; o < out; o++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < n; j++) {
        a += w[o * n + j] * x[j];
        b += w2[o * n + j] * x2[j];
      }
      expect(Math.abs(a - b)).toBeLessThan(1e-4 * Math.sqrt(n));
    }
  });

  it('is deterministic per seed, the same on both backends, and different across seeds', () => {
    const n = 4096;
    const x = tensor(Float32Array.from(gaussian(3 * n, 9)), [3, n]);
    const a = randomHadamard(n, { seed: 11 });
    expect(Array.from(a.signs)).toEqual(Array.from(randomHadamard(n, { seed: 11 }).signs));
    expect(Array.from(a.signs)).not.toEqual(Array.from(randomHadamard(n, { seed: 12 }).signs));
    // roughly balanced signs
    const neg = a.signs.filter((v) => v < 0).length;
    expect(neg).toBeGreaterThan(n * 0.45);
    expect(neg).toBeLessThan(n * 0.55);
    setBackend('js');
    const js = a.forward(x).data() as Float32Array;
    setBackend('wasm');
    const wasm = a.forward(x).data() as Float32Array;
    setBackend('auto');
    let diff = 0;
    for (let i = 0; i < js.length; i++) if (js[i] !== wasm[i]) diff++;
    expect(diff).toBe(0);
    const inPlace = x.data() as Float32Array;
    a.applyInPlace(inPlace, false);
    expect(inPlace[5]).toBe(wasm[5]);
    a.applyInPlace(inPlace, true);
    const orig = x.data() as Float32Array;
    for (let i = 0; i < orig.length; i += 97) expect(Math.abs(inPlace[i] - orig[i])).toBeLessThan(1e-5);
  });

  it('rejects bad sizes', () => {
    expect(() => randomHadamard(0)).toThrow(ValueError);
    expect(() => randomHadamard(12, { blockSize: 8 })).toThrow(ValueError);
    expect(() => randomHadamard(8).forward(tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => randomHadamard(8).applyInPlace(new Float32Array(12), false)).toThrow(ShapeError);
  });
});
