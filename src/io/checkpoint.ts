/**
 * Checkpoints in the Hugging Face layout: a directory holding `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{ metadata, weight_map: { tensor: shard file } }`), plus
 * `config.json`. `openCheckpoint` gives the same `TensorReader` interface as one safetensors file,
 * across shards, opening every shard's header up front and reading tensors lazily.
 *
 * In Node (Deno, Bun) the input is a directory or index path; in a browser, a map from file name to
 * Blob/File/bytes (e.g. from a directory picker). Not a downloader and not a writer (safetensors-write.ts).
 */
import { FormatError, ValueError } from '../errors.js';
import { checkCheckpointInput } from './args.js';
import { isJsonObject, parseJsonStrict } from './json.js';
import { openSafetensors, type SafetensorsFile, type TensorInfo, type TensorReader } from './safetensors.js';
import { importFs, type SourceInput } from './sources.js';

/** Files of a checkpoint held in memory or as Blobs, by file name (browsers). */
export type CheckpointFiles = Readonly<Record<string, Blob | ArrayBuffer | ArrayBufferView>>;

/** The index file name of a sharded checkpoint. */
export const INDEX_FILE = 'model.safetensors.index.json';
/** The file name of an unsharded checkpoint. */
export const SINGLE_FILE = 'model.safetensors';

/**
 * An open checkpoint (one file or several shards).
 * @example
 * const ckpt = await openCheckpoint('test/fixtures/tiny-llama-bytes');
 * const w = await ckpt.read('model.layers.0.self_attn.q_proj.weight');
 * await ckpt.close();
 */
export interface Checkpoint extends TensorReader {
  /** Where it was opened from (directory or `<files>`). */
  readonly label: string;
  /** Shard file names, in index order (one entry when unsharded). */
  readonly files: readonly string[];
  /** `__metadata__` of the first shard (transformers writes the same `{ format: 'pt' }` in each). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The index's `metadata` object (`total_size`, ...), empty when unsharded. */
  readonly indexMetadata: Readonly<Record<string, unknown>>;
  /** The shard file holding a tensor. */
  fileOf(name: string): string;
}

/** Resolves files of a checkpoint by name: read whole (small JSON files) or opened as sources. */
interface Location {
  readonly label: string;
  readText(file: string): Promise<string | null>;
  exists(file: string): Promise<boolean>;
  source(file: string): Promise<SourceInput>;
}

async function dirLocation(dir: string): Promise<Location> {
  const fs = await importFs();
  const path = await import('node:path');
  return {
    label: dir,
    async readText(file) {
      try {
        return await fs.readFile(path.join(dir, file), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    exists: (file) => fs.stat(path.join(dir, file)).then(
      () => true,
      () => false,
    ),
    source: async (file) => path.join(dir, file),
  };
}

function filesLocation(files: CheckpointFiles): Location {
  const get = (file: string) => (Object.prototype.hasOwnProperty.call(files, file) ? files[file] : undefined);
  return {
    label: '<files>',
    async readText(file) {
      const f = get(file);
      if (f === undefined) return null;
      if (typeof Blob !== 'undefined' && f instanceof Blob) return f.text();
      const bytes = f instanceof ArrayBuffer ? new Uint8Array(f) : new Uint8Array((f as ArrayBufferView).buffer, (f as ArrayBufferView).byteOffset, (f as ArrayBufferView).byteLength);
      return new TextDecoder().decode(bytes);
    },
    exists: async (file) => get(file) !== undefined,
    async source(file) {
      const f = get(file);
      if (f === undefined) throw new FormatError(`<files>: ${file} is missing`);
      return f;
    },
  };
}

/** Throws unless a shard name from an index is a plain relative file name (no escape from the directory). */
function checkShardName(file: string, label: string): void {
  if (file === '' || file.startsWith('/') || file.includes('\\') || /^[a-zA-Z]:/.test(file) || file.split('/').some((s) => s === '..' || s === '')) {
    throw new FormatError(`${label}: shard file name ${JSON.stringify(file)} must be a relative path inside the checkpoint directory`);
  }
}

interface ParsedIndex {
  readonly weightMap: ReadonlyMap<string, string>;
  readonly files: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

function parseIndex(text: string, label: string): ParsedIndex {
  const idx = parseJsonStrict(text, label);
  if (!isJsonObject(idx) || !isJsonObject(idx.weight_map)) throw new FormatError(`${label}: must be an object with a "weight_map" object`);
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [name, file] of Object.entries(idx.weight_map)) {
    if (typeof file !== 'string') throw new FormatError(`${label}: weight_map["${name}"] must be a file name, got ${JSON.stringify(file)}`);
    checkShardName(file, label);
    weightMap.set(name, file);
    if (!files.includes(file)) files.push(file);
  }
  const metadata = idx.metadata === undefined ? {} : idx.metadata;
  if (!isJsonObject(metadata)) throw new FormatError(`${label}: "metadata" must be an object`);
  return { weightMap, files, metadata };
}

/**
 * Opens a checkpoint: a directory holding `model.safetensors.index.json` (sharded) or
 * `model.safetensors`, a path to an index or a `.safetensors` file, or (browsers) a map of file
 * names to Blobs/bytes. Every shard's header is validated on open; the index must name, for every
 * tensor, a shard that holds it, and every tensor of a shard must be in the index.
 * @throws FormatError naming the file and tensor when the index and shards disagree
 * @example
 * const ckpt = await openCheckpoint('test/fixtures/tiny-llama-bytes');
 * ckpt.names.length;                                     // 57
 * ckpt.info('lm_head.weight');                           // { dtype: 'bf16', shape: [256, 384], byteLength: 196608 }
 * ckpt.fileOf('lm_head.weight');                         // 'model-00002-of-00002.safetensors'
 * await ckpt.close();
 */
export async function openCheckpoint(input: string | CheckpointFiles): Promise<Checkpoint> {
  checkCheckpointInput('openCheckpoint', input);
  let loc: Location;
  let indexFile: string | null = INDEX_FILE;
  let singleFile = SINGLE_FILE;
  if (typeof input === 'string') {
    const fs = await importFs();
    const path = await import('node:path');
    const st = await fs.stat(input);
    if (st.isDirectory()) loc = await dirLocation(input);
    else {
      loc = await dirLocation(path.dirname(input));
      const base = path.basename(input);
      if (base.endsWith('.json')) indexFile = base;
      else {
        indexFile = null;
        singleFile = base;
      }
    }
  } else {
    loc = filesLocation(input);
  }
  const indexText = indexFile === null ? null : await loc.readText(indexFile);
  if (indexText === null) {
    if (indexFile !== null && indexFile !== INDEX_FILE) throw new FormatError(`${loc.label}: ${indexFile} not found`);
    if (!(await loc.exists(singleFile))) {
      throw new FormatError(`${loc.label}: ${indexFile === null ? `${singleFile} not found` : `neither ${INDEX_FILE} nor ${SINGLE_FILE} found`}`);
    }
    const src = await loc.source(singleFile);
    const f = await openSafetensors(src, typeof src === 'string' ? src : singleFile);
    return fromShards(loc.label, [singleFile], [f], null, {});
  }
  const index = parseIndex(indexText, `${loc.label}/${indexFile}`);
  const shards: SafetensorsFile[] = [];
  try {
    for (const file of index.files) {
      const src = await loc.source(file);
      shards.push(await openSafetensors(src, typeof src === 'string' ? src : file));
    }
    return fromShards(loc.label, index.files, shards, index.weightMap, index.metadata);
  } catch (e) {
    await Promise.all(shards.map((s) => s.close()));
    throw e;
  }
}

function fromShards(
  label: string,
  files: readonly string[],
  shards: readonly SafetensorsFile[],
  weightMap: ReadonlyMap<string, string> | null,
  indexMetadata: Readonly<Record<string, unknown>>,
): Checkpoint {
  const owner = new Map<string, number>();
  for (let s = 0; s < shards.length; s++) {
    for (const name of shards[s].names) {
      const prev = owner.get(name);
      if (prev !== undefined) throw new FormatError(`${label}: tensor "${name}" is in both ${files[prev]} and ${files[s]}`);
      if (weightMap && weightMap.get(name) !== files[s]) {
        throw new FormatError(`${label}: tensor "${name}" is in ${files[s]} but the index ${weightMap.has(name) ? `maps it to ${weightMap.get(name)}` : 'does not list it'}`);
      }
      owner.set(name, s);
    }
  }
  let names: string[];
  if (weightMap) {
    for (const [name, file] of weightMap) {
      if (!owner.has(name)) throw new FormatError(`${label}: the index maps tensor "${name}" to ${file}, which does not hold it`);
    }
    names = [...weightMap.keys()];
  } else {
    names = [...shards[0].names];
  }
  const shardIndex = (name: string): number => {
    const s = owner.get(name);
    if (s === undefined) throw new ValueError(`${label}: no tensor named "${name}" (${names.length} tensors)`);
    return s;
  };
  const shardOf = (name: string): SafetensorsFile => shards[shardIndex(name)];
  return {
    label,
    files,
    names,
    metadata: shards[0]?.metadata ?? {},
    indexMetadata,
    has: (name) => owner.has(name),
    info: (name): TensorInfo => shardOf(name).info(name),
    read: (name) => shardOf(name).read(name),
    fileOf: (name) => files[shardIndex(name)],
    async close() {
      await Promise.all(shards.map((s) => s.close()));
    },
  };
}

/**
 * Reads and parses `config.json` of a checkpoint directory (or a map of files in a browser).
 * @throws FormatError when it is missing, not JSON, or not an object
 * @example
 * const cfg = await readConfig('test/fixtures/tiny-llama-bytes');
 * cfg.hidden_size; // 384
 */
export async function readConfig(input: string | CheckpointFiles, file = 'config.json'): Promise<Record<string, unknown>> {
  checkCheckpointInput('readConfig', input);
  const loc = typeof input === 'string' ? await dirLocation(input) : filesLocation(input);
  const text = await loc.readText(file);
  if (text === null) throw new FormatError(`${loc.label}: ${file} not found`);
  const cfg = parseJsonStrict(text, `${loc.label}/${file}`);
  if (!isJsonObject(cfg)) throw new FormatError(`${loc.label}/${file}: must be a JSON object`);
  return cfg;
}
