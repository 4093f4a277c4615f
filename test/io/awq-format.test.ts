/**
 * The AWQ GEMM layout: packing against a naive AutoAWQ-style packer (shift-and-or of channel
 * 8c + ORDER[k] into nibble k), dequantization through the published reverse order
 * (0, 4, 1, 5, 2, 6, 3, 7) on the raw int32 words, round trips QTensor -> AWQ -> QTensor, refusals,
 * and a checkpoint export/import of real tiny-Llama layers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { unpackRows } from '../../src/dtype/pack.js';
import { quantize } from '../../src/ops/quant.js';
import { QTensor } from '../../src/qtensor.js';
import { Tensor, tensor } from '../../src/tensor.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { awqToQTensor, exportAwq, importAwq, qtensorToAwq } from '../../src/io/awq-format.js';
import { mulberry32 } from '../arbitraries.js';
import { tempDir } from './tmp.js';

const ORDER = [0, 2, 4, 6, 1, 3, 5, 7];
const REVERSE = [0, 4, 1, 5, 2, 6, 3, 7];

function randn(shape: number[], seed: number): Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (r() - 0.5) * 4;
  return tensor(v, shape, 'f32');
}
const f32bits = (t: Tensor) => new Uint32Array(new Float32Array(t.data() as Float32Array).buffer);
const u32 = (t: Tensor) => Array.from(t.data() as Int32Array, (x) => x >>> 0);

describe('AWQ GEMM packing', () => {
  it('matches a naive packer and dequantizes through the reverse order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.constantFrom(8, 16, 32), fc.boolean(), fc.nat(), (ob, gs, sym, seed) => {
        const out = 8 * ob;
        const inn = 64;
        const q = quantize(randn([out, inn], seed), { dtype: 'int4', groupSize: gs, symmetric: sym });
        const a = qtensorToAwq(q);
        const codes = unpackRows(q.codeBytes(), out, inn, 4); // [out, in]
        const expected: number[] = [];
        for (let i = 0; i < inn; i++) {
          for (let c = 0; c < out / 8; c++) {
            let w = 0;
            for (let k = 0; k < 8; k++) w |= codes[(c * 8 + ORDER[k]) * inn + i] << (4 * k);
            expected.push(w >>> 0);
          }
        }
        expect(u32(a.qweight)).toEqual(expected);
        // W[o, i] = s[g, o] * (q - z) with nibbles located by the reverse order.
        const qw = u32(a.qweight);
        const qz = u32(a.qzeros);
        const sc = a.scales.toFloat32();
        const nib = (w: number, j: number) => (w >>> (4 * REVERSE[j % 8])) & 15;
        const w = new Float32Array(out * inn);
        for (let o = 0; o < out; o++) {
          for (let i = 0; i < inn; i++) {
            const g = Math.floor(i / gs);
            const qv = nib(qw[i * (out / 8) + Math.floor(o / 8)], o);
            const zv = nib(qz[g * (out / 8) + Math.floor(o / 8)], o);
            w[o * inn + i] = (qv - zv) * sc[g * out + o];
          }
        }
        expect(new Uint32Array(w.buffer)).toEqual(f32bits(q.dequantize()));
        const back = awqToQTensor(a, { bits: 4, group_size: gs, zero_point: !sym, version: 'gemm' });
        expect(back.qparams.symmetric).toBe(sym);
        expect(f32bits(back.dequantize())).toEqual(f32bits(q.dequantize()));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses what AWQ cannot hold and rejects inconsistent tensors', () => {
    const w = randn([16, 64], 1);
    expect(() => qtensorToAwq(quantize(w, { dtype: 'int8' }))).toThrow(/int4/);
    expect(() => qtensorToAwq(quantize(w, { dtype: 'int4', perm: Array.from({ length: 64 }, (_, i) => 63 - i) }))).toThrow(/act-order/);
    expect(() => qtensorToAwq(quantize(w, { dtype: 'int4', groupSize: 24 }))).toThrow(/groups dividing in/);
    expect(() => qtensorToAwq(quantize(w, { dtype: 'int4', scaleDtype: 'f32' }))).toThrow(/f16/);
    const a = qtensorToAwq(quantize(w, { dtype: 'int4', groupSize: 32 }));
    expect(() => awqToQTensor(a, { bits: 4, group_size: 16, zero_point: true, version: 'gemm' })).toThrow(FormatError);
    expect(() => awqToQTensor({ ...a, scales: tensor([1], [1], 'f16') }, { bits: 4, group_size: 32, zero_point: true, version: 'gemm' })).toThrow(/scales must be f16 \[2,16\]/);
  });
});

describe('AWQ checkpoints', () => {
  it('exports and imports real tiny-Llama layers identically', async () => {
    const ckpt = await openCheckpoint('test/fixtures/tiny-llama-bytes');
    const names = ['model.layers.2.self_attn.q_proj.weight', 'model.layers.2.mlp.down_proj.weight', 'model.layers.2.input_layernorm.weight'];
    const tensors: Record<string, Tensor | QTensor> = {};
    for (const n of names) {
      const t = await ckpt.read(n);
      tensors[n] = n.endsWith('proj.weight') ? quantize(t.astype('f32'), { dtype: 'int4', groupSize: 128 }) : t;
    }
    await ckpt.close();
    const dir = await tempDir();
    const cfg = await exportAwq(dir, tensors, { config: { model_type: 'llama' } });
    expect(cfg).toEqual({ bits: 4, group_size: 128, zero_point: true, version: 'gemm' });
    const raw = await openCheckpoint(dir);
    expect(raw.info('model.layers.2.mlp.down_proj.qweight')).toMatchObject({ dtype: 'int32', shape: [1024, 384 / 8] });
    expect(raw.info('model.layers.2.mlp.down_proj.qzeros')).toMatchObject({ dtype: 'int32', shape: [8, 384 / 8] });
    expect(raw.info('model.layers.2.mlp.down_proj.scales')).toMatchObject({ dtype: 'f16', shape: [8, 384] });
    await raw.close();
    const { tensors: back, config } = await importAwq(dir);
    expect(config).toEqual(cfg);
    for (const n of names) {
      const t = tensors[n];
      if (t instanceof QTensor) expect(Buffer.from(f32bits((back[n] as QTensor).dequantize()).buffer).equals(Buffer.from(f32bits(t.dequantize()).buffer))).toBe(true);
      else expect((back[n] as Tensor).toArray()).toEqual(t.toArray());
    }
    await expect(importAwq({ 'config.json': new Blob([JSON.stringify({ quantization_config: { quant_method: 'awq', version: 'gemv', bits: 4, group_size: 128 } })]) })).rejects.toThrow(/only the GEMM layout/);
  });
});
