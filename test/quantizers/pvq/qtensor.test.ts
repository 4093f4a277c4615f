/**
 * The `pvq` dtype as a QTensor: the PVQ quantizers' result is an ordinary QTensor (`q.qtensor`) that
 * `dequantize`, `linear`, `sliceRows` and the quantized file format accept; bits per weight come from
 * the table's accounting and are checked against a count of what is stored; bad qparams are refused.
 */
import { describe, expect, it } from 'vitest';
import { pvqQuantize } from '../../../src/quantizers/pvq/quantize.js';
import { PvqTensor } from '../../../src/quantizers/pvq/pvq-tensor.js';
import { QTensor, dequantize } from '../../../src/qtensor.js';
import { linear } from '../../../src/ops/linear.js';
import { quantize } from '../../../src/ops/quant.js';
import { loadQuantized, serializeQuantized } from '../../../src/io/quantized.js';
import { DTYPES, QTENSOR_DTYPES, QUANT_DTYPES, isQuantDType } from '../../../src/dtype/table.js';
import { pvqCount } from '../../../src/dtype/pvq/count.js';
import { tensor, type Tensor } from '../../../src/tensor.js';
import { DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import { fromArray } from '../../../src/quantizers/arrays.js';
import { gaussian } from './helpers.js';

const f32 = (t: Tensor): Float32Array => t.data() as Float32Array;

function weight(rows: number, cols: number, seed: number): Tensor {
  return tensor(Float32Array.from(gaussian(rows * cols, seed)), [rows, cols]);
}

describe('pvq dtype row', () => {
  it('is a QTensor dtype made by the PVQ quantizers, not by quantize', () => {
    expect(isQuantDType('pvq')).toBe(true);
    expect(QTENSOR_DTYPES).toContain('pvq');
    expect(QUANT_DTYPES).not.toContain('pvq');
    expect(DTYPES.pvq.quant.family).toBe('pvq');
    // The row's example record: 4 amplitude bits + ceil(log2 V(16, 12)).
    expect(DTYPES.pvq.bits).toBe(4 + pvqCount(16, 12).toString(2).length);
    expect(() => quantize(weight(2, 16, 1), { dtype: 'pvq' })).toThrow(DTypeError);
  });
});

describe('pvq QTensor', () => {
  it('holds the codes, row scales, levels and rotation; bits per weight counted from what is stored', () => {
    const { q } = pvqQuantize(weight(12, 64, 2), { dim: 8, pulses: 5, ampBits: 3 });
    const t = q.qtensor;
    expect(t).toBeInstanceOf(QTensor);
    expect(t.dtype).toBe('pvq');
    expect(t.family).toBe('pvq');
    const qp = t.qparams;
    expect(qp.scales!.shape).toEqual([12, 1]);
    expect(qp.levels!.shape).toEqual([8]);
    expect(qp.rotation).toEqual(q.rotation);
    // By hand: V(8, 5) = Σ_i 2^i C(8, i) C(4, i - 1) = 16 + 448 + 2688 + 4480 + 1792 = 9424
    // -> 14 index bits (2^13 < 9424 <= 2^14), + 3 amplitude bits = 17-bit records.
    expect(pvqCount(8, 5)).toBe(9424n);
    expect(t.bits).toBe(17);
    // 8 groups x 17 bits = 136 bits = 17 bytes a row; 12 f16 row scales; 8 f32 levels; 96-bit rotation.
    expect(t.codes.shape).toEqual([12, 17]);
    const byHand = 12 * 17 * 8 + 12 * 16 + 8 * 32 + 96;
    expect(t.sizeBits().total).toBe(byHand);
    expect(t.bitsPerWeight).toBe(byHand / (12 * 64));
    expect(q.bitsPerWeight).toBe(t.bitsPerWeight);
    expect(q.sizeBits().total).toBe(byHand);
    expect(String(t)).toMatch(/QTensor\(pvq, \[12,64\], dim 8, 5 pulses, 3-bit amplitudes \(17-bit records\), f16 row scales, hadamard seed/);
    q.dispose();
    expect(t.disposed).toBe(true);
  });

  it('dequantize(q.qtensor) is the decoded weight rotated back; linear(x, q.qtensor) multiplies it (1 token, 7 tokens, 3-D x, f16 x, bias)', () => {
    for (const [rows, cols, dim, rotate] of [[1, 8, 8, false], [5, 48, 16, true], [13, 96, 4, true], [3, 40, 5, false]] as const) {
      const w = weight(rows, cols, rows + cols);
      const { q } = pvqQuantize(w, { dim, pulses: 7, ampBits: 2, hadamard: rotate ? { seed: 3 } : false });
      const deq = f32(dequantize(q.qtensor));
      expect(Array.from(deq)).toEqual(Array.from(f32(q.dequantize())));
      // Reference for the rotation: decode in the rotated basis, then Qᵀ row by row.
      const wr = q.dequantizeRotated();
      const back = q.hadamard() ? q.hadamard()!.inverse(wr) : wr;
      expect(Array.from(deq)).toEqual(Array.from(f32(back)));
      for (const lead of [[1], [7], [2, 3]]) {
        const m = lead.reduce((a, b) => a * b, 1);
        const x = Float32Array.from(gaussian(m * cols, m + 17));
        const bias = Float32Array.from(gaussian(rows, 5));
        const y = f32(linear(tensor(x, [...lead, cols]), q.qtensor, { bias: tensor(bias, [rows]) }));
        expect(y.length).toBe(m * rows);
        for (let t = 0; t < m; t++) {
          for (let r = 0; r < rows; r++) {
            let want = bias[r];
            let mag = Math.abs(bias[r]);
            for (let j = 0; j < cols; j++) {
              want += deq[r * cols + j] * x[t * cols + j];
              mag += Math.abs(deq[r * cols + j] * x[t * cols + j]);
            }
            // f32 sums of the rotated product and the rotation's own rounding: a few ulps of the magnitude.
            expect(Math.abs(y[t * rows + r] - want)).toBeLessThanOrEqual(3e-6 * mag * Math.log2(cols + 1) + 1e-30);
          }
        }
      }
      const xh = tensor(Float32Array.from(gaussian(cols, 1)), [cols]).astype('f16');
      expect(f32(linear(xh, q.qtensor))).toEqual(f32(linear(xh.astype('f32'), q.qtensor)));
      q.dispose();
    }
  });

  it('sliceRows copies rows exactly; a PvqTensor round-trips through fromQTensor', () => {
    const { q } = pvqQuantize(weight(10, 32, 4), { dim: 8, pulses: 4, ampBits: 2 });
    const d = f32(q.qtensor.dequantize());
    const s = q.qtensor.sliceRows(3, 9);
    expect(s.shape).toEqual([6, 32]);
    expect(Array.from(f32(s.dequantize()))).toEqual(Array.from(d.subarray(3 * 32, 9 * 32)));
    const p = PvqTensor.fromQTensor(s);
    expect(p.shape).toEqual([6, 32]);
    expect(p.scales.shape).toEqual([6]);
    expect(Array.from(f32(p.dequantize()))).toEqual(Array.from(d.subarray(3 * 32, 9 * 32)));
    q.dispose();
    expect(() => s.dequantize()).not.toThrow(); // the slice owns its storage
    p.dispose(); // p took over the slice's tensors
    expect(s.codes.storage.disposed).toBe(true);
  });

  it('is saved and loaded by the quantized format like any QTensor (no codec), dequantizing bit for bit', async () => {
    const { q } = pvqQuantize(weight(6, 64, 9), { bits: 3 });
    const bytes = await serializeQuantized({ w: q.qtensor });
    const { tensors } = await loadQuantized(bytes);
    const back = tensors.w as QTensor;
    expect(back).toBeInstanceOf(QTensor);
    expect(back.dtype).toBe('pvq');
    expect(back.qparams.rotation).toEqual(q.rotation);
    expect(Array.from(f32(back.dequantize()))).toEqual(Array.from(f32(q.dequantize())));
    expect(back.bitsPerWeight).toBe(q.bitsPerWeight);
    back.dispose();
    q.dispose();
  });

  it('refuses inconsistent qparams with errors that name the part', () => {
    const { q } = pvqQuantize(weight(4, 32, 6), { dim: 8, pulses: 4, ampBits: 2 });
    const t = q.qtensor;
    const qp = t.qparams;
    const make = (over: object, shape: number[] = [4, 32]) => () => new QTensor('pvq', shape, t.codes, { ...qp, ...over });
    expect(make({ levels: undefined })).toThrow(/levels is missing/);
    expect(make({ levels: fromArray(new Float32Array(3), [3], 'f32') })).toThrow(ShapeError);
    expect(make({ levels: fromArray(Float32Array.of(0, 1, NaN, 2), [4], 'f32') })).toThrow(/amplitude level NaN/);
    expect(make({ pulses: undefined })).toThrow(/need vectorDim/);
    expect(make({ groupSize: 8 })).toThrow(/groupSize must be cols = 32/);
    expect(make({ vectorDim: 5 })).toThrow(ShapeError); // cols 32 is not a multiple of 5
    expect(make({ ampBits: 13 })).toThrow(/ampBits must be an integer in 0..12/);
    expect(make({ perm: fromArray(Int32Array.from({ length: 32 }, (_, i) => i), [32], 'int32') })).toThrow(/act-order/);
    expect(make({ rotation: { seed: 1, blockSize: 3 } })).toThrow(/power of two/);
    expect(make({ pulses: 5 })).toThrow(/codes must have shape/); // wider records, same bytes: the codes no longer fit
    expect(() => new QTensor('int4', [4, 32], t.codes, { ...qp, levels: undefined, vectorDim: undefined, pulses: 4, ampBits: undefined, rotation: undefined, groupSize: 32 })).toThrow(/pvq dtype only/);
    q.dispose();
  });
});
