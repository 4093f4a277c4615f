/**
 * AWQ: the scale candidates and their scores against a naive implementation written here (mean |x|
 * and relative mean |w| computed from the raw data, losses from the naive tr(ΔHΔᵀ)/2), the choice of
 * the best α, folding into a norm (checked by recomputing the folded activations and the layer
 * outputs directly), unfolded input scales, and real q/k/v layers of the tiny model where AWQ (and AWQ
 * then GPTQ) must beat RTN.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fakeQuantize, quantize } from '../../src/ops/quant.js';
import { roundToF16 } from '../../src/dtype/half.js';
import { tensor } from '../../src/tensor.js';
import { ShapeError } from '../../src/errors.js';
import { awq } from '../../src/quantizers/awq.js';
import { HessianAccumulator } from '../../src/quantizers/hessian.js';
import { mulberry32 } from '../arbitraries.js';
import { block0Inputs, block0InputsOf, heldOutBytes, naiveHessian, outputError, readWeight } from './helpers.js';
import { outputError as layerOutputError } from '../../src/quantizers/hessian.js';

/** Activations with a few outlier channels (what AWQ is for) and weights. */
function data(rows: number[], cols: number, n: number, seed: number) {
  const next = mulberry32(seed);
  const g = () => next() + next() + next() - 1.5;
  const chanScale = Array.from({ length: cols }, (_, c) => (c % 7 === 3 ? 8 : 1) * (0.5 + next()));
  const x = Float32Array.from({ length: n * cols }, (_, i) => Math.fround(g() * chanScale[i % cols]));
  const ws = rows.map((r) => Float32Array.from({ length: r * cols }, () => Math.fround(g())));
  return { x, ws };
}

function naiveScales(x: Float32Array, n: number, cols: number, ws: Float32Array[], gs: number, alpha: number): Float32Array {
  const xm = new Float64Array(cols);
  for (let t = 0; t < n; t++) for (let c = 0; c < cols; c++) xm[c] += Math.abs(x[t * cols + c]) / n;
  const wm = new Float64Array(cols);
  let rowsTotal = 0;
  for (const w of ws) {
    const rows = w.length / cols;
    rowsTotal += rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const g0 = Math.floor(c / gs) * gs;
        let m = 0;
        for (let k = g0; k < Math.min(cols, g0 + gs); k++) m = Math.max(m, Math.abs(w[r * cols + k]));
        if (m > 0) wm[c] += Math.abs(w[r * cols + c]) / m;
      }
    }
  }
  const raw = Array.from({ length: cols }, (_, c) => Math.max(1e-4, xm[c] ** alpha / ((wm[c] / rowsTotal) ** (1 - alpha) + 1e-4)));
  const norm = Math.sqrt(Math.min(...raw) * Math.max(...raw));
  return Float32Array.from(raw, (v) => roundToF16(v / norm));
}

describe('awq scale search', () => {
  it('scores every α like a naive implementation and keeps the best (or RTN)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.constantFrom(4, 8, 16), fc.constantFrom('int3', 'int4') as fc.Arbitrary<'int3' | 'int4'>, (seed, gs, dtype) => {
        const cols = 16;
        const n = 40;
        const { x, ws } = data([6, 3], cols, n, seed);
        const acc = new HessianAccumulator(cols, { dtype: 'f64' });
        acc.add(tensor(x, [n, cols]));
        const h = naiveHessian(x, n, cols);
        const grid = 5;
        const r = awq(
          ws.map((w, i) => ({ name: `l${i}`, weight: tensor(w, [w.length / cols, cols]) })),
          acc,
          { dtype, groupSize: gs, grid, clipSearch: false },
        );
        const loss = (s: Float32Array | null) =>
          ws.reduce((tot, w) => {
            const rows = w.length / cols;
            const d = fakeQuantize(tensor(w, [rows, cols]), { dtype, groupSize: gs, ...(s ? { inputScale: s } : {}) }).toFloat32();
            return tot + outputError(w, d, h, rows, cols);
          }, 0);
        const rtnLoss = loss(null);
        expect(r.losses.rtn).toBeCloseTo(rtnLoss, 8);
        let best = rtnLoss;
        let bestAlpha: number | null = null;
        for (let i = 0; i < grid; i++) {
          const l = loss(naiveScales(x, n, cols, ws, gs, i / grid));
          expect(Math.abs(r.losses.alphas[i] - l)).toBeLessThanOrEqual(1e-9 * (1 + l));
          if (l < best) {
            best = l;
            bestAlpha = i / grid;
          }
        }
        expect(r.alpha).toBe(bestAlpha);
        // Unfolded: each QTensor stores s (or nothing when RTN won) and dequantizes in the original space.
        for (const [i, w] of ws.entries()) {
          const q = r.q[`l${i}`];
          expect(q.shape).toEqual([w.length / cols, cols]);
          expect(!!q.qparams.inputScale).toBe(bestAlpha !== null);
          const rep = r.reports[`l${i}`];
          expect(rep.error.value).toBeCloseTo(outputError(w, q.dequantize().toFloat32(), h, w.length / cols, cols), 8);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('rejects weights that do not share the input and bad fold targets', () => {
    const acc = new HessianAccumulator(4);
    acc.add(tensor([1, 2, 3, 4], [1, 4]));
    expect(() => awq([{ name: 'a', weight: tensor(new Float32Array(10), [2, 5]) }], acc, { dtype: 'int4' })).toThrow(ShapeError);
    expect(() =>
      awq([{ name: 'a', weight: tensor(new Float32Array(8), [2, 4]) }], acc, { dtype: 'int4', foldInto: { kind: 'norm', weight: tensor([1, 1, 1]) } }),
    ).toThrow(ShapeError);
  });
});

describe('awq on block 0 q/k/v of tiny-llama-bytes', () => {
  const tokens = 256;
  const cols = 384;
  const x = block0Inputs(tokens);
  const acc = new HessianAccumulator(cols, { dtype: 'f64' });
  acc.add(tensor(x, [tokens, cols]));
  const h = acc.hessian('f64').data() as Float64Array;
  const names = ['q_proj', 'k_proj', 'v_proj'].map((p) => `model.layers.0.self_attn.${p}.weight`);
  const ws = names.map((n) => readWeight(n));
  const linears = ws.map((w, i) => ({ name: names[i], weight: tensor(w.data, w.shape) }));
  const norm = readWeight('model.layers.0.input_layernorm.weight');

  it('W3 g128 folded into the norm: beats RTN, and the folded model computes the reported outputs', () => {
    const r = awq(linears, acc, { dtype: 'int3', groupSize: 128, foldInto: { kind: 'norm', weight: tensor(norm.data, norm.shape) } });
    expect(r.alpha).not.toBeNull();
    expect(r.folded).not.toBeNull();
    // The clip search shrinks some (row, group) ranges, never below 1 - 0.5.
    const clips = Object.values(r.clip).flatMap((c) => Array.from(c));
    expect(clips.length).toBe((384 + 128 + 128) * 3);
    expect(Math.min(...clips)).toBeGreaterThanOrEqual(0.5);
    expect(Math.min(...clips)).toBeLessThan(1);
    const g2 = r.folded!.toFloat32();
    // Folded activations: RMSNorm with the new weight = x · g'/g = x / s.
    const x2 = Float64Array.from(x, (v, i) => (v / norm.data[i % cols]) * g2[i % cols]);
    let totalAwq = 0;
    let totalRtn = 0;
    for (const [i, w] of ws.entries()) {
      const q = r.q[names[i]];
      expect(q.qparams.inputScale).toBeUndefined();
      const qd = q.dequantize().toFloat32();
      const rows = w.shape[0];
      // mean over tokens of ‖W x − Q x'‖², computed from the activations directly.
      let se = 0;
      for (let t = 0; t < tokens; t++) {
        for (let o = 0; o < rows; o++) {
          let a = 0;
          let b = 0;
          for (let c = 0; c < cols; c++) {
            a += w.data[o * cols + c] * x[t * cols + c];
            b += qd[o * cols + c] * x2[t * cols + c];
          }
          se += (a - b) ** 2;
        }
      }
      const rep = r.reports[names[i]];
      expect(Math.abs(se / tokens - rep.error.value) / rep.error.value).toBeLessThan(2e-3);
      totalAwq += rep.error.value;
      const rq = quantize(tensor(w.data, w.shape), { dtype: 'int3', groupSize: 128 });
      const eRtn = outputError(w.data, rq.dequantize().toFloat32(), h, rows, cols);
      totalRtn += eRtn;
      expect(rep.error.rtn).toBeCloseTo(eRtn, 6);
    }
    expect(totalAwq).toBeLessThan(totalRtn * 0.9);
    // On held-out text (test.txt) the folded weights, fed x / s, must still beat RTN.
    const held = new HessianAccumulator(cols, { dtype: 'f64' });
    held.add(tensor(block0InputsOf(heldOutBytes(2048)), [2048, cols]));
    let heldAwq = 0;
    let heldRtn = 0;
    for (const [i, w] of ws.entries()) {
      const qd = r.q[names[i]].dequantize().toFloat32();
      const eff = Float32Array.from(qd, (v, k) => (v / norm.data[k % cols]) * g2[k % cols]); // deq / s
      heldAwq += layerOutputError(tensor(w.data, w.shape), tensor(eff, w.shape), held);
      heldRtn += layerOutputError(tensor(w.data, w.shape), quantize(tensor(w.data, w.shape), { dtype: 'int3', groupSize: 128 }), held);
    }
    expect(heldAwq).toBeLessThan(heldRtn * 0.9);
  });

  it('W4 g128 then GPTQ (unfolded input scales): beats AWQ alone and RTN', () => {
    const plain = awq(linears, acc, { dtype: 'int4', groupSize: 128 });
    const both = awq(linears, acc, { dtype: 'int4', groupSize: 128, gptq: { actOrder: true } });
    let ePlain = 0;
    let eBoth = 0;
    let eRtn = 0;
    for (const [i, w] of ws.entries()) {
      const q = both.q[names[i]];
      if (both.alpha !== null) expect(q.qparams.inputScale).toBeDefined();
      eBoth += outputError(w.data, q.dequantize().toFloat32(), h, w.shape[0], cols);
      ePlain += plain.reports[names[i]].error.value;
      eRtn += plain.reports[names[i]].error.rtn!;
    }
    expect(ePlain).toBeLessThan(eRtn);
    expect(eBoth).toBeLessThan(ePlain);
  });
});
