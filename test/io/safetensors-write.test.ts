/**
 * Writing safetensors: byte layout (checked by parsing by hand), round trips of every dtype and of
 * strided views, sharded checkpoints of the real tiny Llama, and atomicity: a save that fails midway
 * leaves the old file byte-for-byte intact and no temp file behind.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from './tmp.js';
import { MemoryError } from '../../src/errors.js';
import { DENSE_DTYPES, DTYPES } from '../../src/dtype/table.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { loadSafetensors, openSafetensors } from '../../src/io/safetensors.js';
import { saveCheckpoint, saveSafetensors, serializeSafetensors } from '../../src/io/safetensors-write.js';
import { Tensor, tensor } from '../../src/tensor.js';
import { Storage } from '../../src/memory/storage.js';
import { mulberry32, shape } from '../arbitraries.js';
import { splitSt } from './st-bytes.js';

const DIR = 'test/fixtures/tiny-llama-bytes';

/** A tensor of `dtype` and `shape` filled with random raw bytes (any bit pattern; bool as 0/1). */
function randomTensor(dtype: (typeof DENSE_DTYPES)[number], shp: number[], seed: number): Tensor {
  const eb = DTYPES[dtype].dense.bytes;
  const n = shp.reduce((a, b) => a * b, 1);
  const rnd = mulberry32(seed);
  const bytes = new Uint8Array(n * eb);
  for (let i = 0; i < bytes.length; i++) bytes[i] = dtype === 'bool' ? (rnd() < 0.5 ? 1 : 0) : Math.floor(rnd() * 256);
  return new Tensor(Storage.from(bytes), dtype, shp);
}

/** Fast byte equality (vitest's deep equality is slow on megabyte arrays). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function rawBytes(t: Tensor): Uint8Array {
  const c = t.contiguous();
  return new Uint8Array(c.storage.buffer, c.storage.ptr + c.offset * DTYPES[t.dtype].dense.bytes, t.size * DTYPES[t.dtype].dense.bytes).slice();
}

describe('serializeSafetensors', () => {
  it('writes the documented layout: padded header, consecutive offsets, data in order', async () => {
    const a = tensor([1, 2, 3], [3], 'f32');
    const b = tensor([[1, -1]], [1, 2], 'int16');
    const bytes = await serializeSafetensors({ a, b }, { format: 'pt' });
    const { header, data } = splitSt(bytes);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(header).toEqual({
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'I16', shape: [1, 2], data_offsets: [12, 16] },
    });
    expect(Array.from(new Float32Array(data.slice(0, 12).buffer))).toEqual([1, 2, 3]);
    expect(Array.from(new Int16Array(data.slice(12, 16).buffer))).toEqual([1, -1]);
  });

  it('round-trips every dtype bit for bit, including strided views', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...DENSE_DTYPES), shape({ maxRank: 3, maxSize: 64 }), fc.nat(), fc.boolean(), async (dt, shp, seed, transpose) => {
        let t = randomTensor(dt, shp, seed);
        if (transpose && shp.length >= 2) t = t.transpose();
        const bytes = await serializeSafetensors({ t, 'x.y/z ü': t });
        const { tensors } = await loadSafetensors(bytes);
        expect(Object.keys(tensors)).toEqual(['t', 'x.y/z ü']);
        expect(tensors.t.dtype).toBe(dt);
        expect(tensors.t.shape).toEqual(t.shape);
        expect(sameBytes(rawBytes(tensors.t), rawBytes(t))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects non-string metadata and a tensor named __metadata__', async () => {
    await expect(serializeSafetensors({ a: tensor([1]) }, { n: 1 as unknown as string })).rejects.toThrow(/metadata "n" must be a string/);
    await expect(serializeSafetensors({ __metadata__: tensor([1]) })).rejects.toThrow(/reserved/);
  });
});

describe('saveSafetensors and saveCheckpoint', () => {
  it('saves the real checkpoint sharded and single, and reads back identical tensors', async () => {
    const src = await openCheckpoint(DIR);
    const tensors: Record<string, Tensor> = {};
    for (const n of src.names) tensors[n] = await src.read(n);
    await src.close();
    const dir = await tempDir();
    const saved = await saveCheckpoint(dir, tensors, { maxShardBytes: 8_000_000 });
    expect(saved.files).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(saved.totalBytes).toBe(19277568);
    const back = await openCheckpoint(dir);
    expect(back.names).toEqual(Object.keys(tensors));
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.indexMetadata).toEqual({ total_size: 19277568 });
    for (const n of back.names) {
      const t = await back.read(n);
      expect(sameBytes(rawBytes(t), rawBytes(tensors[n]))).toBe(true);
      t.dispose();
    }
    await back.close();
    // Saving again unsharded replaces the sharded checkpoint: index and old shards are removed.
    await saveCheckpoint(dir, { 'lm_head.weight': tensors['lm_head.weight'] });
    expect((await readdir(dir)).sort()).toEqual(['model.safetensors']);
    const single = await openCheckpoint(dir);
    expect(single.names).toEqual(['lm_head.weight']);
    await single.close();
  });

  it('an interrupted save leaves the old file intact and no temp file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'w.safetensors');
    await saveSafetensors(path, { a: tensor([1, 2, 3]) });
    const before = await readFile(path);
    const big = randomTensor('f32', [1 << 16], 3);
    const dead = tensor([4, 5]);
    dead.dispose();
    // The header and the first tensor are written before the disposed tensor fails the save.
    await expect(saveSafetensors(path, { big, dead })).rejects.toBeInstanceOf(MemoryError);
    expect(sameBytes(await readFile(path), before)).toBe(true);
    expect(await readdir(dir)).toEqual(['w.safetensors']);
    // A failing writer midway through a raw atomic write, too.
    await expect(
      writeFileAtomic(path, async (sink) => {
        await sink.write(new Uint8Array(1000));
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(sameBytes(await readFile(path), before)).toBe(true);
    expect(await readdir(dir)).toEqual(['w.safetensors']);
    // A sharded save that fails in its second shard commits nothing.
    await expect(saveCheckpoint(dir, { big, dead }, { maxShardBytes: 1000 })).rejects.toBeInstanceOf(MemoryError);
    expect(await readdir(dir)).toEqual(['w.safetensors']);
  });

  it('keeps the permission bits of the file it replaces and writes whole files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'm.safetensors');
    await writeFile(path, 'old');
    const { chmod, stat } = await import('node:fs/promises');
    await chmod(path, 0o640);
    await saveSafetensors(path, { a: tensor([[1, 2], [3, 4]], [2, 2], 'bf16') }, { note: 'x' });
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    const f = await openSafetensors(path);
    expect(f.metadata).toEqual({ note: 'x' });
    expect((await f.read('a')).toArray()).toEqual([[1, 2], [3, 4]]);
    await f.close();
  });
});
