/**
 * Bit accounting: sizeBits against formulas written out by hand (the numbers people quote for
 * GPTQ/AWQ/MX checkpoints), including ragged rows and groups.
 */
import { describe, expect, it } from 'vitest';
import { qGeometry, sizeBits, type QLayout } from '../../src/dtype/bits.js';
import { ShapeError, ValueError } from '../../src/errors.js';

const base = (over: Partial<QLayout>): QLayout => ({
  dtype: 'int4',
  shape: [4096, 4096],
  bits: 4,
  groupSize: 128,
  perTensor: false,
  hasScales: true,
  scaleDtype: 'f16',
  symmetric: false,
  ...over,
});

describe('sizeBits', () => {
  it('int4, group 128, asymmetric, f16 scales: 4 + (16 + 4) / 128', () => {
    expect(sizeBits(base({})).bitsPerWeight).toBe(4 + 20 / 128);
  });

  it('int4 symmetric: no zero points', () => {
    const sb = sizeBits(base({ symmetric: true }));
    expect(sb.bitsPerWeight).toBe(4 + 16 / 128);
    expect(sb.zeros).toBe(0);
  });

  it('int3 group 64 asymmetric with bf16 scales: 3 + (16 + 3) / 64', () => {
    expect(sizeBits(base({ dtype: 'int3', bits: 3, groupSize: 64 })).bitsPerWeight).toBe(3 + 19 / 64);
  });

  it('mxfp4: 4 + 8 / 32 = 4.25 (lut and mx formats never store zeros)', () => {
    expect(sizeBits(base({ dtype: 'mxfp4', groupSize: 32, scaleDtype: 'e8m0', symmetric: true })).bitsPerWeight).toBe(4.25);
    expect(sizeBits(base({ dtype: 'nf4', groupSize: 64, symmetric: false })).zeros).toBe(0);
  });

  it('per tensor: one scale and zero for the whole tensor', () => {
    const sb = sizeBits(base({ dtype: 'int8', bits: 8, perTensor: true, groupSize: 4096 }));
    expect(sb.scales).toBe(16);
    expect(sb.zeros).toBe(8);
    expect(sb.total).toBe(4096 * 4096 * 8 + 24);
  });

  it('ragged rows pad to whole bytes; ragged groups count a scale each', () => {
    // [3, 10] int3, group 4: rows of ceil(30 / 8) = 4 bytes; 3 groups per row (4, 4, 2)
    const sb = sizeBits(base({ dtype: 'int3', bits: 3, shape: [3, 10], groupSize: 4 }));
    expect(sb.codes).toBe(3 * 4 * 8);
    expect(sb.scales).toBe(3 * 3 * 16);
    expect(sb.zeros).toBe(3 * 3 * 3);
    expect(sb.bitsPerWeight).toBe((96 + 144 + 27) / 30);
  });

  it('codebook: indices per vector plus the codebook; perm and input scales per column', () => {
    // 8-bit indices of 4-d vectors: 2 bits per weight, plus 256 x 4 f32 codebook
    const sb = sizeBits(
      base({ dtype: 'codebook', bits: 8, vectorDim: 4, codebookEntries: 256, codebookDtype: 'f32', hasScales: false, symmetric: true }),
    );
    expect(sb.codes).toBe(4096 * 1024 * 8);
    expect(sb.codebook).toBe(256 * 4 * 32);
    expect(sb.bitsPerWeight).toBe(2 + (256 * 4 * 32) / 4096 ** 2);
    // An int8 codebook is 8 bits a value (GPTVQ-style integer centroids times a scale), f16 is 16.
    const int8 = sizeBits(
      base({ dtype: 'codebook', bits: 4, shape: [8, 16], vectorDim: 2, codebookEntries: 16, codebookDtype: 'int8', perTensor: true, groupSize: 16, symmetric: true }),
    );
    // codes: 8 rows x 8 indices x 4 bits; codebook 16 x 2 x 8; one f16 scale.
    expect(int8.codebook).toBe(16 * 2 * 8);
    expect(int8.total).toBe(8 * 8 * 4 + 16 * 2 * 8 + 16);
    expect(sizeBits(base({ dtype: 'codebook', bits: 4, shape: [8, 16], vectorDim: 2, codebookEntries: 16, codebookDtype: 'f16', hasScales: false, symmetric: true })).codebook).toBe(16 * 2 * 16);
    const extras = sizeBits(base({ hasPerm: true, hasInputScale: true }));
    expect(extras.perm).toBe(32 * 4096);
    expect(extras.inputScale).toBe(16 * 4096);
    expect(extras.bitsPerWeight).toBe(4 + 20 / 128 + 48 / 4096);
  });
});

describe('sizeBits: pvq', () => {
  it('records of ampBits + ceil(log2 V(D, K)) bits per group, row scales, f32 levels and the rotation, by hand', () => {
    // V(16, 12) = Σ_i 2^i C(16, i) C(11, i - 1) lies in (2^31, 2^32]: 32 index bits, + 4 = 36-bit records.
    const pvq = { pulses: 12, ampBits: 4, rotated: true };
    const sb = sizeBits(base({ dtype: 'pvq', bits: 36, groupSize: 4096, symmetric: true, vectorDim: 16, pvq }));
    expect(sb.codes).toBe(4096 * (256 * 36));
    expect(sb.scales).toBe(4096 * 16);
    expect(sb.levels).toBe(16 * 32);
    expect(sb.rotation).toBe(96);
    expect(sb.bitsPerWeight).toBe(36 / 16 + 16 / 4096 + (16 * 32 + 96) / 4096 ** 2);
    // Ragged: 3 groups of 17-bit records (dim 8, 5 pulses, 3 amplitude bits) = 51 bits -> 7 bytes a row.
    const r = sizeBits(base({ dtype: 'pvq', bits: 17, shape: [2, 24], groupSize: 24, symmetric: true, vectorDim: 8, pvq: { pulses: 5, ampBits: 3, rotated: false } }));
    expect(r.codes).toBe(2 * 7 * 8);
    expect(r.total).toBe(2 * 7 * 8 + 2 * 16 + 8 * 32);
    expect(() => sizeBits(base({ dtype: 'pvq', bits: 35, groupSize: 4096, symmetric: true, vectorDim: 16, pvq }))).toThrow(/record width 36/);
    expect(() => sizeBits(base({ dtype: 'pvq', bits: 36, groupSize: 4096, symmetric: true, vectorDim: 16, pvq: { ...pvq, ampBits: 13 } }))).toThrow(ValueError);
  });
});

describe('qGeometry', () => {
  it('1-D tensors are one row; 3-D tensors flatten the leading dims', () => {
    expect(qGeometry([10], 4, 4, false)).toMatchObject({ rows: 1, cols: 10, rowBytes: 5, nGroups: 3, scaleRows: 1 });
    expect(qGeometry([2, 3, 8], 2, 8, false)).toMatchObject({ rows: 6, cols: 8, rowBytes: 2, nGroups: 1, scaleRows: 6 });
    expect(qGeometry([5, 7], 8, 2, false, 3)).toMatchObject({ codesPerRow: 3, rowBytes: 3, nGroups: 4 });
  });

  it('rejects 0-d shapes and bad group sizes', () => {
    expect(() => qGeometry([], 4, 1, false)).toThrow(ShapeError);
    expect(() => qGeometry([4, 4], 4, 0, false)).toThrow(ValueError);
    expect(() => qGeometry([4, -1], 4, 1, false)).toThrow(ShapeError);
  });
});
