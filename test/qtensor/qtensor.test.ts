/**
 * QTensor: construction checks against the layout contract, sliceRows, dispose, toString, and the
 * scale-dtype rounding helpers. Codes here are built by hand (packBits), not by quantize, so the
 * decoding is checked independently of the encoder.
 */
import { describe, expect, it } from 'vitest';
import { packRows } from '../../src/dtype/pack.js';
import { DTypeError, MemoryError, ShapeError, ValueError } from '../../src/errors.js';
import { quantize } from '../../src/ops/quant.js';
import {
  QTensor,
  checkPermutation,
  dequantize,
  floorLog2,
  isScaleRepresentable,
  roundToScaleDType,
  type QParams,
} from '../../src/qtensor.js';
import { tensor } from '../../src/tensor.js';
import { randomF32Data } from '../arbitraries.js';

/** A hand-made int4 asymmetric QTensor [2, 6], group 4 (ragged last group of 2). */
function handMade(): QTensor {
  const codes = [
    [0, 1, 2, 15, 7, 8],
    [3, 3, 3, 3, 0, 15],
  ];
  const packed = packRows(codes.flat(), 2, 6, 4);
  return new QTensor('int4', [2, 6], tensor(packed, [2, 3], 'uint8'), {
    groupSize: 4,
    perTensor: false,
    scaleDtype: 'f16',
    symmetric: false,
    scales: tensor([[0.5, 2], [1, 0.25]]),
    zeros: tensor([[1, 8], [3, 0]], undefined, 'uint8'),
  });
}

describe('dequantize (reference decode)', () => {
  it('affine: (code - zero) * scale per group, the last group ragged', () => {
    expect(dequantize(handMade()).toArray()).toEqual([
      [-0.5, 0, 0.5, 7, -2, 0],
      [0, 0, 0, 0, 0, 3.75],
    ]);
  });

  it('symmetric affine uses the fixed zero 2^(bits-1); lut multiplies the table value', () => {
    const codes = tensor(packRows([0, 3, 1, 2], 1, 4, 2), [1, 1], 'uint8');
    const q = new QTensor('int2', [4], codes, { groupSize: 4, perTensor: false, scaleDtype: 'f32', symmetric: true, scales: tensor([[3]]) });
    expect(q.dequantize().toArray()).toEqual([-6, 3, -3, 0]);
    const nf = new QTensor('fp4', [1, 2], tensor(packRows([7, 9], 1, 2, 4), [1, 1], 'uint8'), {
      groupSize: 2,
      perTensor: false,
      scaleDtype: 'f16',
      symmetric: true,
      scales: tensor([[0.5]]),
    });
    expect(nf.dequantize().toArray()).toEqual([[3, -0.25]]);
  });

  it('perm scatters stored columns back; inputScale divides', () => {
    const codes = tensor(packRows([9, 10, 11], 1, 3, 4), [1, 2], 'uint8');
    const q = new QTensor('int4', [1, 3], codes, {
      groupSize: 3,
      perTensor: false,
      scaleDtype: 'f32',
      symmetric: true,
      scales: tensor([[1]]),
      perm: tensor([2, 0, 1], undefined, 'int32'),
      inputScale: tensor([1, 2, 4]),
    });
    // stored values 1, 2, 3 go to original columns 2, 0, 1 -> [2, 3, 1], then divided by [1, 2, 4]
    expect(q.dequantize().toArray()).toEqual([[2, 1.5, 0.25]]);
  });
});

describe('construction checks', () => {
  const good = (): QParams => ({
    groupSize: 4,
    perTensor: false,
    scaleDtype: 'f16',
    symmetric: false,
    scales: tensor([[0.5, 2], [1, 0.25]]),
    zeros: tensor([[1, 8], [3, 0]], undefined, 'uint8'),
  });
  const codes = () => tensor(new Uint8Array(6), [2, 3], 'uint8');

  it('accepts the contract and rejects deviations with messages that name the part', () => {
    expect(() => new QTensor('int4', [2, 6], codes(), good())).not.toThrow();
    expect(() => new QTensor('f32' as 'int4', [2, 6], codes(), good())).toThrow(DTypeError);
    expect(() => new QTensor('int4', [2, 6], tensor(new Uint8Array(4), [2, 2], 'uint8'), good())).toThrow(/codes must have shape \[2,3\], got \[2,2\]/);
    expect(() => new QTensor('int4', [2, 6], tensor(new Float32Array(6), [2, 3]), good())).toThrow(/codes must be uint8, got f32/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), scales: tensor([[0.5], [1]]) })).toThrow(/scales must have shape \[2,2\]/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), scales: tensor([[0.1, 2], [1, 1]]) })).toThrow(/scale 0.1.* at \[0, 0\] is not a non-negative f16 value/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), zeros: undefined })).toThrow(/zeros is missing/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), zeros: tensor([[1, 16], [0, 0]], undefined, 'uint8') })).toThrow(/zero point 16 at \[0, 1\] exceeds 15/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), symmetric: true })).toThrow(/must not have zeros/);
    expect(() => new QTensor('nf4', [2, 6], codes(), { ...good(), zeros: undefined })).toThrow(/no zero point/);
    expect(() => new QTensor('mxfp4', [2, 6], codes(), { ...good(), zeros: undefined, symmetric: true })).toThrow(/e8m0/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), perTensor: true })).toThrow(/groupSize = cols = 6/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), perm: tensor([0, 1, 2, 3, 4, 4], undefined, 'int32') })).toThrow(/4 appears twice/);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), inputScale: tensor([1, 1, 1, 1, 1, -1]) })).toThrow(/inputScale -1 at \[5\]/);
    expect(() => new QTensor('int4', [0, 6], tensor(new Uint8Array(0), [0, 3], 'uint8'), good())).toThrow(ShapeError);
    expect(() => new QTensor('int4', [2, 6], codes(), { ...good(), indexBits: 4 })).toThrow(/codebook dtype only/);
  });

  it('checks codebook qparams: 2^indexBits entries of vectorDim, values in codebookDtype', () => {
    const base: QParams = {
      groupSize: 4,
      perTensor: false,
      scaleDtype: 'f16',
      symmetric: true,
      indexBits: 1,
      vectorDim: 2,
      codebook: tensor([[0, 1], [1, 0]]),
    };
    const c = tensor(new Uint8Array(1), [1, 1], 'uint8');
    expect(() => new QTensor('codebook', [1, 4], c, base)).not.toThrow();
    expect(() => new QTensor('codebook', [1, 4], c, { ...base, codebook: tensor([[0, 1]]) })).toThrow(/codebook must have shape \[2,2\]/);
    expect(() => new QTensor('codebook', [1, 4], c, { ...base, codebook: tensor([[0.1, 1], [1, 0]]), codebookDtype: 'f16' })).toThrow(/not a finite f16 value/);
    expect(() => new QTensor('codebook', [1, 4], c, { ...base, indexBits: 9 })).toThrow(/1 to 8/);
  });
});

describe('QTensor', () => {
  it('sliceRows copies rows of the first axis with their qparams', () => {
    const x = tensor(randomF32Data(4 * 3 * 10, 3), [4, 3, 10]);
    const q = quantize(x, { dtype: 'int3', groupSize: 4 });
    const s = q.sliceRows(1, 3);
    expect(s.shape).toEqual([2, 3, 10]);
    expect(s.qparams.scales!.shape).toEqual([6, 3]);
    const full = q.dequantize().toArray() as number[][][];
    expect(s.dequantize().toArray()).toEqual(full.slice(1, 3));
    q.dispose(); // the slice owns its storage
    expect(s.dequantize().shape).toEqual([2, 3, 10]);
    const pt = quantize(x, { dtype: 'int8', groupSize: 'tensor' }).sliceRows(0, 1);
    expect(pt.qparams.scales!.shape).toEqual([1, 1]);
  });

  it('sliceRows rejects 1-D tensors and bad ranges', () => {
    const q = handMade();
    expect(() => q.sliceRows(1, 1)).toThrow(/sliceRows\(1, 1\)/);
    expect(() => q.sliceRows(0, 3)).toThrow(ShapeError);
    expect(() => quantize(tensor([1, 2, 3]), { dtype: 'int4' }).sliceRows(0, 1)).toThrow(/at least 2 dimensions/);
  });

  it('dispose frees every part; later use throws MemoryError', () => {
    const q = quantize(tensor(randomF32Data(64, 4), [2, 32]), { dtype: 'int4', groupSize: 16, perm: Array.from({ length: 32 }, (_, i) => 31 - i) });
    const parts = [q.codes, q.qparams.scales!, q.qparams.zeros!, q.qparams.perm!];
    q.dispose();
    q.dispose(); // idempotent
    expect(q.disposed).toBe(true);
    for (const t of parts) expect(t.storage.disposed).toBe(true);
    expect(() => q.dequantize()).toThrow(MemoryError);
    expect(String(q)).toBe('QTensor(int4, [2,32], disposed)');
  });

  it('toString is one readable line', () => {
    expect(String(handMade())).toBe('QTensor(int4, [2,6], group 4 asymmetric, f16 scales, 10.667 bits/weight)');
    const m = quantize(tensor(randomF32Data(64, 1), [1, 64]), { dtype: 'mxfp4' });
    expect(String(m)).toBe('QTensor(mxfp4, [1,64], blocks of 32, e8m0 scales, 4.250 bits/weight)');
    const c = quantize(tensor([[1, 2, 3, 4]]), { dtype: 'codebook', codebook: tensor([[0, 0], [1, 1]]) });
    expect(String(c)).toMatch(/^QTensor\(codebook, \[1,4\], 1-bit indices of 2-d vectors, f32 codebook, no scales, /);
    expect(() => c.scales).toThrow(/has no scales/);
  });

  it('bitsPerWeight of a hand-made tensor: (3 bytes * 8 * 2 rows + 4 scales * 16 + 4 zeros * 4) / 12', () => {
    expect(handMade().bitsPerWeight).toBe((48 + 64 + 16) / 12);
    expect(handMade().codeBytes().length).toBe(6);
  });
});

describe('scale dtype rounding', () => {
  it('rounds to nearest, up and down', () => {
    expect(roundToScaleDType(0.1, 'f16')).toBe(0.0999755859375);
    expect(roundToScaleDType(0.1, 'f16', 'up')).toBe(0.10003662109375);
    expect(roundToScaleDType(0.1, 'f16', 'down')).toBe(0.0999755859375);
    expect(roundToScaleDType(1, 'bf16', 'up')).toBe(1);
    expect(roundToScaleDType(1.001, 'bf16', 'up')).toBe(1 + 2 ** -7);
    expect(roundToScaleDType(0.1, 'f32', 'up')).toBe(Math.fround(0.1)); // fround(0.1) > 0.1
    expect(roundToScaleDType(0.3, 'f32', 'up')).toBeGreaterThanOrEqual(0.3);
    expect(roundToScaleDType(3, 'e8m0', 'up')).toBe(4);
    expect(roundToScaleDType(3, 'e8m0', 'down')).toBe(2);
    expect(roundToScaleDType(3, 'e8m0')).toBe(4); // 1.5 * 2 ties up
    expect(roundToScaleDType(2.9, 'e8m0')).toBe(2);
    expect(roundToScaleDType(1e-300, 'e8m0', 'up')).toBe(2 ** -127);
    expect(roundToScaleDType(2 ** 128, 'e8m0', 'up')).toBe(Infinity);
    expect(roundToScaleDType(70000, 'f16', 'up')).toBe(Infinity);
    expect(roundToScaleDType(1e-9, 'f16', 'up')).toBe(2 ** -24);
  });

  it('isScaleRepresentable', () => {
    expect(isScaleRepresentable(0.5, 'e8m0')).toBe(true);
    expect(isScaleRepresentable(0.75, 'e8m0')).toBe(false);
    expect(isScaleRepresentable(0.1, 'f16')).toBe(false);
    expect(isScaleRepresentable(Math.fround(0.1), 'f32')).toBe(true);
    expect(isScaleRepresentable(Infinity, 'f32')).toBe(false);
  });

  it('floorLog2 is exact at powers of two and just below them', () => {
    for (let e = -149; e <= 127; e++) {
      expect(floorLog2(2 ** e)).toBe(e);
      if (e > -100) expect(floorLog2(2 ** e * (1 - 2 ** -52))).toBe(e - 1);
    }
  });

  it('checkPermutation', () => {
    expect(() => checkPermutation([2, 0, 1])).not.toThrow();
    expect(() => checkPermutation([0, 3])).toThrow(ValueError);
  });
});
