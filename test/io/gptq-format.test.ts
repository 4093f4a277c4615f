/**
 * The GPTQ layout: packing checked against a naive packer written here the way AutoGPTQ's
 * `QuantLinear.pack` loops (shift-and-or per 32-bit word, with its special 3-bit word sequence), a
 * known answer (codes 0..7 in one 4-bit word = 0x76543210), the dequantization formula evaluated on
 * the unpacked GPTQ tensors, and round trips QTensor -> GPTQ -> QTensor for int2/3/4/8, symmetric and
 * asymmetric, act-order, v1 and v2 zero points; then the real tiny Llama exported and imported.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from './tmp.js';
import { FormatError, ValueError } from '../../src/errors.js';
import { unpackRows } from '../../src/dtype/pack.js';
import { quantize } from '../../src/ops/quant.js';
import { QTensor } from '../../src/qtensor.js';
import { Tensor, tensor } from '../../src/tensor.js';
import { openCheckpoint, readConfig } from '../../src/io/checkpoint.js';
import { exportGptq, gptqToQTensor, importGptq, qtensorToGptq, type GptqConfig } from '../../src/io/gptq-format.js';
import { mulberry32 } from '../arbitraries.js';

const DIR = 'test/fixtures/tiny-llama-bytes';

function randn(shape: number[], seed: number): Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (r() - 0.5) * 4;
  return tensor(v, shape, 'f32');
}

const f32bits = (t: Tensor) => new Uint32Array(new Float32Array(t.data() as Float32Array).buffer);

/**
 * AutoGPTQ-style packing of intweight [rows, cols] (uint) along rows into uint32 [rows·bits/32, cols]:
 * for 2/4/8 bits, 32/bits consecutive rows per word; for 3 bits, 32 rows into 3 words where rows 10
 * and 21 straddle words (bits 30-31 + bit 0, bit 31 + bits 0-1).
 */
function naivePack(iw: number[][], bits: number): number[][] {
  const rows = iw.length;
  const cols = iw[0].length;
  const out: number[][] = Array.from({ length: (rows * bits) / 32 }, () => new Array(cols).fill(0));
  for (let c = 0; c < cols; c++) {
    if (bits !== 3) {
      const per = 32 / bits;
      for (let r = 0; r < rows; r++) out[Math.floor(r / per)][c] = (out[Math.floor(r / per)][c] | (iw[r][c] << (bits * (r % per)))) >>> 0;
      continue;
    }
    for (let blk = 0; blk < rows / 32; blk++) {
      const v = (k: number) => iw[blk * 32 + k][c];
      const w = [0, 0, 0];
      for (let k = 0; k < 10; k++) w[0] |= v(k) << (3 * k);
      w[0] |= v(10) << 30;
      w[1] |= (v(10) >> 2) & 1;
      for (let k = 0; k < 10; k++) w[1] |= v(11 + k) << (3 * k + 1);
      w[1] |= v(21) << 31;
      w[2] |= (v(21) >> 1) & 3;
      for (let k = 0; k < 10; k++) w[2] |= v(22 + k) << (3 * k + 2);
      for (let k = 0; k < 3; k++) out[blk * 3 + k][c] = w[k] >>> 0;
    }
  }
  return out;
}

/** Codes of q in original column order, as [out][in]. */
function origCodes(q: QTensor): number[][] {
  const [out, inn] = q.shape;
  const stored = unpackRows(q.codeBytes(), out, inn, q.bits);
  const perm = q.qparams.perm ? (q.qparams.perm.data() as Int32Array) : null;
  return Array.from({ length: out }, (_, o) => {
    const row = new Array<number>(inn);
    for (let j = 0; j < inn; j++) row[perm ? perm[j] : j] = stored[o * inn + j];
    return row;
  });
}

const asU32 = (t: Tensor) => Array.from(t.data() as Int32Array, (x) => x >>> 0);

/** W[o, i] = scales[g, o] * (q[i, o] - zero[g, o]), g = g_idx[i], from the GPTQ tensors alone. */
function gptqDequant(g: ReturnType<typeof qtensorToGptq>, bits: number, v1: boolean): Float32Array {
  const [words, out] = g.qweight.shape;
  const inn = (words * 32) / bits;
  const qw = asU32(g.qweight);
  const qz = asU32(g.qzeros);
  const zw = g.qzeros.shape[1];
  const sc = g.scales.toFloat32();
  const gi = g.g_idx.data() as Int32Array;
  /** Field `idx` of the bit stream whose k-th 32-bit word is word(k). */
  const field = (word: (k: number) => number, idx: number) => {
    const bit = idx * bits;
    const lo = word(Math.floor(bit / 32)) >>> bit % 32;
    const hi = (bit % 32) + bits > 32 ? word(Math.floor(bit / 32) + 1) << (32 - (bit % 32)) : 0;
    return (lo | hi) & ((1 << bits) - 1);
  };
  const w = new Float32Array(out * inn);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inn; i++) {
      const q = field((k) => qw[k * out + o], i);
      const grp = gi[i];
      const z = field((k) => qz[grp * zw + k], o) + (v1 ? 1 : 0);
      w[o * inn + i] = (q - z) * sc[grp * out + o];
    }
  }
  return w;
}

describe('GPTQ packing', () => {
  it('packs codes 0..7 of one 4-bit column into 0x76543210', () => {
    const codes = tensor([0, 1, 2, 3, 4, 5, 6, 7], [8, 1], 'f32');
    // One output row [1, 8]: transpose so the codes run along the input axis; symmetric int4 with
    // scale 1 maps value v to code v + 8, so feed v - 8.
    const w = tensor(Array.from(codes.data() as Float32Array, (v) => v - 8), [1, 8], 'f32');
    const q = quantize(w, { dtype: 'int4', symmetric: true, groupSize: 'channel' });
    expect(origCodes(q)[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // out must be a multiple of 8 for int4 qzeros: pad to 8 identical rows.
    const q8 = quantize(tensor(Array.from({ length: 64 }, (_, k) => (k % 8) - 8), [8, 8], 'f32'), { dtype: 'int4', symmetric: true });
    const g = qtensorToGptq(q8);
    expect(asU32(g.qweight)[0]).toBe(0x76543210);
    // v1 zero points: 8 - 1 = 7 in every nibble.
    expect(asU32(g.qzeros)).toEqual([0x77777777]);
  });

  it('matches the naive AutoGPTQ-style packer and the GPTQ formula, for 2/3/4/8 bits', async () => {
    await fc.assert(
      fc.property(fc.constantFrom(2, 3, 4, 8), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.boolean(), fc.nat(), (bits, ob, ib, actOrder, sym, seed) => {
        const out = 32 * ob;
        const inn = 32 * ib;
        const r = mulberry32(seed);
        const perm = actOrder ? Array.from({ length: inn }, (_, i) => i).sort(() => r() - 0.5) : undefined;
        const q = quantize(randn([out, inn], seed), { dtype: `int${bits}` as 'int4', groupSize: 16, symmetric: sym, perm });
        const g = qtensorToGptq(q, 'gptq_v2');
        const codes = origCodes(q);
        const iw = Array.from({ length: inn }, (_, i) => Array.from({ length: out }, (_, o) => codes[o][i]));
        const expected = naivePack(iw, bits);
        const got = asU32(g.qweight);
        expect(got).toEqual(expected.flat());
        expect(f32bits(tensor(gptqDequant(g, bits, false), [out, inn]))).toEqual(f32bits(q.dequantize()));
      }),
      { numRuns: 40 },
    );
  });
});

describe('GPTQ round trip', () => {
  it('QTensor -> GPTQ -> QTensor dequantizes identically (v1 and v2, act-order, per-channel, per-tensor)', async () => {
    await fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4, 8),
        fc.constantFrom<number | 'channel' | 'tensor'>(8, 32, 'channel', 'tensor'),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        (bits, groupSize, actOrder, sym, seed) => {
          const out = 32;
          const inn = 64;
          const r = mulberry32(seed);
          const perm = actOrder && groupSize !== 'tensor' ? Array.from({ length: inn }, (_, i) => i).sort(() => r() - 0.5) : undefined;
          const q = quantize(randn([out, inn], seed), { dtype: `int${bits}` as 'int4', groupSize, symmetric: sym, perm });
          const formats = [...(sym ? (['gptq'] as const) : []), 'gptq_v2' as const];
          for (const format of formats) {
            const g = qtensorToGptq(q, format);
            const cfg: GptqConfig = {
              bits: bits as 4,
              group_size: typeof groupSize === 'number' ? groupSize : -1,
              desc_act: !!perm,
              sym,
              checkpoint_format: format,
            };
            const back = gptqToQTensor(g, cfg);
            expect(back.dtype).toBe(q.dtype);
            expect(back.qparams.symmetric).toBe(sym);
            // A perm comes back exactly when g_idx is not the plain i / groupSize (with one group per
            // row, or a perm that keeps every column in its group, the order carries no information).
            const gs = typeof groupSize === 'number' ? groupSize : inn;
            const moved = Array.from(g.g_idx.data() as Int32Array).some((v, i) => v !== Math.floor(i / gs));
            expect(moved).toBe(!!perm && typeof groupSize === 'number' && perm.some((p, j) => Math.floor(p / gs) !== Math.floor(j / gs)));
            expect(back.qparams.perm !== undefined).toBe(moved);
            expect(f32bits(back.dequantize())).toEqual(f32bits(q.dequantize()));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses what GPTQ cannot hold, and zero point 0 in v1', () => {
    const w = randn([32, 64], 1);
    expect(() => qtensorToGptq(quantize(w, { dtype: 'nf4', groupSize: 32 }))).toThrow(/affine integer codes/);
    expect(() => qtensorToGptq(quantize(w, { dtype: 'int4', scaleDtype: 'f32' }))).toThrow(/not an f16 value/);
    expect(() => qtensorToGptq(quantize(randn([32, 36], 1), { dtype: 'int4' }))).toThrow(/multiples of 32/);
    // All-positive rows: the minimum maps to code 0, so the zero point is 0.
    const pos = tensor(Array.from({ length: 32 * 64 }, (_, k) => 1 + (k % 7)), [32, 64], 'f32');
    const q = quantize(pos, { dtype: 'int4', symmetric: false });
    expect(() => qtensorToGptq(q, 'gptq')).toThrow(ValueError);
    expect(() => qtensorToGptq(q, 'gptq')).toThrow(/gptq_v2/);
    const back = gptqToQTensor(qtensorToGptq(q, 'gptq_v2'), { bits: 4, group_size: -1, desc_act: false, sym: false, checkpoint_format: 'gptq_v2' });
    expect(f32bits(back.dequantize())).toEqual(f32bits(q.dequantize()));
  });

  it('rejects inconsistent GPTQ tensors with FormatErrors', () => {
    const q = quantize(randn([32, 64], 2), { dtype: 'int4', groupSize: 32, symmetric: true });
    const g = qtensorToGptq(q);
    const cfg: GptqConfig = { bits: 4, group_size: 32, desc_act: false, sym: true, checkpoint_format: 'gptq' };
    expect(() => gptqToQTensor(g, { ...cfg, group_size: 16 })).toThrow(/qzeros must have shape \[4,4\]/);
    expect(() => gptqToQTensor({ ...g, g_idx: tensor(new Int32Array(64).fill(5), [64], 'int32') }, cfg)).toThrow(/g_idx\[0\] = 5 is outside 0..1/);
    const uneven = new Int32Array(64);
    uneven[0] = 1; // group 1 gets 33 columns
    expect(() => gptqToQTensor({ ...g, g_idx: tensor(uneven, [64], 'int32') }, cfg)).toThrow(/not an act-order permutation/);
    expect(() => gptqToQTensor({ ...g, scales: tensor([1], [1], 'int32') }, cfg)).toThrow(FormatError);
    expect(() => gptqToQTensor(g, { ...cfg, bits: 5 as 4 })).toThrow(/bits must be 2, 3, 4 or 8/);
  });
});

describe('GPTQ checkpoints', () => {
  it('exports the real tiny Llama (int4, group 128, act-order) and imports it back identically', async () => {
    const ckpt = await openCheckpoint(DIR);
    const tensors: Record<string, Tensor | QTensor> = {};
    for (const n of ckpt.names) {
      const t = await ckpt.read(n);
      const linear = /\.(q|k|v|o|gate|up|down)_proj\.weight$/.test(n);
      if (linear) {
        const perm = n.includes('layers.0.') ? Array.from({ length: t.shape[1] }, (_, i) => t.shape[1] - 1 - i) : undefined;
        tensors[n] = quantize(t.astype('f32'), { dtype: 'int4', groupSize: 128, symmetric: true, perm });
        t.dispose();
      } else tensors[n] = t;
    }
    await ckpt.close();
    const dir = await tempDir();
    const config = await readConfig(DIR);
    const written = await exportGptq(dir, tensors, { config });
    expect(written).toEqual({ bits: 4, group_size: 128, desc_act: true, sym: true, checkpoint_format: 'gptq' });
    const qc = JSON.parse(await readFile(join(dir, 'quantize_config.json'), 'utf8'));
    expect(qc).toMatchObject({ bits: 4, group_size: 128, desc_act: true, sym: true, quant_method: 'gptq', checkpoint_format: 'gptq' });
    const cfg = await readConfig(dir);
    expect(cfg.hidden_size).toBe(384);
    expect(cfg.quantization_config).toMatchObject({ bits: 4, quant_method: 'gptq' });
    const raw = await openCheckpoint(dir);
    expect(raw.info('model.layers.0.mlp.down_proj.qweight')).toMatchObject({ dtype: 'int32', shape: [1024 / 8, 384] });
    expect(raw.info('model.layers.0.mlp.down_proj.qzeros')).toMatchObject({ dtype: 'int32', shape: [8, 384 / 8] });
    expect(raw.info('model.layers.0.mlp.down_proj.scales')).toMatchObject({ dtype: 'f16', shape: [8, 384] });
    expect(raw.info('model.layers.0.mlp.down_proj.g_idx')).toMatchObject({ dtype: 'int32', shape: [1024] });
    expect(raw.has('model.layers.0.mlp.down_proj.weight')).toBe(false);
    await raw.close();

    const { tensors: back, config: readBack } = await importGptq(dir);
    expect(readBack).toEqual(written);
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [n, t] of Object.entries(tensors)) {
      const b = back[n];
      if (t instanceof QTensor) {
        expect(b).toBeInstanceOf(QTensor);
        expect((b as QTensor).qparams.perm !== undefined).toBe(n.includes('layers.0.'));
        expect(Buffer.from(f32bits((b as QTensor).dequantize()).buffer).equals(Buffer.from(f32bits(t.dequantize()).buffer))).toBe(true);
      } else {
        expect((b as Tensor).dtype).toBe(t.dtype);
        expect((b as Tensor).toArray()).toEqual(t.toArray());
      }
    }
  });

  it('rejects mixed bit widths and configs that are not GPTQ', async () => {
    const a = quantize(randn([32, 64], 1), { dtype: 'int4', symmetric: true });
    const b = quantize(randn([32, 64], 2), { dtype: 'int8', symmetric: true });
    const dir = await tempDir();
    await expect(exportGptq(dir, { 'a.weight': a, 'b.weight': b })).rejects.toThrow(/one bits\/group_size/);
    const enc = (v: unknown) => new Blob([JSON.stringify(v)]);
    await expect(importGptq({ 'quantize_config.json': enc({ bits: 4, quant_method: 'awq' }) })).rejects.toThrow(/not "gptq"/);
    await expect(importGptq({ 'config.json': enc({ hidden_size: 1 }) })).rejects.toThrow(/no quantize_config.json and no quantization_config/);
  });
});
