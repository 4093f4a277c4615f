/**
 * vqQuantize and VqTensor: exact shapes and bit accounting (counted by hand here), codes and
 * codebooks in range, nearest-codeword assignment checked by brute force on the stored parts,
 * determinism, the reported output error against a naive tr(ΔHΔᵀ)/2, error feedback and the residual
 * stage lowering the error, int8 codebooks, act-order, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { vqQuantize } from '../../../src/quantizers/vq/vq.js';
import { VqTensor } from '../../../src/quantizers/vq/vq-tensor.js';
import { vqLinear } from '../../../src/quantizers/vq/vq-linear.js';
import { unpackRows } from '../../../src/dtype/pack.js';
import { Rng } from '../../../src/ops/random.js';
import { tensor, type Tensor } from '../../../src/tensor.js';
import type { QTensor } from '../../../src/qtensor.js';
import { MemoryError, ShapeError, ValueError } from '../../../src/errors.js';
import { naiveHessian, outputError } from '../helpers.js';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * cols }, () => Math.fround(rng.nextNormal() * (0.5 + (rng.nextInt(4) === 0 ? 2 : 0))));
}

/** Correlated activations: x = z · A with a random mixing A, so H has strong off-diagonal terms. */
function correlatedHessian(tokens: number, cols: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const a = Float64Array.from({ length: cols * cols }, (_, i) => (i % (cols + 1) === 0 ? 1 : 0) + 0.4 * rng.nextNormal());
  const x = new Float64Array(tokens * cols);
  for (let t = 0; t < tokens; t++) {
    const z = Array.from({ length: cols }, () => rng.nextNormal());
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < cols; i++) s += z[i] * a[i * cols + j];
      x[t * cols + j] = s;
    }
  }
  return naiveHessian(x, tokens, cols);
}

/** The codes of a part, unpacked independently of dequantize. */
function partCodes(p: QTensor): Uint8Array {
  const [rows, cols] = p.shape;
  return unpackRows(p.codeBytes(), rows, cols / p.qparams.vectorDim!, p.bits);
}

function f32(t: Tensor): Float32Array {
  return t.toFloat32();
}

describe('vqQuantize: layout and bit accounting', () => {
  it('tiles [rows, cols] with one codebook QTensor per group and counts every bit', () => {
    const rows = 6;
    const cols = 24;
    const w = tensor(randomMatrix(rows, cols, 1), [rows, cols]);
    const { q, report } = vqQuantize(w, { dim: 2, bits: 3, groupSize: 8, seed: 5 });
    expect(q.shape).toEqual([rows, cols]);
    expect(q.stages.length).toBe(1);
    expect(q.stages[0].length).toBe(3);
    for (const p of q.stages[0]) {
      expect(p.shape).toEqual([rows, 8]);
      expect(p.qparams.codebook!.shape).toEqual([8, 2]);
      for (const c of partCodes(p)) expect(c).toBeLessThan(8);
    }
    // Per row and group: 4 indices x 3 bits = 12 bits, padded to 2 bytes; codebooks 8 x 2 f16.
    const bitsTotal = rows * 3 * 16 + 3 * 8 * 2 * 16;
    expect(q.sizeBits().total).toBe(bitsTotal);
    expect(q.bitsPerWeight).toBe(bitsTotal / (rows * cols));
    expect(report.bitsPerWeight).toBe(q.bitsPerWeight);
    expect(report.dtype).toBe('codebook');
    const dq = q.dequantize();
    expect(dq.shape).toEqual([rows, cols]);
    expect(dq.dtype).toBe('f32');
    dq.dispose();
    q.dispose();
    expect(() => q.dequantize()).toThrow(MemoryError);
  });

  it('residual: two stages summed in f32; row scales and int8 codebooks are counted', () => {
    const rows = 8;
    const cols = 16;
    const w = tensor(randomMatrix(rows, cols, 2), [rows, cols]);
    const one = vqQuantize(w, { dim: 4, bits: 4, seed: 1 });
    const two = vqQuantize(w, { dim: 4, bits: 4, seed: 1, residual: true });
    expect(two.q.stages.length).toBe(2);
    expect(two.q.bitsPerWeight).toBe(2 * one.q.bitsPerWeight);
    // Stage 0 of the residual run is the single-stage result (same seed stream), and the sum is in f32.
    const s0 = f32(two.q.stages[0][0].dequantize());
    const s1 = f32(two.q.stages[1][0].dequantize());
    expect(Array.from(s0)).toEqual(Array.from(f32(one.q.dequantize())));
    const sum = f32(two.q.dequantize());
    for (let i = 0; i < sum.length; i++) expect(sum[i]).toBe(Math.fround(s0[i] + s1[i]));
    expect(two.report.error.value).toBeLessThan(one.report.error.value);

    // Row scales: one f16 scale per row per group (16 bits each); int8: each codebook is 16 entries
    // x 4 values x 8 bits, counted by hand from what is stored.
    const rs = vqQuantize(w, { dim: 4, bits: 4, groupSize: 8, rowScales: true, codebookDtype: 'int8' });
    const codes = rows * 2 * 8; // 2 indices x 4 bits per row and group
    const byHand = codes + 2 * rows * 16 + 2 * 16 * 4 * 8;
    expect(rs.q.sizeBits().total).toBe(byHand);
    expect(rs.q.sizeBits().codebook).toBe(2 * 16 * 4 * 8);
    expect(rs.report.bitsPerWeight).toBe(byHand / (rows * cols));
    expect(rs.report.extras.trueBitsPerWeight).toBe(byHand / (rows * cols));
    for (const p of rs.q.stages[0]) {
      const cb = p.qparams.codebook!.toFloat32();
      for (const v of cb) expect(Number.isInteger(v) && Math.abs(v) <= 127).toBe(true);
      expect(p.qparams.scales!.shape).toEqual([rows, 1]);
    }
  });

  it('dim 8 with 8-bit indices in two stages (AQLM-like 2x8), more entries than vectors', () => {
    const rows = 16;
    const cols = 32;
    const data = randomMatrix(rows, cols, 14);
    const h = tensor(correlatedHessian(64, cols, 15), [cols, cols], 'f64');
    const { q, report } = vqQuantize(tensor(data, [rows, cols]), { dim: 8, bits: 8, residual: true, hessian: h, seed: 2 });
    // Per stage: 16 rows x 4 indices x 8 bits, one codebook of 256 x 8 f16 values.
    expect(q.sizeBits().total).toBe(2 * (rows * 4 * 8 + 256 * 8 * 16));
    for (const parts of q.stages) expect(parts[0].qparams.codebook!.shape).toEqual([256, 8]);
    const dq = f32(q.dequantize());
    expect(dq.length).toBe(rows * cols);
    for (const v of dq) expect(Number.isFinite(v)).toBe(true);
    // 64 vectors and 256 entries: k-means fits every vector exactly, so only the feedback's drift remains.
    expect(report.error.value).toBeLessThan(outputError(data, new Float32Array(rows * cols), h.data() as Float64Array, rows, cols) * 0.05);
  });

  it('an int8 codebook alone is integer codes times one per-tensor f16 scale', () => {
    const w = tensor(randomMatrix(4, 16, 3), [4, 16]);
    const { q, report } = vqQuantize(w, { dim: 2, bits: 3, codebookDtype: 'int8' });
    const p = q.toQTensor();
    expect(p.qparams.perTensor).toBe(true);
    const s = p.qparams.scales!.toFloat32()[0];
    const cb = p.qparams.codebook!.toFloat32();
    const codes = partCodes(p);
    const dq = f32(q.dequantize());
    for (let i = 0; i < dq.length; i++) expect(dq[i]).toBe(Math.fround(cb[codes[i >> 1] * 2 + (i & 1)] * s));
    expect(p.qparams.codebookDtype).toBe('int8');
    // 4 rows x 8 indices x 3 bits = 96 bits = 12 bytes (4 x 3 bytes), 8 x 2 int8 values, one f16 scale.
    expect(report.bitsPerWeight).toBe((4 * 3 * 8 + 8 * 2 * 8 + 16) / 64);
  });
});

describe('vqQuantize: assignment and determinism', () => {
  it('without a Hessian every vector decodes to its nearest codeword (brute force, f32 codebook)', () => {
    const rows = 10;
    const cols = 12;
    const data = randomMatrix(rows, cols, 4);
    const { q } = vqQuantize(tensor(data, [rows, cols]), { dim: 4, bits: 3, groupSize: 4, codebookDtype: 'f32', seed: 9 });
    q.stages[0].forEach((p, g) => {
      const cb = p.qparams.codebook!.toFloat32();
      const codes = partCodes(p);
      for (let r = 0; r < rows; r++) {
        const dists = Array.from({ length: 8 }, (_, c) => {
          let s = 0;
          for (let t = 0; t < 4; t++) s += (data[r * cols + g * 4 + t] - cb[c * 4 + t]) ** 2;
          return s;
        });
        expect(codes[r]).toBe(dists.indexOf(Math.min(...dists)));
      }
    });
  });

  it('with a Hessian the codes are nearest under weights 1/U_jj² for the fed-back values (dim 1, one column per step)', () => {
    // With dim 1 each step quantizes one column; the feedback-updated column is not observable,
    // but the first column of the first group is W itself: check it against the weighted rule,
    // where a per-column weight does not change the argmin (d = 1), so plain nearest must hold.
    const rows = 16;
    const cols = 8;
    const data = randomMatrix(rows, cols, 6);
    const h = correlatedHessian(64, cols, 7);
    const { q } = vqQuantize(tensor(data, [rows, cols]), { dim: 1, bits: 2, hessian: tensor(h, [cols, cols], 'f64'), codebookDtype: 'f32', codebookUpdate: false });
    const p = q.toQTensor();
    const cb = p.qparams.codebook!.toFloat32();
    const codes = partCodes(p);
    for (let r = 0; r < rows; r++) {
      const dists = Array.from(cb, (c) => (data[r * cols] - c) ** 2);
      expect(codes[r * cols]).toBe(dists.indexOf(Math.min(...dists)));
    }
  });

  it('is a function of (W, H, options): same seed, same bytes', () => {
    const rows = 12;
    const cols = 16;
    const w = tensor(randomMatrix(rows, cols, 8), [rows, cols]);
    const h = tensor(correlatedHessian(48, cols, 9), [cols, cols], 'f64');
    const a = vqQuantize(w, { dim: 2, bits: 4, groupSize: 8, hessian: h, seed: 3, residual: true });
    const b = vqQuantize(w, { dim: 2, bits: 4, groupSize: 8, hessian: h, seed: 3, residual: true });
    expect(Array.from(f32(a.q.dequantize()))).toEqual(Array.from(f32(b.q.dequantize())));
    expect(a.report.error.value).toBe(b.report.error.value);
  });
});

describe('vqQuantize: error feedback', () => {
  const rows = 32;
  const cols = 32;
  const data = randomMatrix(rows, cols, 10);
  const w = tensor(data, [rows, cols]);
  const hv = correlatedHessian(256, cols, 11);
  const h = tensor(hv, [cols, cols], 'f64');

  // Groups refit their codebook on the fed-back columns; one codebook fitted before any feedback can
  // lose to plain k-means (the fed-back columns drift outside it), so most cases here use groups.
  it('reports tr(ΔHΔᵀ)/2 of what dequantize returns, and beats plain k-means on correlated inputs', () => {
    for (const opts of [
      { dim: 2, bits: 3, groupSize: 16 },
      { dim: 4, bits: 4 },
      { dim: 2, bits: 4 },
      { dim: 2, bits: 4, groupSize: 8, rowScales: true },
      { dim: 2, bits: 3, groupSize: 16, residual: true },
      { dim: 4, bits: 4, residual: true },
      { dim: 2, bits: 3, groupSize: 16, actOrder: true },
    ]) {
      const plain = vqQuantize(w, { ...opts, actOrder: undefined, seed: 2 });
      const fb = vqQuantize(w, { ...opts, hessian: h, seed: 2 });
      const ePlain = outputError(data, f32(plain.q.dequantize()), hv, rows, cols);
      const eFb = outputError(data, f32(fb.q.dequantize()), hv, rows, cols);
      expect(fb.report.error.kind).toBe('output');
      expect(Math.abs(fb.report.error.value - eFb) / eFb).toBeLessThan(1e-6);
      expect(eFb).toBeLessThan(ePlain * 0.9);
      // Without a Hessian the report is the mean squared weight error.
      let se = 0;
      const dp = f32(plain.q.dequantize());
      for (let i = 0; i < data.length; i++) se += (data[i] - dp[i]) ** 2;
      expect(plain.report.error.kind).toBe('weight');
      expect(plain.report.error.value).toBeCloseTo(se / data.length, 12);
    }
  });

  it('codebook update: the reported losses match a naive recomputation and never rise', () => {
    for (const opts of [
      { dim: 2, bits: 3, groupSize: 16 },
      { dim: 2, bits: 4, groupSize: 8, rowScales: true, codebookDtype: 'int8' as const },
      { dim: 4, bits: 4, codebookDtype: 'bf16' as const },
    ]) {
      const off = vqQuantize(w, { ...opts, hessian: h, seed: 4, codebookUpdate: false });
      const on = vqQuantize(w, { ...opts, hessian: h, seed: 4 });
      const u = on.report.extras.codebookUpdate!;
      expect(u.lossAfter).toBeLessThanOrEqual(u.lossBefore);
      const before = outputError(data, f32(off.q.dequantize()), hv, rows, cols);
      const after = outputError(data, f32(on.q.dequantize()), hv, rows, cols);
      expect(on.report.error.value).toBeCloseTo(after, 9);
      expect(Math.abs(u.lossBefore - before) / before).toBeLessThan(1e-6);
      expect(Math.abs(u.lossAfter - after) / after).toBeLessThan(1e-6);
      expect(u.kept).toBeGreaterThan(0);
      expect(after).toBeLessThan(before);
    }
  });

  it('act-order: the permutation is kept, counted, and undone by dequantize', () => {
    const { q, report } = vqQuantize(w, { dim: 2, bits: 4, groupSize: 16, hessian: h, actOrder: true });
    expect(q.perm).toBeDefined();
    const order = Array.from(q.perm!);
    const diag = Array.from({ length: cols }, (_, i) => hv[i * cols + i]);
    for (let j = 1; j < cols; j++) expect(diag[order[j]]).toBeLessThanOrEqual(diag[order[j - 1]]);
    expect(q.sizeBits().perm).toBe(32 * cols);
    expect(report.extras.actOrder).toBe(true);
    // Stored column j of the parts is original column perm[j].
    const dq = f32(q.dequantize());
    const p0 = f32(q.stages[0][0].dequantize());
    for (let r = 0; r < rows; r++) for (let j = 0; j < 16; j++) expect(dq[r * cols + order[j]]).toBe(p0[r * 16 + j]);
    expect(() => q.toQTensor()).toThrow(ValueError);
  });

  it('dead input channels are zeroed and reported', () => {
    const hd = Float64Array.from(hv);
    for (let i = 0; i < cols; i++) {
      hd[3 * cols + i] = 0;
      hd[i * cols + 3] = 0;
    }
    const { report } = vqQuantize(w, { dim: 2, bits: 3, hessian: tensor(hd, [cols, cols], 'f64') });
    expect(report.extras.deadColumns).toBe(1);
    expect(Number.isFinite(report.error.value)).toBe(true);
  });
});

describe('vqLinear', () => {
  it('equals x · dequantize(W)ᵀ (f64 reference) for groups, stages, row scales, int8 and act-order', () => {
    const rows = 12;
    const cols = 24;
    const data = randomMatrix(rows, cols, 16);
    const w = tensor(data, [rows, cols]);
    const h = tensor(correlatedHessian(64, cols, 17), [cols, cols], 'f64');
    const x = randomMatrix(5, cols, 18);
    const bias = randomMatrix(1, rows, 19);
    for (const opts of [
      { dim: 2, bits: 3 },
      { dim: 2, bits: 3, groupSize: 8, residual: true, rowScales: true },
      { dim: 4, bits: 4, groupSize: 8, actOrder: true, hessian: h, codebookDtype: 'int8' as const },
    ]) {
      const { q } = vqQuantize(w, opts);
      const dq = f32(q.dequantize());
      const y = f32(vqLinear(tensor(x, [5, cols]), q, { bias: tensor(bias, [rows]) }));
      for (let t = 0; t < 5; t++) {
        for (let o = 0; o < rows; o++) {
          let s = bias[o];
          let mag = Math.abs(bias[o]);
          for (let j = 0; j < cols; j++) {
            s += x[t * cols + j] * dq[o * cols + j];
            mag += Math.abs(x[t * cols + j] * dq[o * cols + j]);
          }
          // Two stages are summed after the products, dequantize before: both within f32 rounding.
          expect(Math.abs(y[t * rows + o] - s)).toBeLessThanOrEqual(4 * cols * 2 ** -24 * mag + 1e-30);
        }
      }
    }
    const { q } = vqQuantize(w, { dim: 2, bits: 3 });
    expect(() => vqLinear(tensor(x.subarray(0, 5 * 20), [5, 20]), q)).toThrow(/input features/);
  });
});

describe('vqQuantize: bad input', () => {
  const w = tensor(randomMatrix(4, 8, 12), [4, 8]);
  it('names what is wrong', () => {
    expect(() => vqQuantize(w, { dim: 3, bits: 2 })).toThrow(ShapeError);
    expect(() => vqQuantize(w, { dim: 0, bits: 2 })).toThrow(/dim must be a positive integer/);
    expect(() => vqQuantize(w, { dim: 2, bits: 9 })).toThrow(/1 to 8/);
    expect(() => vqQuantize(w, { dim: 2 })).toThrow(/bits .* or entries/);
    expect(() => vqQuantize(w, { dim: 2, entries: 12 })).toThrow(/power of two/);
    expect(() => vqQuantize(w, { dim: 2, bits: 3, entries: 16 })).toThrow(/disagree/);
    expect(() => vqQuantize(w, { dim: 2, bits: 2, groupSize: 3 })).toThrow(/multiple of dim/);
    expect(() => vqQuantize(w, { dim: 2, bits: 2, hessian: tensor(new Float64Array(9), [3, 3], 'f64') })).toThrow(/\[8,8\]/);
    expect(() => vqQuantize(tensor(new Float32Array(8), [8]), { dim: 2, bits: 2 })).toThrow(ShapeError);
    const bad = randomMatrix(4, 8, 13);
    bad[9] = NaN;
    expect(() => vqQuantize(tensor(bad, [4, 8]), { dim: 2, bits: 2 })).toThrow(/NaN at \[1,1\]/);
  });

  it('VqTensor checks that its parts tile the matrix', () => {
    const { q } = vqQuantize(w, { dim: 2, bits: 2, groupSize: 4 });
    expect(() => new VqTensor([4, 8], 8, q.stages)).toThrow(ShapeError);
    expect(() => new VqTensor([4, 8], 4, q.stages, Int32Array.of(0, 1, 2, 3, 4, 5, 6, 6))).toThrow(/permutation/);
  });
});
