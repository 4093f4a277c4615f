import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pvqQuantize } from '../../../src/quantizers/pvq/quantize.js';
import { pvqConfigForBits } from '../../../src/quantizers/pvq/config.js';
import { pvqSizeBits } from '../../../src/quantizers/pvq/pvq-tensor.js';
import { rtn } from '../../../src/quantizers/rtn.js';
import { tensor } from '../../../src/tensor.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { corr, gaussian, sortedBook } from './helpers.js';
import { readWeight } from '../helpers.js';


/** Bits [pos, pos + n) of a little-endian bit stream, read bit by bit (n <= 40 here). */
function bitsAt(buf: Uint8Array, pos: number, n: number): number {
  let v = 0;
  for (let b = 0; b < n; b++) v += ((buf[(pos + b) >> 3] >> ((pos + b) & 7)) & 1) * 2 ** b;
  return v;
}

describe('pvqQuantize', () => {
  it('stores, for every group, the brute-force nearest codeword (Σ|y| = K) and the nearest amplitude level, decoded as documented', () => {
    fc.assert(
      fc.property(
        fc.record({
          dim: fc.integer({ min: 1, max: 4 }),
          pulses: fc.integer({ min: 1, max: 5 }),
          ampBits: fc.integer({ min: 0, max: 3 }),
          rows: fc.integer({ min: 1, max: 3 }),
          groups: fc.integer({ min: 1, max: 3 }),
          rotate: fc.boolean(),
          seed: fc.nat(),
        }),
        ({ dim, pulses, ampBits, rows, groups, rotate, seed }) => {
          const cols = dim * groups;
          // the rotation needs a power-of-two block; dim * groups may not have one > 1, which is fine (block 1)
          const w = tensor(Float32Array.from(gaussian(rows * cols, seed)), [rows, cols]);
          const { q } = pvqQuantize(w, { dim, pulses, ampBits, search: 'exact', hadamard: rotate ? { seed } : false });
          const book = sortedBook(dim, pulses); // index -> codeword, independent of index-code.ts
          const codes = q.codes.data() as Uint8Array;
          const scales = q.scales.data() as Float32Array;
          const levels = q.levels.data() as Float32Array;
          const rowBytes = q.codes.shape[1];
          const rec = ampBits + q.indexBits;
          expect(2 ** q.indexBits).toBeGreaterThanOrEqual(book.length);
          const wr = q.hadamard() ? (q.hadamard()!.forward(w).data() as Float32Array) : (w.data() as Float32Array);
          const deq = q.dequantizeRotated().data() as Float32Array;
          for (let r = 0; r < rows; r++) {
            const row = codes.subarray(r * rowBytes, (r + 1) * rowBytes);
            let rho = 0;
            for (let j = 0; j < cols; j++) rho += wr[r * cols + j] ** 2;
            expect(Math.abs(scales[r] - Math.sqrt(rho))).toBeLessThanOrEqual(Math.sqrt(rho) * 2 ** -11);
            for (let g = 0; g < groups; g++) {
              const a = bitsAt(row, g * rec, ampBits);
              const idx = bitsAt(row, g * rec + ampBits, q.indexBits);
              expect(idx).toBeLessThan(book.length);
              const y = book[idx];
              expect(y.reduce((s, v) => s + Math.abs(v), 0)).toBe(pulses);
              const x = wr.subarray(r * cols + g * dim, r * cols + (g + 1) * dim);
              let best = -Infinity;
              for (const c of book) best = Math.max(best, corr(x, c));
              expect(corr(x, y)).toBeGreaterThanOrEqual(best - 1e-9);
              // nearest level to the relative gain
              const rel = corr(x, y) / scales[r];
              for (let k = 0; k < levels.length; k++) expect(Math.abs(levels[a] - rel)).toBeLessThanOrEqual(Math.abs(levels[k] - rel) + 1e-7);
              let yy = 0;
              for (const v of y) yy += v * v;
              const gain = Math.fround((scales[r] * levels[a]) / Math.sqrt(yy));
              for (let i = 0; i < dim; i++) expect(deq[r * cols + g * dim + i]).toBe(Math.fround(y[i] * gain));
            }
            // unused tail bits are zero
            const used = groups * rec;
            for (let b = used; b < rowBytes * 8; b++) expect((row[b >> 3] >> (b & 7)) & 1).toBe(0);
          }
          // bits per weight from what is stored
          const stored = q.codes.size * 8 + q.scales.size * 16 + q.levels.size * 32 + (rotate ? 96 : 0);
          expect(q.bitsPerWeight).toBeCloseTo(stored / (rows * cols), 12);
          q.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('on a real layer, beats RTN int2/int3 (group 128, f16) at no more bits per weight, and the config predicts its error', () => {
    const { data, shape } = readWeight('model.layers.1.self_attn.q_proj.weight');
    const w = tensor(data, shape);
    let ss = 0;
    for (const v of data) ss += v * v;
    const msw = ss / data.length;
    for (const [bits, dtype] of [[2.3, 'int2'], [3.3, 'int3']] as const) {
      const r = rtn(w, { dtype, groupSize: 128 }).report;
      const { q, report } = pvqQuantize(w, { bits: r.bitsPerWeight, dim: 16 });
      expect(report.bitsPerWeight).toBeLessThanOrEqual(r.bitsPerWeight);
      expect(report.bitsPerWeight).toBeGreaterThan(bits - 0.5);
      expect(report.error.value).toBeLessThan(r.error.value);
      // the error measured in the original basis equals the reported (rotated-basis) one
      const d = q.dequantize().data() as Float32Array;
      let e = 0;
      for (let i = 0; i < d.length; i++) e += (d[i] - data[i]) ** 2;
      expect(Math.abs(e / d.length - report.error.value)).toBeLessThan(0.01 * report.error.value);
      const cfg = pvqConfigForBits(r.bitsPerWeight, { dim: 16, shape: [shape[0], shape[1]] });
      expect(cfg.pulses).toBe(q.pulses);
      expect(Math.abs(report.error.value / msw - cfg.modelError)).toBeLessThan(0.25 * cfg.modelError);
      q.dispose();
    }
  });

  it('pvqConfigForBits stays within budget, prices exactly, and spends more pulses on more bits', () => {
    let prev = 0;
    for (const b of [1.5, 2, 2.5, 3, 4]) {
      const c = pvqConfigForBits(b, { dim: 16, shape: [1024, 384] });
      expect(c.bitsPerWeight).toBeLessThanOrEqual(b);
      expect(c.bitsPerWeight).toBe(pvqSizeBits({ rows: 1024, cols: 384, dim: 16, pulses: c.pulses, ampBits: c.ampBits, scaleDtype: 'f16', rotated: true }).bitsPerWeight);
      // one more pulse would not fit
      expect(pvqSizeBits({ rows: 1024, cols: 384, dim: 16, pulses: c.pulses + 1, ampBits: c.ampBits, scaleDtype: 'f16', rotated: true }).bitsPerWeight).toBeGreaterThan(b);
      expect(c.pulses).toBeGreaterThan(prev);
      prev = c.pulses;
    }
    const s = pvqSizeBits({ rows: 4096, cols: 4096, dim: 16, pulses: 12, ampBits: 4, scaleDtype: 'f16', rotated: true });
    expect(s.indexBits).toBe(32);
    expect(s.bitsPerWeight).toBeCloseTo((4096 * 4096 * (36 / 16) + 4096 * 16 + 16 * 32 + 96) / 4096 ** 2, 12);
    expect(() => pvqConfigForBits(0.01, { dim: 16 })).toThrow(ValueError);
  });

  it('rejects bad input', () => {
    expect(() => pvqQuantize(tensor([[1, 2, 3]]), { dim: 2 })).toThrow(ShapeError);
    expect(() => pvqQuantize(tensor([[1, NaN]]), { dim: 2, pulses: 2 })).toThrow(ValueError);
    expect(() => pvqQuantize(tensor([1, 2]), { dim: 2 })).toThrow(ShapeError);
    expect(() => pvqQuantize(tensor([[1, 2]]), { dim: 2, pulses: 0 })).toThrow(ValueError);
  });
});

describe('PvqTensor', () => {
  it('sliceRows keeps the rows exactly; matmul equals dequantize · x (both backends bit-equal via the kernels)', () => {
    const w = tensor(Float32Array.from(gaussian(24 * 64, 8)), [24, 64]);
    const { q } = pvqQuantize(w, { dim: 8, pulses: 6, ampBits: 3 });
    const d = q.dequantize().data() as Float32Array;
    const s = q.sliceRows(5, 17);
    expect(s.shape).toEqual([12, 64]);
    expect(Array.from(s.dequantize().data() as Float32Array)).toEqual(Array.from(d.subarray(5 * 64, 17 * 64)));
    const x = Float32Array.from(gaussian(3 * 64, 9));
    const y = q.matmul(tensor(x, [3, 64])).data() as Float32Array;
    for (let t = 0; t < 3; t++) {
      for (let r = 0; r < 24; r++) {
        let want = 0;
        let mag = 0;
        for (let j = 0; j < 64; j++) {
          want += d[r * 64 + j] * x[t * 64 + j];
          mag += Math.abs(d[r * 64 + j] * x[t * 64 + j]);
        }
        expect(Math.abs(y[t * 24 + r] - want)).toBeLessThan(1e-5 * mag + 1e-7);
      }
    }
    expect(q.matmul(tensor(x.subarray(0, 64), [64])).shape).toEqual([24]);
    expect(() => q.matmul(tensor(x.subarray(0, 32), [32]))).toThrow(ShapeError);
    expect(() => q.sliceRows(3, 30)).toThrow(ShapeError);
    expect(String(q)).toMatch(/PvqTensor\(\[24,64\], dim 8, 6 pulses/);
    q.dispose();
    s.dispose();
    expect(q.disposed).toBe(true);
    expect(() => q.dequantize()).toThrow();
  });
});
