/**
 * The quantize triad on hand-computed reference values (rounding, ties, zero points, the OCP MX
 * shared exponent), the documented degenerate cases (zeros, constants, one-element groups, huge and
 * non-finite values), granularity, act-order, input scales and option errors.
 */
import { describe, expect, it } from 'vitest';
import { QUANT_DTYPES, quantInfo, type QuantDType } from '../../src/dtype/table.js';
import { unpackRows } from '../../src/dtype/pack.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import { chooseQParams, dequantize, fakeQuantize, quantize, QUANTIZE_DEFAULTS, type QuantizeOptions } from '../../src/ops/quant.js';
import type { QTensor } from '../../src/qtensor.js';
import { tensor, type NestedArray } from '../../src/tensor.js';
import { randomF32Data } from '../arbitraries.js';

const F32_MAX = 3.4028234663852886e38;

/** The unpacked codes of a QTensor, row-major [rows][codesPerRow]. */
function codes(q: QTensor): number[][] {
  const { rows, codesPerRow } = q.geometry;
  const flat = unpackRows(q.codes.data() as Uint8Array, rows, codesPerRow, q.bits);
  return Array.from({ length: rows }, (_, r) => [...flat.subarray(r * codesPerRow, (r + 1) * codesPerRow)]);
}

const deq = (q: QTensor): NestedArray => dequantize(q).toArray();

describe('affine', () => {
  it('asymmetric: scale = range / 15, zero = round(-min / scale), f16 scale rounded up first', () => {
    // Row 0: range [-2, 13] -> scale 1, zero 2. Row 1: range [-0.25, 0.5] -> 0.05, rounded up in f16
    // to 1639 * 2^-15 = 0.050018310546875; zero = round(0.25 / s) = round(4.998) = 5.
    const q = quantize(tensor([[-2, 0, 1, 13], [0.5, 0.25, 0, -0.25]]), { dtype: 'int4' });
    expect(q.qparams.scales!.toArray()).toEqual([[1], [0.050018310546875]]);
    expect(q.qparams.zeros!.toArray()).toEqual([[2], [5]]);
    expect(codes(q)).toEqual([[0, 2, 3, 15], [15, 10, 5, 0]]);
    const s = 0.050018310546875;
    expect(deq(q)).toEqual([[-2, 0, 1, 13], [10 * s, 5 * s, 0, -5 * s]]);
  });

  it('rounds half to even, in codes and in the zero point', () => {
    // symmetric int4, scale max(8/8, 7/7) = 1: 2.5 -> 2, 3.5 -> 4, -0.5 -> -0
    const sym = quantize(tensor([[-8, 2.5, 3.5, -0.5, 7]]), { dtype: 'int4', symmetric: true });
    expect(sym.qparams.scales!.toArray()).toEqual([[1]]);
    expect(codes(sym)).toEqual([[0, 10, 12, 8, 15]]);
    expect(deq(sym)).toEqual([[-8, 2, 4, 0, 7]]);
    // asymmetric: range [-2.5, 12.5] -> scale 1, zero = round(2.5) = 2; -2.5 -> -2 + 2 = 0; 12.5 -> 12 + 2
    const asym = quantize(tensor([[-2.5, 12.5]]), { dtype: 'int4' });
    expect(asym.qparams.zeros!.toArray()).toEqual([[2]]);
    expect(codes(asym)).toEqual([[0, 14]]);
  });

  it('symmetric uses both ends of the code range (no clipping): scale = max(-min / 2^(b-1), max / (2^(b-1) - 1))', () => {
    // int8: min -256 -> 256/128 = 2 dominates max 100/127
    const q = quantize(tensor([[-256, 100, 0]]), { dtype: 'int8', symmetric: true, scaleDtype: 'f32' });
    expect(q.qparams.scales!.toArray()).toEqual([[2]]);
    expect(codes(q)).toEqual([[0, 178, 128]]);
    // int2: codes 0..3 = -2..1 steps; max 3 -> scale 3
    const q2 = quantize(tensor([[3, -1, 1.5]]), { dtype: 'int2', symmetric: true, scaleDtype: 'f32' });
    expect(q2.qparams.scales!.toArray()).toEqual([[3]]);
    expect(codes(q2)).toEqual([[3, 2, 2]]);
  });

  it('int3 packs 3-bit codes per the layout', () => {
    const q = quantize(tensor([[0, 1, 2, 3, 4, 5, 6, 7]]), { dtype: 'int3', scaleDtype: 'f32' });
    expect(codes(q)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    // 0..7 as a 24-bit stream: 0b111_110_101_100_011_010_001_000 = 0xfac688
    expect(q.codes.toArray()).toEqual([[0x88, 0xc6, 0xfa]]);
  });

  it('clip shrinks the range: values beyond it saturate', () => {
    const q = quantize(tensor([[0, 10, 20, 30]]), { dtype: 'int2', clip: 0.5, scaleDtype: 'f32' });
    expect(q.qparams.scales!.toArray()).toEqual([[5]]);
    expect(deq(q)).toEqual([[0, 10, 15, 15]]);
  });
});

describe('lut (nf4, fp4)', () => {
  it('nf4: absmax scale, nearest level', () => {
    const q = quantize(tensor([[1, -1, 0.5, 0, -0.2]]), { dtype: 'nf4' });
    expect(q.qparams.scales!.toArray()).toEqual([[1]]);
    // 0.5: 0.4407 (code 12) is nearer than 0.5626 (13); -0.2: -0.18477 (5) nearer than -0.28444 (4)
    expect(codes(q)).toEqual([[15, 0, 12, 7, 5]]);
    expect(deq(q)).toEqual([[1, -1, 0.44070982933044434, 0, -0.18477343022823334]]);
  });

  it('fp4: scale = absmax / 6; ties go to the even code (round half to even of E2M1)', () => {
    const q = quantize(tensor([[6, 0.25, 0.75, 2.5, 5, -5, -0.25, -1.75]]), { dtype: 'fp4' });
    expect(q.qparams.scales!.toArray()).toEqual([[1]]);
    // 0.25 -> 0 (code 0), 0.75 -> 1 (code 2), 2.5 -> 2 (4), 5 -> 4 (6), -5 -> -4 (14),
    // -0.25 -> 0 (code 0, not -0's code 8), -1.75 -> -2 (code 12, even, rather than -1.5's 11)
    expect(codes(q)).toEqual([[7, 0, 2, 4, 6, 14, 0, 12]]);
    expect(deq(q)).toEqual([[6, 0, 1, 2, 4, -4, 0, -2]]);
  });
});

describe('mxfp4 (OCP MX v1.0 §6.3)', () => {
  it('shared exponent floor(log2(amax)) - 2, elements rounded to E2M1 with saturation', () => {
    const row = new Array(32).fill(0);
    row[0] = 7; // amax 7: floor(log2 7) = 2 -> X = 2^0; 7 saturates to 6
    row[1] = 5; // tie 4 | 6 -> 4 (even code)
    row[2] = -0.75; // tie -0.5 | -1 -> -1
    row[3] = 2.9;
    const row2 = new Array(32).fill(0.05);
    row2[31] = 0.1; // amax 0.1: floor(log2 0.1) = -4 -> X = 2^-6; 0.1 * 64 = 6.4 -> 6; 0.05 * 64 = 3.2 -> 3
    const q = quantize(tensor([row, row2]), { dtype: 'mxfp4' });
    expect(q.qparams.scaleDtype).toBe('e8m0');
    expect(q.qparams.groupSize).toBe(32);
    expect(q.qparams.scales!.toArray()).toEqual([[1], [2 ** -6]]);
    const d = deq(q) as number[][];
    expect(d[0].slice(0, 5)).toEqual([6, 4, -1, 3, 0]);
    expect(d[1][0]).toBe(3 / 64);
    expect(d[1][31]).toBe(6 / 64);
    expect(q.bitsPerWeight).toBe(4 + 8 / 32);
  });

  it('clamps the exponent to the e8m0 range; an all-zero block gets 2^-127', () => {
    const tiny = new Array(32).fill(0);
    tiny[0] = 2 ** -140; // floor(log2) - 2 = -142 -> clamped to -127; the value rounds to 0
    const big = new Array(32).fill(0);
    big[0] = F32_MAX; // 2^127.99 -> exponent 125; F32_MAX / 2^125 = 7.99 -> 6
    const q = quantize(tensor([tiny, new Array(32).fill(0), big]), { dtype: 'mxfp4' });
    expect(q.qparams.scales!.toArray()).toEqual([[2 ** -127], [2 ** -127], [2 ** 125]]);
    const d = deq(q) as number[][];
    expect(d[0][0]).toBe(0);
    expect(d[1].every((v) => v === 0)).toBe(true);
    expect(d[2][0]).toBe(6 * 2 ** 125);
  });

  it('a ragged last block of a row shorter than 32 columns', () => {
    const q = quantize(tensor([[1, 2, 3], [0.5, 0.5, -0.5]]), { dtype: 'mxfp4' });
    expect(q.geometry.nGroups).toBe(1);
    expect(deq(q)).toEqual([[1, 2, 3], [0.5, 0.5, -0.5]]);
  });
});

describe('codebook', () => {
  const cb = tensor([
    [0, 0],
    [1, 1],
    [2, 3],
    [-1, 0.5],
  ]);

  it('assigns the nearest vector; a ragged last vector compares its first columns', () => {
    const q = quantize(tensor([[0.9, 1.2, -0.8, 0.4, 1.9]]), { dtype: 'codebook', codebook: cb });
    expect(q.bits).toBe(2);
    expect(q.qparams.vectorDim).toBe(2);
    expect(q.qparams.scales).toBeUndefined();
    // [0.9, 1.2] -> [1, 1]; [-0.8, 0.4] -> [-1, 0.5]; [1.9] -> first column nearest: 2 (index 2)
    expect(codes(q)).toEqual([[1, 3, 2]]);
    expect(deq(q)).toEqual([[1, 1, -1, 0.5, 2]]);
    // 2 bits x 3 indices = 6 bits -> 1 byte; codebook 4 x 2 f32
    expect(q.sizeBits()).toMatchObject({ codes: 8, codebook: 4 * 2 * 32, scales: 0 });
  });

  it('ties go to the lower index; scales only with a groupSize', () => {
    const tie = quantize(tensor([[0.5, 0.5]]), { dtype: 'codebook', codebook: cb });
    expect(codes(tie)).toEqual([[0]]); // equidistant from [0,0] and [1,1]
    const scaled = quantize(tensor([[4, 6, 2, 2]]), { dtype: 'codebook', codebook: cb, groupSize: 2, scaleDtype: 'f32' });
    // scale per group = absmax / max|codebook| = 6/3 and 2/3
    expect(scaled.qparams.scales!.toArray()).toEqual([[2, Math.fround(2 / 3)]]);
    expect(codes(scaled)).toEqual([[2, 2]]);
  });

  it('rounds the codebook to codebookDtype', () => {
    const q = quantize(tensor([[0.1, 0.1]]), { dtype: 'codebook', codebook: tensor([[0.1, 0.1], [0, 0]]), codebookDtype: 'f16' });
    expect(q.qparams.codebook!.toArray()).toEqual([[0.0999755859375, 0.0999755859375], [0, 0]]);
    expect(q.sizeBits().codebook).toBe(4 * 16);
  });
});

describe('degenerate groups', () => {
  const affineAndLut = QUANT_DTYPES.filter((d) => ['affine', 'lut'].includes(quantInfo(d).family));

  it('all zeros dequantize to exactly zero with scale 1 (mx: 2^-127)', () => {
    for (const dtype of QUANT_DTYPES.filter((d) => quantInfo(d).family !== 'codebook')) {
      for (const symmetric of quantInfo(dtype).zeroPoint ? [true, false] : [true]) {
        const q = quantize(tensor(new Float32Array(40), [2, 20]), { dtype, symmetric });
        expect(dequantize(q).toFloat32().every((v) => v === 0)).toBe(true);
        const expected = quantInfo(dtype).family === 'mx' ? 2 ** -127 : 1;
        expect((q.qparams.scales!.data() as Float32Array).every((s) => s === expected)).toBe(true);
      }
    }
  });

  it('constant rows dequantize to exactly the constant when it is representable in f16', () => {
    for (const dtype of affineAndLut) {
      for (const symmetric of quantInfo(dtype).zeroPoint ? [true, false] : [true]) {
        for (const c of [3, -0.375, 1000, -2.25, 2 ** -20]) {
          const got = dequantize(quantize(tensor([new Array(9).fill(c)]), { dtype, symmetric })).toFloat32();
          expect([...got]).toEqual(new Array(9).fill(c));
        }
        // 0.1 is not an f16 value: the scale is |c| rounded up, within one f16 ulp (2^-14) of it
        const got = dequantize(quantize(tensor([new Array(3).fill(0.1)]), { dtype, symmetric })).toFloat32();
        expect(Math.abs(got[0] - 0.1)).toBeLessThanOrEqual(2 ** -14);
      }
    }
  });

  it('groups of one element: each value exact when representable in f16', () => {
    const row = [3, -0.5, 0, 1000, -2.25];
    for (const dtype of affineAndLut) {
      const q = quantize(tensor([row]), { dtype, groupSize: 1 });
      expect(q.qparams.scales!.shape).toEqual([1, 5]);
      expect(deq(q)).toEqual([row]);
    }
  });

  it('mx keeps the spec rule for constants: 5 -> 4', () => {
    const q = quantize(tensor([new Array(32).fill(5)]), { dtype: 'mxfp4' });
    expect((deq(q) as number[][])[0][0]).toBe(4);
  });
});

describe('huge and non-finite values', () => {
  it('a scale that overflows its dtype is a ValueError naming the group', () => {
    const x = tensor([[F32_MAX, -F32_MAX, 1, 0], [1, 2, 3, 4]]);
    expect(() => quantize(x, { dtype: 'int4' })).toThrow(/scale .* of group \[0, 0\] of \[2,4\] overflows f16/);
    // nf4's scale is the absmax itself, above the largest bf16 (3.3895e38)
    expect(() => quantize(x, { dtype: 'nf4', scaleDtype: 'bf16' })).toThrow(/overflows bf16/);
  });

  it('values near f32 max dequantize to finite values within a step (f32 and bf16 scales)', () => {
    for (const [big, scaleDtype] of [[F32_MAX, 'f32'], [Math.fround(3e38), 'bf16']] as const) {
      const x = tensor([[big, -big, 1, 0], [1, 2, 3, 4]]);
      for (const dtype of ['int2', 'int3', 'int4', 'int8', 'nf4', 'fp4'] as QuantDType[]) {
        for (const symmetric of quantInfo(dtype).zeroPoint ? [true, false] : [true]) {
          const q = quantize(x, { dtype, scaleDtype, symmetric });
          const d = dequantize(q).toFloat32();
          expect(d.every(Number.isFinite)).toBe(true);
          // one grid step: the scale (affine), or the widest gap of the lut (fp4: 2 between 4 and 6)
          const s = (q.qparams.scales!.data() as Float32Array)[0];
          const step = s * (quantInfo(dtype).family === 'lut' ? 2 : 1);
          expect(Math.abs(d[0] - big)).toBeLessThanOrEqual(step);
          expect(Math.abs(d[1] + big)).toBeLessThanOrEqual(step);
        }
      }
    }
  });

  it('non-finite input is a ValueError quoting the value and its index', () => {
    const x = tensor([
      [0, 1, 2],
      [3, NaN, 5],
    ]);
    expect(() => quantize(x, { dtype: 'int4' })).toThrow(/non-finite value NaN at \[1, 1\]/);
    expect(() => chooseQParams(tensor([Infinity, 1]), { dtype: 'nf4' })).toThrow(/non-finite value Infinity at \[0\]/);
    const x3 = tensor(new Float32Array(12), [2, 3, 2]);
    (x3.raw() as Float32Array)[9] = -Infinity;
    expect(() => quantize(x3, { dtype: 'mxfp4' })).toThrow(/non-finite value -Infinity at \[1, 1, 1\]/);
  });

  it("nonFinite: 'saturate' chooses qparams from finite values; NaN -> 0, ±Inf -> the extremes", () => {
    const x = tensor([[NaN, Infinity, -Infinity, 1, -2, 0.5]]);
    const q = quantize(x, { dtype: 'int4', symmetric: true, scaleDtype: 'f32', nonFinite: 'saturate' });
    expect(q.qparams.scales!.toArray()).toEqual([[0.25]]); // from max(2/8, 1/7)
    expect(deq(q)).toEqual([[0, 7 * 0.25, -8 * 0.25, 1, -2, 0.5]]);
    // fp4: scale = 2 / 6 rounded up in f16 = 1366 / 4096; ±Inf take ±6 * scale
    const f = quantize(x, { dtype: 'fp4', nonFinite: 'saturate' });
    expect((deq(f) as number[][])[0].slice(0, 3)).toEqual([0, (6 * 1366) / 4096, (-6 * 1366) / 4096]);
    const all = quantize(tensor([[NaN, NaN]]), { dtype: 'nf4', nonFinite: 'saturate' });
    expect(deq(all)).toEqual([[0, 0]]);
  });
});

describe('granularity and shapes', () => {
  const x = tensor(randomF32Data(3 * 10, 7), [3, 10]);

  it("defaults: asymmetric, per channel, f16 scales ('channel' = one group per row)", () => {
    expect(QUANTIZE_DEFAULTS).toMatchObject({ groupSize: 'channel', symmetric: false, scaleDtype: 'f16', clip: 1 });
    const q = quantize(x, { dtype: 'int4' });
    expect(q.qparams).toMatchObject({ groupSize: 10, perTensor: false, symmetric: false, scaleDtype: 'f16' });
    expect(q.qparams.scales!.shape).toEqual([3, 1]);
    expect(q.qparams.zeros!.shape).toEqual([3, 1]);
  });

  it('per tensor: one scale and zero', () => {
    const q = quantize(x, { dtype: 'int8', groupSize: 'tensor' });
    expect(q.qparams.scales!.shape).toEqual([1, 1]);
    expect(q.qparams.perTensor).toBe(true);
    // same as quantizing the flattened tensor per channel
    const flat = quantize(tensor(x.toFloat32(), [1, 30]), { dtype: 'int8' });
    expect(q.qparams.scales!.toArray()).toEqual(flat.qparams.scales!.toArray());
    expect([...dequantize(q).toFloat32()]).toEqual([...dequantize(flat).toFloat32()]);
  });

  it('a ragged last group is quantized like a group of its own', () => {
    const q = quantize(x, { dtype: 'int3', groupSize: 4 });
    expect(q.qparams.scales!.shape).toEqual([3, 3]);
    const full = dequantize(q).toArray() as number[][];
    const data = x.toArray() as number[][];
    for (const [a, b] of [[0, 4], [4, 8], [8, 10]]) {
      const part = quantize(tensor(data.map((r) => r.slice(a, b))), { dtype: 'int3' });
      expect((dequantize(part).toArray() as number[][]).map((r) => r)).toEqual(full.map((r) => r.slice(a, b)));
    }
  });

  it('1-D and 3-D inputs: rows are the product of the leading dims', () => {
    const v = quantize(tensor(randomF32Data(10, 3)), { dtype: 'nf4', groupSize: 4 });
    expect(v.shape).toEqual([10]);
    expect(v.geometry.rows).toBe(1);
    expect(dequantize(v).shape).toEqual([10]);
    const x3 = tensor(randomF32Data(2 * 3 * 8, 5), [2, 3, 8]);
    const q3 = quantize(x3, { dtype: 'int4', groupSize: 4 });
    const q2 = quantize(tensor(x3.toFloat32(), [6, 8]), { dtype: 'int4', groupSize: 4 });
    expect(q3.codes.shape).toEqual([6, 4]);
    expect(dequantize(q3).shape).toEqual([2, 3, 8]);
    expect([...dequantize(q3).toFloat32()]).toEqual([...dequantize(q2).toFloat32()]);
  });

  it('accepts f64, f16 and integer inputs', () => {
    const ints = quantize(tensor([[1, 2, 3, -8]], undefined, 'int32'), { dtype: 'int4', symmetric: true });
    expect(deq(ints)).toEqual([[1, 2, 3, -8]]);
    const halfs = quantize(tensor([[0.5, -0.25]], undefined, 'f16'), { dtype: 'nf4' });
    // scale 0.5; -0.25 / 0.5 = -0.5 -> nearest level -0.52507 (code 2), halved
    expect(deq(halfs)).toEqual([[0.5, -0.5250730514526367 / 2]]);
    const f64 = quantize(tensor(new Float64Array([6, -3, 0.25])), { dtype: 'fp4' });
    expect(deq(f64)).toEqual([6, -3, 0]);
  });
});

describe('act-order and input scales', () => {
  const x = tensor(randomF32Data(4 * 8, 11), [4, 8]);
  const perm = [3, 7, 0, 5, 1, 6, 2, 4];

  it('perm: groups follow the stored order; dequantize returns the original column order', () => {
    const q = quantize(x, { dtype: 'int4', groupSize: 4, perm });
    expect(q.qparams.perm!.toArray()).toEqual(perm);
    // reference: permute the columns by hand, quantize without perm, scatter back
    const rows = x.toArray() as number[][];
    const permuted = quantize(tensor(rows.map((r) => perm.map((p) => r[p]))), { dtype: 'int4', groupSize: 4 });
    const pd = dequantize(permuted).toArray() as number[][];
    const expected = pd.map((r) => {
      const out = new Array<number>(8);
      perm.forEach((p, j) => (out[p] = r[j]));
      return out;
    });
    expect(dequantize(q).toArray()).toEqual(expected);
    expect(q.sizeBits().perm).toBe(32 * 8);
  });

  it('inputScale: quantizes W * s (f16 s) and divides it back out', () => {
    const s = [1, 2, 0.5, 4, 1, 1, 8, 0.25];
    const q = quantize(x, { dtype: 'int8', inputScale: s, scaleDtype: 'f32' });
    const rows = x.toArray() as number[][];
    const ref = dequantize(quantize(tensor(rows.map((r) => r.map((v, c) => Math.fround(v * s[c])))), { dtype: 'int8', scaleDtype: 'f32' }));
    const expected = (ref.toArray() as number[][]).map((r) => r.map((v, c) => Math.fround(v / s[c])));
    expect(dequantize(q).toArray()).toEqual(expected);
    expect(q.sizeBits().inputScale).toBe(16 * 8);
  });

  it('rejects a perm that is not a permutation and bad input scales', () => {
    expect(() => quantize(x, { dtype: 'int4', perm: [0, 1, 2, 3, 4, 5, 6, 6] })).toThrow(/6 appears twice/);
    expect(() => quantize(x, { dtype: 'int4', perm: [0, 1] })).toThrow(ShapeError);
    expect(() => quantize(x, { dtype: 'int4', inputScale: [1, 1, 1, 1, 0, 1, 1, 1] })).toThrow(/inputScale 0 at \[4\]/);
  });
});

describe('precomputed qparams', () => {
  const x = tensor(randomF32Data(2 * 64, 13), [2, 64]);

  it('quantize(x, { qparams: chooseQParams(x, opts) }) equals quantize(x, opts)', () => {
    const opts: QuantizeOptions = { dtype: 'int4', groupSize: 16, symmetric: true };
    const a = quantize(x, opts);
    const b = quantize(x, { dtype: 'int4', qparams: chooseQParams(x, opts) });
    expect(b.codes.toArray()).toEqual(a.codes.toArray());
    expect(b.qparams.scales!.toArray()).toEqual(a.qparams.scales!.toArray());
  });

  it('copies the qparams, so disposing one QTensor leaves the other intact', () => {
    const a = quantize(x, { dtype: 'nf4', groupSize: 32 });
    const b = quantize(x, { dtype: 'nf4', qparams: a.qparams });
    a.dispose();
    expect(dequantize(b).shape).toEqual([2, 64]);
  });

  it('rejects options the qparams already fix, and mismatched qparams', () => {
    const qp = chooseQParams(x, { dtype: 'int4', groupSize: 16 });
    expect(() => quantize(x, { dtype: 'int4', groupSize: 32, qparams: qp })).toThrow(/either qparams or groupSize/);
    expect(() => quantize(tensor(randomF32Data(3 * 64, 1), [3, 64]), { dtype: 'int4', qparams: qp })).toThrow(/scales must have shape \[3,4\], got \[2,4\]/);
    expect(() => quantize(x, { dtype: 'int2', qparams: qp })).toThrow(/zero point 3?\d* at|exceeds 3/);
    expect(() => chooseQParams(x, { dtype: 'int4', qparams: qp })).toThrow(ValueError);
  });
});

describe('option errors', () => {
  const x = tensor(randomF32Data(64, 2), [1, 64]);

  it('names what is wrong', () => {
    expect(() => quantize(x, { dtype: 'f32' as QuantDType })).toThrow(DTypeError);
    expect(() => quantize(x, { dtype: 'mxfp4', groupSize: 64 })).toThrow(/blocks of 32 .* groupSize 64 is not allowed/);
    expect(() => quantize(x, { dtype: 'mxfp4', groupSize: 'channel' })).toThrow(/blocks of 32/);
    expect(() => quantize(x, { dtype: 'mxfp4', scaleDtype: 'f16' })).toThrow(/e8m0/);
    expect(() => quantize(x, { dtype: 'nf4', symmetric: false })).toThrow(/nf4 has no zero point/);
    expect(() => quantize(x, { dtype: 'int4', groupSize: 0 })).toThrow(/groupSize must be a positive integer/);
    expect(() => quantize(x, { dtype: 'int4', groupSize: 2.5 })).toThrow(ValueError);
    expect(() => quantize(x, { dtype: 'int4', clip: 0 })).toThrow(/clip must be in \(0, 1\]/);
    expect(() => quantize(x, { dtype: 'int4', clip: 1.5 })).toThrow(ValueError);
    expect(() => quantize(x, { dtype: 'int4', scaleDtype: 'f8' as 'f16' })).toThrow(/unknown scaleDtype f8/);
    expect(() => quantize(x, { dtype: 'codebook' })).toThrow(/needs opts.codebook/);
    expect(() => quantize(x, { dtype: 'codebook', codebook: tensor([[1], [2], [3]]) })).toThrow(/2\^indexBits entries .* got 3/);
    expect(() => quantize(x, { dtype: 'codebook', codebook: tensor([[1, 1], [2, 2]]), groupSize: 3 })).toThrow(/multiple of the vector dimension 2/);
    expect(() => quantize(x, { dtype: 'int4', codebook: tensor([[1], [2]]) })).toThrow(/codebook dtype only/);
    expect(() => quantize(tensor(3), { dtype: 'int4' })).toThrow(ShapeError);
    expect(() => quantize(tensor(new Float32Array(0), [2, 0]), { dtype: 'int4' })).toThrow(/empty tensor \[2,0\]/);
  });
});

describe('fakeQuantize', () => {
  it('is dequantize(quantize(x))', () => {
    const x = tensor(randomF32Data(2 * 40, 9), [2, 40]);
    const opts: QuantizeOptions = { dtype: 'nf4', groupSize: 8 };
    expect(fakeQuantize(x, opts).toArray()).toEqual(dequantize(quantize(x, opts)).toArray());
  });
});
