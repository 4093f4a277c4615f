/**
 * Reading safetensors files lazily: `openSafetensors` reads and validates the header only; `read`
 * fetches one tensor's bytes straight into library storage (the wasm heap when active), so a weight
 * is copied once, from the source into its final place. Sources: a file path (Node, Deno, Bun via
 * `node:fs`), a Blob/File (browsers), bytes in memory, or any `ByteSource`.
 *
 * Not the writer (safetensors-write.ts) and not sharded checkpoints (checkpoint.ts).
 */
import { ValueError } from '../errors.js';
import type { DenseDType } from '../dtype/table.js';
import { Storage } from '../memory/storage.js';
import { Tensor } from '../tensor.js';
import { PREFIX_BYTES, headerLength, parseSafetensorsHeader, type SafetensorsEntry } from './safetensors-header.js';
import { checkSource, openSource, readBytes, type ByteSource, type SourceInput } from './sources.js';

/** What a tensor is, without reading it. */
export interface TensorInfo {
  readonly dtype: DenseDType;
  readonly shape: readonly number[];
  /** Bytes of its data. */
  readonly byteLength: number;
}

/** The interface shared by one safetensors file and a sharded checkpoint. */
export interface TensorReader {
  /** Tensor names, in file (or index) order. */
  readonly names: readonly string[];
  /** Whether the reader holds a tensor of this name. */
  has(name: string): boolean;
  /** dtype, shape and byte length of a tensor (no I/O). */
  info(name: string): TensorInfo;
  /** Reads one tensor into new storage owned by the caller. */
  read(name: string): Promise<Tensor>;
  /** Releases file handles; idempotent. */
  close(): Promise<void>;
}

/**
 * An open safetensors file.
 * @example
 * const f = await openSafetensors('model.safetensors');
 * try { const w = await f.read(f.names[0]); } finally { await f.close(); }
 */
export interface SafetensorsFile extends TensorReader {
  /** The source's label (path or file name), used in errors. */
  readonly label: string;
  /** The header's `__metadata__` (string to string; empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute file offset of a tensor's first byte (for tools; `read` is the way to get data). */
  offsetOf(name: string): number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest single read into storage; between chunks the view is re-derived (memory may have grown). */
const READ_CHUNK = 1 << 24;

/**
 * Reads `byteLength` bytes at `position` of `src` into a fresh Storage, chunk by chunk, directly into
 * the storage's bytes. A non-shared wasm memory that grows while a read is pending detaches the view
 * that read targets; the chunk is then read again into a fresh view.
 */
async function readIntoStorage(src: ByteSource, position: number, byteLength: number): Promise<Storage> {
  const storage = Storage.alloc(byteLength, { zero: false });
  try {
    for (let done = 0; done < byteLength; ) {
      const n = Math.min(READ_CHUNK, byteLength - done);
      for (;;) {
        const view = new Uint8Array(storage.buffer, storage.ptr + done, n);
        await src.readInto(position + done, view);
        if (view.byteLength === n) break; // not detached: the bytes landed in the storage
      }
      done += n;
    }
  } catch (e) {
    storage.dispose();
    throw e;
  }
  return storage;
}

/**
 * Opens a safetensors file for lazy reading: reads the 8-byte length and the header, validates them
 * (see safetensors-header.ts), and keeps the source open for `read` until `close`.
 * @param source a path, `file:` URL, Blob/File, ArrayBuffer, typed array or ByteSource
 * @throws FormatError naming the file (and tensor) when the header is malformed or hostile
 * @example
 * const f = await openSafetensors('test/fixtures/tiny-llama-bytes/model-00002-of-00002.safetensors');
 * f.info('lm_head.weight'); // { dtype: 'bf16', shape: [256, 384], byteLength: 196608 }
 * const w = await f.read('lm_head.weight');
 * await f.close();
 */
export async function openSafetensors(source: SourceInput, label?: string): Promise<SafetensorsFile> {
  checkSource('openSafetensors', source);
  if (!LITTLE_ENDIAN) throw new ValueError('safetensors data is little-endian; this platform is big-endian, which is not supported');
  const src = await openSource(source, label);
  try {
    return await openFromSource(src);
  } catch (e) {
    await src.close();
    throw e;
  }
}

async function openFromSource(src: ByteSource): Promise<SafetensorsFile> {
  const n = headerLength(await readBytes(src, 0, Math.min(PREFIX_BYTES, src.size)), src.size, src.label);
  const header = parseSafetensorsHeader(await readBytes(src, PREFIX_BYTES, n), src.size - PREFIX_BYTES - n, src.label);
  const byName = new Map<string, SafetensorsEntry>();
  for (const e of header.entries) byName.set(e.name, e);
  const names = header.entries.map((e) => e.name);
  const entry = (name: string): SafetensorsEntry => {
    const e = byName.get(name);
    if (!e) throw new ValueError(`${src.label}: no tensor named "${name}" (${names.length} tensors)`);
    return e;
  };
  let closed = false;
  return {
    label: src.label,
    names,
    metadata: header.metadata,
    has: (name) => byName.has(name),
    info(name) {
      const e = entry(name);
      return { dtype: e.dtype, shape: [...e.shape], byteLength: e.end - e.begin };
    },
    offsetOf: (name) => header.dataStart + entry(name).begin,
    async read(name) {
      if (closed) throw new ValueError(`${src.label}: read of "${name}" after close`);
      const e = entry(name);
      const storage = await readIntoStorage(src, header.dataStart + e.begin, e.end - e.begin);
      return new Tensor(storage, e.dtype, [...e.shape]);
    },
    async close() {
      closed = true;
      await src.close();
    },
  };
}

/**
 * Reads every tensor of a safetensors file (convenience over `openSafetensors` for small files).
 * @example
 * const { tensors, metadata } = await loadSafetensors(bytes);
 */
export async function loadSafetensors(
  source: SourceInput,
): Promise<{ tensors: Record<string, Tensor>; metadata: Readonly<Record<string, string>> }> {
  checkSource('loadSafetensors', source);
  const f = await openSafetensors(source);
  const tensors: Record<string, Tensor> = {};
  try {
    for (const name of f.names) tensors[name] = await f.read(name);
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  } finally {
    await f.close();
  }
  return { tensors, metadata: f.metadata };
}
