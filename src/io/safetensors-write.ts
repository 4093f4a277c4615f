/**
 * Writing safetensors: to bytes (browsers, tests) or to a file atomically (atomic.ts: temp file,
 * fsync, rename), streaming one tensor at a time so a checkpoint is never held in memory twice; and
 * sharded checkpoints in the Hugging Face layout (`model-0000i-of-0000n.safetensors` plus
 * `model.safetensors.index.json`) when the data exceeds a shard size.
 *
 * Layout written (see safetensors-header.ts): tensors in the order given, data offsets consecutive,
 * header JSON padded with spaces to a multiple of 8 bytes so every tensor starts 8-aligned.
 * Not the reader (safetensors.ts).
 *
 * Tensor bytes are handed to the file system straight from storage, chunk by chunk, with the view
 * re-derived per chunk; with a non-shared wasm memory (browsers without cross-origin isolation),
 * do not allocate tensors while a save is in flight.
 */
import { ValueError, checkOptions } from '../errors.js';
import { DTYPES } from '../dtype/table.js';
import { checkTensor, type Tensor } from '../tensor.js';
import { checkPath, checkRecord } from './args.js';
import { writeFileAtomic, writeTemp, syncDir, type FileFill, type PendingFile, type WriteSink } from './atomic.js';
import { INDEX_FILE, SINGLE_FILE } from './checkpoint.js';
import { SAFETENSORS_DTYPES } from './safetensors-header.js';

/** Bytes handed to one write: views are re-derived per chunk (a wasm memory may grow in between). */
const WRITE_CHUNK = 1 << 24;

function elemBytes(t: Tensor): number {
  return DTYPES[t.dtype].dense.bytes;
}

/** The prefix (u64 length) and padded header JSON of a file holding `tensors` in order. */
function headerBytes(tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`metadata "${k}" must be a string, got ${typeof v} (safetensors metadata maps strings to strings)`);
    }
    header.__metadata__ = metadata;
  }
  let pos = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new ValueError('"__metadata__" is reserved and cannot name a tensor');
    const n = t.size * elemBytes(t);
    header[name] = { dtype: SAFETENSORS_DTYPES[t.dtype], shape: [...t.shape], data_offsets: [pos, pos + n] };
    pos += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** Writes a tensor's elements in row-major order, chunk by chunk, copying only non-contiguous views. */
async function writeTensor(sink: WriteSink, t: Tensor): Promise<void> {
  const eb = elemBytes(t);
  const total = t.size * eb;
  if (total === 0) return;
  const src = t.isContiguous ? t : t.contiguous();
  try {
    const start = src.offset * eb;
    for (let done = 0; done < total; done += WRITE_CHUNK) {
      const n = Math.min(WRITE_CHUNK, total - done);
      await sink.write(new Uint8Array(src.storage.buffer, src.storage.ptr + start + done, n));
    }
  } finally {
    if (src !== t) src.dispose();
  }
}

/** The entry check of the writers: `tensors` is an object whose every value is a Tensor. */
function checkTensors(op: string, tensors: Readonly<Record<string, Tensor>>): void {
  checkRecord(op, tensors, 'tensors');
  for (const [name, t] of Object.entries(tensors)) checkTensor(op, t, `tensor "${name}"`);
}

function fillFor(tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): FileFill {
  const head = headerBytes(tensors, metadata);
  return async (sink) => {
    await sink.write(head);
    for (const t of Object.values(tensors)) await writeTensor(sink, t);
  };
}

/**
 * Serializes tensors to safetensors bytes (in memory; for files prefer `saveSafetensors`).
 * @param metadata string-to-string `__metadata__`
 * @example
 * const bytes = serializeSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { format: 'pt' });
 * const back = await loadSafetensors(bytes);
 */
export async function serializeSafetensors(
  tensors: Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  checkTensors('serializeSafetensors', tensors);
  // The size is known from the header and the shapes, so the bytes are written once, in place.
  let total = headerBytes(tensors, metadata).length;
  for (const t of Object.values(tensors)) total += t.size * elemBytes(t);
  const out = new Uint8Array(total);
  let p = 0;
  await fillFor(tensors, metadata)({
    async write(c) {
      out.set(c, p);
      p += c.length;
    },
    get bytesWritten() {
      return p;
    },
  });
  return out;
}

/**
 * Saves tensors to one safetensors file atomically: the bytes stream into a temp file next to `path`,
 * which is fsynced and renamed over it. If anything fails (a disposed tensor, a full disk), the old
 * file is untouched and no temp file remains.
 * @example
 * await saveSafetensors('out/model.safetensors', { 'lm_head.weight': w }, { format: 'pt' });
 */
export async function saveSafetensors(
  path: string,
  tensors: Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  checkPath('saveSafetensors', path);
  checkTensors('saveSafetensors', tensors);
  await writeFileAtomic(path, fillFor(tensors, metadata));
}

/** Options of `saveCheckpoint`. */
export interface SaveCheckpointOptions {
  /** `__metadata__` of every shard (default `{ format: 'pt' }`, as transformers writes). */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Largest data bytes per shard before a new shard starts (default 5 GB, transformers' default
   * `max_shard_size`). A tensor larger than this gets a shard of its own.
   */
  maxShardBytes?: number;
}

/** What `saveCheckpoint` wrote. */
export interface SavedCheckpoint {
  /** Shard file names in order (`model.safetensors` when unsharded). */
  readonly files: readonly string[];
  /** Total tensor data bytes. */
  readonly totalBytes: number;
}

function shardName(i: number, n: number): string {
  const p = (k: number) => String(k).padStart(5, '0');
  return `model-${p(i + 1)}-of-${p(n)}.safetensors`;
}

/** Shards named by an existing index in `dir` that the new checkpoint does not reuse. */
async function staleFiles(dir: string, keep: readonly string[]): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let text: string;
  try {
    text = await readFile(join(dir, INDEX_FILE), 'utf8');
  } catch {
    return [];
  }
  try {
    const idx = JSON.parse(text) as { weight_map?: Record<string, unknown> };
    const old = new Set(Object.values(idx.weight_map ?? {}).filter((f): f is string => typeof f === 'string'));
    // Only plain file names are removed: an index is data, and must not steer a delete outside `dir`.
    return [...old].filter((f) => !keep.includes(f) && /^[\w.-]+\.safetensors$/.test(f));
  } catch {
    return [];
  }
}

/**
 * Saves a checkpoint directory in the Hugging Face layout: `model.safetensors`, or shards plus
 * `model.safetensors.index.json` when the data exceeds `maxShardBytes`. Every shard is first written
 * and fsynced as a temp file; only when all are complete are they renamed into place, the index last,
 * so an interrupted save leaves the previous checkpoint's files as they were. Afterwards, shards of a
 * previous sharded checkpoint that the new one does not overwrite are removed (and its index, when
 * the new checkpoint is a single file), so the directory holds exactly one checkpoint.
 * @example
 * const { files } = await saveCheckpoint('out', tensors, { maxShardBytes: 10_000_000 });
 */
export async function saveCheckpoint(
  dir: string,
  tensors: Readonly<Record<string, Tensor>>,
  opts: SaveCheckpointOptions = {},
): Promise<SavedCheckpoint> {
  checkPath('saveCheckpoint', dir, 'dir');
  checkTensors('saveCheckpoint', tensors);
  checkOptions('saveCheckpoint', opts);
  const { mkdir, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const metadata = opts.metadata ?? { format: 'pt' };
  const max = opts.maxShardBytes ?? 5e9;
  if (!(max > 0)) throw new ValueError(`maxShardBytes must be positive, got ${max}`);
  const groups: Record<string, Tensor>[] = [{}];
  let inShard = 0;
  let totalBytes = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.size * elemBytes(t);
    if (inShard > 0 && inShard + n > max) {
      groups.push({});
      inShard = 0;
    }
    groups[groups.length - 1][name] = t;
    inShard += n;
    totalBytes += n;
  }
  await mkdir(dir, { recursive: true });
  const files = groups.length === 1 ? [SINGLE_FILE] : groups.map((_, i) => shardName(i, groups.length));
  const pending: PendingFile[] = [];
  try {
    for (let i = 0; i < groups.length; i++) pending.push(await writeTemp(join(dir, files[i]), fillFor(groups[i], metadata)));
    if (groups.length > 1) {
      const weightMap: Record<string, string> = {};
      groups.forEach((g, i) => Object.keys(g).forEach((name) => (weightMap[name] = files[i])));
      const index = JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: weightMap }, null, 2) + '\n';
      const bytes = new TextEncoder().encode(index);
      pending.push(await writeTemp(join(dir, INDEX_FILE), (sink) => sink.write(bytes)));
    }
  } catch (e) {
    await Promise.all(pending.map((p) => p.discard()));
    throw e;
  }
  const stale = await staleFiles(dir, files);
  for (const p of pending) await p.commit();
  // The new files are in place; only now do the previous checkpoint's leftovers go (its index first,
  // so at every moment the directory holds one consistent checkpoint).
  if (groups.length === 1) await rm(join(dir, INDEX_FILE), { force: true });
  for (const f of stale) await rm(join(dir, f), { force: true });
  await syncDir(dir);
  return { files, totalBytes };
}
