/**
 * TEMPORARY: a minimal reader of a (sharded) safetensors checkpoint directory, standing in for
 * `openCheckpoint` / `readConfig` of src/io until they land; it will be deleted then. Node only.
 */
import { FormatError } from '../errors.js';
import { Tensor, empty } from '../tensor.js';
import type { DenseDType } from '../dtype/table.js';

/** The part of the src/io checkpoint interface the models use. */
export interface CheckpointLike {
  readonly names: readonly string[];
  info(name: string): { dtype: string; shape: readonly number[] };
  read(name: string): Promise<Tensor>;
  close?(): Promise<void>;
}

const DT: Record<string, DenseDType> = { BF16: 'bf16', F16: 'f16', F32: 'f32' };

/** Opens `dir` (model.safetensors or an index of shards). */
export async function openCheckpointAdapter(dir: string): Promise<CheckpointLike> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  let files: string[];
  try {
    const idx = JSON.parse(await fs.readFile(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    files = [...new Set(Object.values(idx.weight_map))];
  } catch {
    files = ['model.safetensors'];
  }
  const table = new Map<string, { file: string; dtype: string; shape: number[]; start: number; end: number }>();
  for (const f of files) {
    const buf = await fs.readFile(path.join(dir, f));
    const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
    const hdr = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    for (const [name, e] of Object.entries(hdr)) {
      if (name === '__metadata__') continue;
      table.set(name, { file: f, dtype: e.dtype, shape: e.shape, start: 8 + n + e.data_offsets[0], end: 8 + n + e.data_offsets[1] });
    }
  }
  return {
    names: [...table.keys()],
    info(name) {
      const e = table.get(name);
      if (!e) throw new FormatError(`${dir}: no tensor ${name}`);
      return { dtype: DT[e.dtype] ?? e.dtype, shape: e.shape };
    },
    async read(name) {
      const e = table.get(name);
      if (!e) throw new FormatError(`${dir}: no tensor ${name}`);
      const dt = DT[e.dtype];
      if (!dt) throw new FormatError(`${name}: dtype ${e.dtype} unsupported`);
      const fh = await fs.open(path.join(dir, e.file), 'r');
      try {
        const t: Tensor = empty(e.shape, dt);
        const bytes = new Uint8Array(e.end - e.start);
        await fh.read(bytes, 0, bytes.length, e.start);
        new Uint8Array(t.storage.buffer, t.storage.ptr, bytes.length).set(bytes);
        return t;
      } finally {
        await fh.close();
      }
    },
  };
}

/** Reads and parses `config.json` of `dir`. */
export async function readConfigAdapter(dir: string): Promise<unknown> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  return JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8'));
}
