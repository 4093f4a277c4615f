/**
 * The fused loops and the causal attention of src/models against naive loops written here from the
 * formulas (Hugging Face LlamaRMSNorm, rotate_half RoPE, softmax(QKᵀ/√d + mask)V with repeated KV
 * heads), on small random shapes.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/kernels/backend.js';
import { tensor } from '../../src/tensor.js';
import { applyRope, crossEntropySum, rmsNorm, ropeTables, swiglu } from '../../src/models/fused.js';
import { ATTN_BLOCK, causalAttention } from '../../src/models/attention.js';
import { randomF32Data } from '../arbitraries.js';

beforeAll(async () => {
  await ready();
});

function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, T: number, H: number, KV: number, d: number): Float64Array {
  const out = new Float64Array(T * H * d);
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / KV));
    for (let i = 0; i < T; i++) {
      const s: number[] = [];
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[i * H * d + h * d + c] * k[j * KV * d + g * d + c];
        s.push(dot / Math.sqrt(d));
      }
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += (e[j] / z) * v[j * KV * d + g * d + c];
        out[i * H * d + h * d + c] = acc;
      }
    }
  }
  return out;
}

describe('causalAttention', () => {
  it('equals naive masked softmax attention with repeated KV heads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 * ATTN_BLOCK + 5 }),
        fc.constantFrom([1, 1], [2, 1], [4, 2], [3, 3]),
        fc.constantFrom(2, 4, 8),
        fc.integer(),
        (T, [H, KV], d, seed) => {
          const qd = randomF32Data(T * H * d, seed);
          const kd = randomF32Data(T * KV * d, seed + 1);
          const vd = randomF32Data(T * KV * d, seed + 2);
          const q = tensor(qd, [T, H * d]);
          const k = tensor(kd, [T, KV * d]);
          const v = tensor(vd, [T, KV * d]);
          const got = causalAttention(q, k, v, H, KV).toFloat32();
          const want = naiveAttention(qd, kd, vd, T, H, KV, d);
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4 * (1 + Math.abs(want[i])));
          for (const t of [q, k, v]) t.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });
  it('names the shapes that do not fit', () => {
    const q = tensor(new Float32Array(12), [2, 6]);
    expect(() => causalAttention(q, q, q, 3, 2)).toThrow(/q \[2,6\], k \[2,6\]/);
  });
});

describe('fused loops', () => {
  it('rmsNorm is g · x / sqrt(mean(x²) + eps) per row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (T, n, seed) => {
        const x = randomF32Data(T * n, seed);
        const g = randomF32Data(n, seed + 1);
        const got = rmsNorm(tensor(x, [T, n]), tensor(g, [n]), 1e-5).toFloat32();
        for (let t = 0; t < T; t++) {
          let ss = 0;
          for (let j = 0; j < n; j++) ss += x[t * n + j] ** 2;
          const r = 1 / Math.sqrt(ss / n + 1e-5);
          for (let j = 0; j < n; j++) expect(got[t * n + j]).toBeCloseTo(g[j] * x[t * n + j] * r, 5);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('applyRope rotates pairs (i, i + d/2) by position · theta^(-2i/d)', () => {
    const T = 5, H = 2, d = 8, theta = 100;
    const x = randomF32Data(T * H * d, 7);
    const t = tensor(x, [T, H * d]);
    applyRope(t, ropeTables(T, d, theta), H);
    const got = t.toFloat32();
    for (let p = 0; p < T; p++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < d / 2; i++) {
          const ang = p * theta ** (-(2 * i) / d);
          const a = x[p * H * d + h * d + i];
          const b = x[p * H * d + h * d + i + d / 2];
          expect(got[p * H * d + h * d + i]).toBeCloseTo(a * Math.cos(ang) - b * Math.sin(ang), 5);
          expect(got[p * H * d + h * d + i + d / 2]).toBeCloseTo(b * Math.cos(ang) + a * Math.sin(ang), 5);
        }
      }
    }
  });

  it('swiglu is silu(g) · u and crossEntropySum is Σ logsumexp − z[target]', () => {
    const g = tensor([[-2, 0, 3]]);
    swiglu(g, tensor([[1, 5, 2]]));
    const want = [-2 / (1 + Math.exp(2)), 0, (3 / (1 + Math.exp(-3))) * 2];
    g.toFloat32().forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    const z = tensor([[0, Math.log(3)], [1, 1]]);
    // row 0: logsumexp = log 4, target 1 → log 4 − log 3; row 1: log 2.
    expect(crossEntropySum(z, [1, 0], 2)).toBeCloseTo(Math.log(4 / 3) + Math.log(2), 6);
    expect(() => crossEntropySum(z, [2, 0], 2)).toThrow(/target 2/);
  });
});
