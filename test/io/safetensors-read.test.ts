/**
 * Reading safetensors: the real tiny Llama checkpoint (bf16, two shards) checked against values
 * computed independently with python3 + numpy (header parsed by hand, bf16 widened by `u16 << 16`):
 *
 *   b = open(f, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n])
 *   s, t = h[name]['data_offsets']; u = np.frombuffer(b[8+n+s:8+n+t], '<u2')
 *   x = (u.astype(np.uint32) << 16).view(np.float32); x.astype(np.float64).sum()
 *
 * Also every dtype, metadata, Blob and byte sources, and the browser file map.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openCheckpoint, readConfig } from '../../src/io/checkpoint.js';
import { loadSafetensors, openSafetensors } from '../../src/io/safetensors.js';
import { getBackend, ready } from '../../src/kernels/backend.js';
import { stBytes } from './st-bytes.js';

const DIR = 'test/fixtures/tiny-llama-bytes';
const SHARD1 = `${DIR}/model-00001-of-00002.safetensors`;
const SHARD2 = `${DIR}/model-00002-of-00002.safetensors`;

/** numpy: first three values, float64 sum of all values, and one indexed value, per tensor. */
const NUMPY = {
  'model.embed_tokens.weight': { shape: [256, 384], first: [0.0179443359375, -0.00830078125, 0.001373291015625], sum: -20.614356115460396, last: -0.005950927734375 },
  'model.layers.0.self_attn.q_proj.weight': { shape: [384, 384], first: [-0.058349609375, -0.034423828125, -0.029296875], sum: 20.22697094269097, last: -0.00130462646484375 },
  'lm_head.weight': { shape: [256, 384], first: [-0.158203125, 0.07421875, 0.287109375], sum: 483.8764815032482, last: -0.125 },
  'model.norm.weight': { shape: [384], first: [0.86328125, 0.953125, 0.93359375], sum: 351.921875, last: 1.0703125 },
  'model.layers.5.mlp.down_proj.weight': { shape: [384, 1024], first: [-0.006561279296875, 0.040283203125, -0.00909423828125], sum: -38.5666504628025, last: 0.060546875 },
} as const;

function sum64(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

describe('tiny-llama-bytes checkpoint', () => {
  it('opens the sharded directory: names, shapes, dtypes, files, metadata', async () => {
    const ckpt = await openCheckpoint(DIR);
    try {
      expect(ckpt.names.length).toBe(57);
      expect(ckpt.files).toEqual(['model-00002-of-00002.safetensors', 'model-00001-of-00002.safetensors']);
      expect(ckpt.metadata).toEqual({ format: 'pt' });
      expect(ckpt.indexMetadata).toEqual({ total_parameters: 9638784, total_size: 19277568 });
      let params = 0;
      let bytes = 0;
      for (const n of ckpt.names) {
        const info = ckpt.info(n);
        expect(info.dtype).toBe('bf16');
        params += info.shape.reduce((a, b) => a * b, 1);
        bytes += info.byteLength;
      }
      // The index's totals, written by transformers, are an independent count.
      expect(params).toBe(9638784);
      expect(bytes).toBe(19277568);
      expect(ckpt.fileOf('lm_head.weight')).toBe('model-00002-of-00002.safetensors');
      expect(ckpt.fileOf('model.embed_tokens.weight')).toBe('model-00001-of-00002.safetensors');
      expect(ckpt.info('model.layers.0.self_attn.k_proj.weight').shape).toEqual([128, 384]);
      expect(ckpt.info('model.layers.0.mlp.gate_proj.weight').shape).toEqual([1024, 384]);
    } finally {
      await ckpt.close();
    }
  });

  it('reads tensors whose values match numpy', async () => {
    const ckpt = await openCheckpoint(DIR);
    try {
      for (const [name, ref] of Object.entries(NUMPY)) {
        const t = await ckpt.read(name);
        expect(t.dtype).toBe('bf16');
        expect(t.shape).toEqual(ref.shape);
        const x = t.toFloat32();
        expect(Array.from(x.subarray(0, 3))).toEqual(ref.first);
        expect(x[x.length - 1]).toBe(ref.last);
        expect(sum64(x)).toBeCloseTo(ref.sum, 9);
        t.dispose();
      }
      const q = await ckpt.read('model.layers.0.self_attn.q_proj.weight');
      expect(q.get([17, 201])).toBe(0.0228271484375);
      expect(q.get([383, 0])).toBe(-0.004364013671875);
      expect((q.raw() as Uint16Array)[5]).toBe(0x3bd4); // the bit pattern, kept as bf16
      q.dispose();
    } finally {
      await ckpt.close();
    }
  });

  it('reads straight into the wasm heap when the wasm backend is active', async () => {
    await ready();
    const ckpt = await openCheckpoint(DIR);
    // Many reads in flight at once: the heap grows while reads are pending, and values stay exact.
    const names = Object.keys(NUMPY) as (keyof typeof NUMPY)[];
    const ts = await Promise.all(names.map((n) => ckpt.read(n)));
    for (let i = 0; i < names.length; i++) {
      if (getBackend() === 'wasm') expect(ts[i].storage.heap).not.toBeNull();
      expect(sum64(ts[i].toFloat32())).toBeCloseTo(NUMPY[names[i]].sum, 9);
      ts[i].dispose();
    }
    await ckpt.close();
  });

  it('opens one shard directly, by path, Blob and bytes, with the same results', async () => {
    const bytes = new Uint8Array(await readFile(SHARD2));
    const sources = [SHARD2, new Blob([bytes]), bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
    for (const src of sources) {
      const f = await openSafetensors(src);
      try {
        expect(f.names.length).toBe(23);
        expect(f.metadata).toEqual({ format: 'pt' });
        expect(f.info('model.norm.weight')).toEqual({ dtype: 'bf16', shape: [384], byteLength: 768 });
        const t = await f.read('model.norm.weight');
        expect(sum64(t.toFloat32())).toBe(NUMPY['model.norm.weight'].sum);
        t.dispose();
      } finally {
        await f.close();
      }
    }
  });

  it('opens from an index path, a shard path and a browser file map', async () => {
    const viaIndex = await openCheckpoint(`${DIR}/model.safetensors.index.json`);
    expect(viaIndex.names.length).toBe(57);
    await viaIndex.close();
    const one = await openCheckpoint(SHARD1);
    expect(one.names.length).toBe(34);
    expect(one.has('lm_head.weight')).toBe(false);
    await one.close();
    const files: Record<string, Blob> = {};
    for (const f of ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'config.json']) {
      files[f] = new Blob([await readFile(`${DIR}/${f}`)]);
    }
    const mem = await openCheckpoint(files);
    const t = await mem.read('lm_head.weight');
    expect(sum64(t.toFloat32())).toBeCloseTo(NUMPY['lm_head.weight'].sum, 9);
    await mem.close();
    expect((await readConfig(files)).vocab_size).toBe(256);
  });

  it('reads config.json', async () => {
    const cfg = await readConfig(DIR);
    expect(cfg.hidden_size).toBe(384);
    expect(cfg.num_key_value_heads).toBe(2);
    await expect(readConfig('test/io')).rejects.toThrow(/config\.json not found/);
  });
});

describe('dtypes and layout', () => {
  it('maps every supported safetensors dtype and decodes little-endian values', async () => {
    const cases: { st: string; dtype: string; bytes: number[]; values: number[] }[] = [
      { st: 'F32', dtype: 'f32', bytes: [0, 0, 0xc0, 0x3f], values: [1.5] },
      { st: 'F64', dtype: 'f64', bytes: [0, 0, 0, 0, 0, 0, 0x04, 0xc0], values: [-2.5] },
      { st: 'F16', dtype: 'f16', bytes: [0x00, 0x3c, 0x00, 0xc0], values: [1, -2] },
      { st: 'BF16', dtype: 'bf16', bytes: [0x80, 0x3f, 0x40, 0xc0], values: [1, -3] },
      { st: 'I8', dtype: 'int8', bytes: [0xff, 0x7f], values: [-1, 127] },
      { st: 'U8', dtype: 'uint8', bytes: [0xff, 0x01], values: [255, 1] },
      { st: 'I16', dtype: 'int16', bytes: [0xfe, 0xff], values: [-2] },
      { st: 'I32', dtype: 'int32', bytes: [0x00, 0x01, 0x00, 0x80], values: [-2147483392] },
      { st: 'I64', dtype: 'int64', bytes: [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], values: [-3] },
      { st: 'BOOL', dtype: 'bool', bytes: [1, 0, 1], values: [1, 0, 1] },
    ];
    for (const c of cases) {
      const f = await openSafetensors(stBytes({ x: { dtype: c.st, shape: [c.values.length], data_offsets: [0, c.bytes.length] } }, new Uint8Array(c.bytes)));
      const t = await f.read('x');
      expect(t.dtype).toBe(c.dtype);
      expect(t.toArray()).toEqual(c.values);
    }
  });

  it('keeps metadata, header order and zero-size tensors; loads a file whole', async () => {
    const header = {
      __metadata__: { format: 'pt', note: 'ünïcode' },
      b: { dtype: 'F32', shape: [2, 0], data_offsets: [4, 4] },
      a: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
    };
    const { tensors, metadata } = await loadSafetensors(stBytes(header, new Uint8Array(new Float32Array([7]).buffer)));
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect(Object.keys(tensors)).toEqual(['b', 'a']);
    expect(tensors.b.shape).toEqual([2, 0]);
    expect(tensors.a.shape).toEqual([]);
    expect(tensors.a.item()).toBe(7);
  });

  it('rejects reads of unknown names and after close', async () => {
    const f = await openSafetensors(stBytes({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([3])));
    expect(() => f.info('b')).toThrow(/no tensor named "b"/);
    await f.close();
    await expect(f.read('a')).rejects.toThrow(/after close/);
  });
});
