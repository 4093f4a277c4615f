/**
 * The quantized format: every quantized dtype of the table (and every qparams variant: groups,
 * per-tensor, asymmetric zeros, act-order, input scales, scale dtypes, codebooks) survives save and
 * load with codes, qparams and the dequantized tensor identical bit for bit; parts are stored
 * narrowed only when exact; the files are plain safetensors; bad descriptions are FormatErrors.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from './tmp.js';
import { FormatError } from '../../src/errors.js';
import { QUANT_DTYPES, type QuantDType } from '../../src/dtype/table.js';
import { quantize, type QuantizeOptions } from '../../src/ops/quant.js';
import { QTensor } from '../../src/qtensor.js';
import { Tensor, tensor } from '../../src/tensor.js';
import { loadSafetensors } from '../../src/io/safetensors.js';
import { loadQuantized, openQuantized, saveQuantized, saveQuantizedCheckpoint, serializeQuantized, type TensorCodec } from '../../src/io/quantized.js';
import { PvqTensor, type PvqRotation } from '../../src/quantizers/pvq/pvq-tensor.js';
import { pvqQuantize } from '../../src/quantizers/pvq/quantize.js';
import { serializeSafetensors } from '../../src/io/safetensors-write.js';
import { mulberry32 } from '../arbitraries.js';
import { splitSt } from './st-bytes.js';

function randn(shape: number[], seed: number): Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (r() - 0.5) * 4 + (r() < 0.05 ? 8 : 0);
  return tensor(v, shape, 'f32');
}

function bits(t: Tensor): Uint32Array {
  return new Uint32Array(new Float32Array(t.data() as Float32Array).buffer);
}

function expectSameQ(a: QTensor, b: QTensor): void {
  expect(b.dtype).toBe(a.dtype);
  expect(b.shape).toEqual(a.shape);
  expect(Buffer.from(b.codeBytes()).equals(Buffer.from(a.codeBytes()))).toBe(true);
  for (const [k, v] of Object.entries(a.qparams)) {
    const w = (b.qparams as unknown as Record<string, unknown>)[k];
    if (v instanceof Tensor) {
      expect(w).toBeInstanceOf(Tensor);
      expect((w as Tensor).dtype).toBe(v.dtype);
      expect((w as Tensor).toArray()).toEqual(v.toArray());
    } else expect(w).toEqual(v);
  }
  expect(Object.keys(b.qparams).filter((k) => (b.qparams as unknown as Record<string, unknown>)[k] !== undefined).sort()).toEqual(
    Object.keys(a.qparams).filter((k) => (a.qparams as unknown as Record<string, unknown>)[k] !== undefined).sort(),
  );
  expect(bits(b.dequantize())).toEqual(bits(a.dequantize()));
}

/** Quantize options covering every dtype and qparams variant. */
function variants(dtype: QuantDType, cols: number, seed: number): QuantizeOptions[] {
  const r = mulberry32(seed);
  const perm = Array.from({ length: cols }, (_, i) => i).sort(() => r() - 0.5);
  const inputScale = Array.from({ length: cols }, () => 0.5 + r());
  if (dtype === 'mxfp4') return [{ dtype }, { dtype, perm }];
  if (dtype === 'codebook') {
    const cb = randn([16, 2], seed + 1);
    return [
      { dtype, codebook: cb },
      { dtype, codebook: cb, codebookDtype: 'f16', groupSize: 8 },
      { dtype, codebook: randn([4, 4], seed + 2), codebookDtype: 'bf16', groupSize: 'channel', scaleDtype: 'f32', perm },
    ];
  }
  if (dtype === 'fp4' || dtype === 'nf4') {
    return [{ dtype, groupSize: 8 }, { dtype, groupSize: 'tensor', scaleDtype: 'f32' }, { dtype, groupSize: 16, scaleDtype: 'bf16', inputScale }];
  }
  return [
    { dtype, groupSize: 8 },
    { dtype, groupSize: 8, symmetric: true },
    { dtype, groupSize: 'tensor', scaleDtype: 'f32' },
    { dtype, groupSize: 16, scaleDtype: 'bf16', perm, inputScale },
    { dtype, groupSize: 12, symmetric: false, perm }, // ragged last group
  ];
}

describe('quantized format round trip', () => {
  it('every quantized dtype and qparams variant round-trips bit for bit', async () => {
    expect(QUANT_DTYPES.length).toBeGreaterThanOrEqual(8);
    for (const dtype of QUANT_DTYPES) {
      const w = randn([6, 64], 11);
      const opts = variants(dtype, 64, 5);
      const input: Record<string, Tensor | QTensor> = { 'norm.weight': tensor([1, 2, 3], [3], 'bf16') };
      opts.forEach((o, i) => (input[`layer${i}.weight`] = quantize(w, o)));
      const bytes = await serializeQuantized(input, { source: 'test' });
      const { tensors, metadata } = await loadQuantized(bytes);
      expect(metadata).toEqual({ source: 'test' });
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(input).sort());
      expect((tensors['norm.weight'] as Tensor).toArray()).toEqual([1, 2, 3]);
      for (let i = 0; i < opts.length; i++) {
        const got = tensors[`layer${i}.weight`];
        expect(got, `${dtype} variant ${i}`).toBeInstanceOf(QTensor);
        expectSameQ(input[`layer${i}.weight`] as QTensor, got as QTensor);
      }
    }
  });

  it('random shapes and group sizes round-trip (property)', async () => {
    const affine = QUANT_DTYPES.filter((d) => d.startsWith('int') || d === 'fp4' || d === 'nf4');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...affine),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.nat(),
        async (dtype, rows, cols, gs, sym, seed) => {
          const q = quantize(randn([rows, cols], seed), { dtype, groupSize: Math.min(gs, cols), symmetric: sym || !dtype.startsWith('int') });
          const { tensors } = await loadQuantized(await serializeQuantized({ q }));
          expectSameQ(q, tensors.q as QTensor);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stores f16 scales as F16 and f32 scales as F32 (narrowed only when exact), in a plain safetensors file', async () => {
    const w = randn([4, 32], 3);
    const a = quantize(w, { dtype: 'int4', groupSize: 8, scaleDtype: 'f16' });
    const b = quantize(w, { dtype: 'int4', groupSize: 8, scaleDtype: 'f32' });
    const bytes = await serializeQuantized({ a, b });
    const { header } = splitSt(bytes);
    const h = header as Record<string, { dtype: string; shape: number[] }>;
    expect(h['a.scales'].dtype).toBe('F16');
    expect(h['a.codes']).toMatchObject({ dtype: 'U8', shape: [4, 16] });
    expect(h['a.zeros'].dtype).toBe('U8');
    // The f32 scales of random data are not all f16 or bf16 values.
    expect(h['b.scales'].dtype).toBe('F32');
    const plain = await loadSafetensors(bytes);
    expect(Object.keys(plain.tensors).sort()).toEqual(['a.codes', 'a.scales', 'a.zeros', 'b.codes', 'b.scales', 'b.zeros']);
  });

  it('saves to a file atomically and to a sharded checkpoint', async () => {
    const dir = await tempDir();
    const q = quantize(randn([64, 128], 9), { dtype: 'int3', groupSize: 32 });
    const d = randn([64, 128], 10);
    await saveQuantized(join(dir, 'm.safetensors'), { q, d });
    const one = await loadQuantized(join(dir, 'm.safetensors'));
    expectSameQ(q, one.tensors.q as QTensor);
    await saveQuantizedCheckpoint(join(dir, 'ck'), { d, q }, { maxShardBytes: 4096 });
    const r = await openQuantized({ checkpoint: join(dir, 'ck') });
    expect(r.names).toEqual(['d', 'q']);
    expect(r.isQuantized('q')).toBe(true);
    expectSameQ(q, (await r.read('q')) as QTensor);
    await r.close();
  });

  it('rejects reserved metadata keys, colliding names and malformed descriptions', async () => {
    const q = quantize(randn([2, 8], 1), { dtype: 'int4' });
    await expect(serializeQuantized({ q }, { 'quantensor.x': '1' })).rejects.toThrow(/reserved/);
    await expect(serializeQuantized({ q, 'q.codes': tensor([1]) })).rejects.toThrow(/used twice/);
    const codes = tensor([1, 2], [1, 2], 'uint8');
    const bad = async (meta: Record<string, string>, pattern: RegExp) => {
      const bytes = await serializeSafetensors({ 'w.codes': codes }, meta);
      const e = await openQuantized(bytes).then(
        async (r) => r.read('w').then(() => null, (x: unknown) => x),
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(pattern);
    };
    const rec = (r: unknown) => ({ 'quantensor.format': '1', 'quantensor.qtensors': JSON.stringify({ w: r }) });
    await bad({ 'quantensor.format': '9', 'quantensor.qtensors': '{}' }, /version "9"/);
    await bad({ 'quantensor.format': '1', 'quantensor.qtensors': '{' }, /not valid JSON/);
    await bad(rec({ dtype: 'int4' }), /malformed description/);
    await bad(rec({ dtype: 'int9', shape: [1, 4], params: {}, parts: { codes: 'w.codes' }, partDtypes: {} }), /unknown quantized dtype/);
    await bad(rec({ dtype: 'int4', shape: [1, 4], params: {}, parts: { codes: 'w.codes', scales: 'w.s' }, partDtypes: {} }), /needs tensor "w.s"/);
    // Parts present but inconsistent with the shape: the QTensor constructor's check, as a FormatError.
    await bad(rec({ dtype: 'int4', shape: [1, 9], params: { groupSize: 9, perTensor: false, scaleDtype: 'f16', symmetric: true }, parts: { codes: 'w.codes' }, partDtypes: {} }), /inconsistent/);
  });

  it('stores other quantized types through a caller-supplied codec (PvqTensor)', async () => {
    const codec: TensorCodec<PvqTensor> = {
      kind: 'pvq',
      matches: (x): x is PvqTensor => x instanceof PvqTensor,
      encode: (q) => ({
        shape: [...q.shape],
        tensors: { codes: q.codes, scales: q.scales, levels: q.levels },
        params: { dim: q.dim, pulses: q.pulses, ampBits: q.ampBits, scaleDtype: q.scaleDtype, rotation: q.rotation },
      }),
      decode: (t, p, shape) =>
        new PvqTensor(shape, p.dim as number, p.pulses as number, p.ampBits as number, t.codes, t.scales, p.scaleDtype as 'f16', t.levels, p.rotation as PvqRotation | null),
    };
    const { q } = pvqQuantize(randn([8, 64], 4), { bits: 3 });
    const bytes = await serializeQuantized({ w: q, n: tensor([1]) }, undefined, { codecs: [codec] });
    const { tensors } = await loadQuantized(bytes, { codecs: [codec] });
    const back = tensors.w as unknown as PvqTensor;
    expect(back).toBeInstanceOf(PvqTensor);
    expect(back.rotation).toEqual(q.rotation);
    expect(bits(back.dequantize())).toEqual(bits(q.dequantize()));
    const r = await openQuantized(bytes);
    expect(r.info('w')).toMatchObject({ kind: 'quantized', dtype: 'pvq', shape: [8, 64] });
    await expect(r.read('w')).rejects.toThrow(/stored by codec "pvq"; pass that codec/);
    await expect(serializeQuantized({ w: q })).rejects.toThrow(/must be a Tensor or QTensor/);
  });
});
