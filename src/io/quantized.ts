/**
 * The library's own quantized checkpoint format: a plain safetensors file (or sharded checkpoint) in
 * which every QTensor is stored as ordinary tensors plus a JSON description in `__metadata__`, so any
 * safetensors reader can open it and this module restores QTensors that dequantize bit for bit as
 * before. Dense tensors are stored as they are.
 *
 * Generic by construction: a QTensor named `w` becomes
 * ```
 * w.codes          uint8 [rows, rowBytes]           the packed codes
 * w.<field>        one tensor per Tensor-valued qparams field (scales, zeros, codebook, perm,
 *                  inputScale, and any field a future dtype adds), stored narrowed when exact:
 *                  an f32 field whose values are all f16 (else bf16) values is written as F16 (BF16)
 *                  and widened back on load, so f16 scales cost 16 bits on disk and nothing is lost
 * __metadata__["quantensor.qtensors"] = JSON { w: { dtype, shape, params: { every non-Tensor qparams
 *                  field: groupSize, perTensor, scaleDtype, symmetric, indexBits, ... },
 *                  parts: { codes: "w.codes", scales: "w.scales", ... }, partDtypes: { scales: "f32" } } }
 * __metadata__["quantensor.format"] = "1"
 * ```
 * Not GPTQ/AWQ layouts (gptq-format.ts) and not a quantizer.
 */
import { FormatError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { isDenseDType, isQuantDType, type DenseDType, type QuantDType } from '../dtype/table.js';
import { roundToBF16, roundToF16 } from '../dtype/half.js';
import { QTensor, type QParams } from '../qtensor.js';
import { Tensor } from '../tensor.js';
import { checkCheckpointInput, checkPath, checkRecord } from './args.js';
import { isJsonObject } from './json.js';
import { openCheckpoint, type CheckpointFiles } from './checkpoint.js';
import { openSafetensors, type TensorReader } from './safetensors.js';
import { saveCheckpoint, saveSafetensors, serializeSafetensors, type SaveCheckpointOptions } from './safetensors-write.js';
import { checkSource, type SourceInput } from './sources.js';

/** Metadata key holding the QTensor descriptions. */
export const QTENSORS_KEY = 'quantensor.qtensors';
/** Metadata key holding the format version. */
export const FORMAT_KEY = 'quantensor.format';
const FORMAT_VERSION = '1';

/** A tensor or quantized tensor, as the quantized format stores them (or any type a codec handles). */
export type AnyTensor = Tensor | QTensor;

/**
 * How a quantized tensor type other than QTensor is stored: split into named Tensors plus
 * JSON-serializable params, and rebuilt from them. Codecs are passed explicitly to the save and open
 * functions (no registration), so a layer above io (e.g. the PVQ quantizer's PvqTensor) can add one.
 * @example
 * const pvqCodec: TensorCodec<PvqTensor> = {
 *   kind: 'pvq',
 *   matches: (x): x is PvqTensor => x instanceof PvqTensor,
 *   encode: (q) => ({ shape: [...q.shape], tensors: { codes: q.codes, scales: q.scales, levels: q.levels }, params: { dim: q.dim, pulses: q.pulses, ampBits: q.ampBits, scaleDtype: q.scaleDtype, rotation: q.rotation } }),
 *   decode: (t, p, shape) => new PvqTensor(shape, p.dim as number, p.pulses as number, p.ampBits as number, t.codes, t.scales, p.scaleDtype as 'f16', t.levels, p.rotation as PvqRotation | null),
 * };
 * await saveQuantized('m.safetensors', { w: pvq }, undefined, { codecs: [pvqCodec] });
 */
export interface TensorCodec<T = unknown> {
  /** Stored in the description; must not be 'qtensor' (the built-in codec). */
  readonly kind: string;
  matches(x: unknown): x is T;
  encode(x: T): { shape: number[]; tensors: Record<string, Tensor>; params: Record<string, unknown> };
  /** Rebuilds the value; takes ownership of `tensors`. */
  decode(tensors: Record<string, Tensor>, params: Record<string, unknown>, shape: number[]): T;
}

/** Options of the quantized-format functions. */
export interface QuantizedOptions {
  /** Codecs for quantized types besides QTensor. */
  readonly codecs?: readonly TensorCodec[];
}

/** How one quantized tensor is described in the metadata. */
interface QRecord {
  /** 'qtensor' (absent in files of the first writers) or a codec's kind. */
  kind?: string;
  dtype: string;
  shape: number[];
  params: Record<string, unknown>;
  parts: Record<string, string>;
  /** Dtype each part had in memory, when it was stored narrowed. */
  partDtypes: Record<string, string>;
}

/** Whether every value of an f32 tensor survives a round trip through `round`. */
function allExact(t: Tensor, round: (x: number) => number): boolean {
  const v = t.data() as Float32Array;
  for (let i = 0; i < v.length; i++) if (round(v[i]) !== v[i] && !(Number.isNaN(v[i]) && Number.isNaN(round(v[i])))) return false;
  return true;
}

/** The narrowest exact storage of a part: f32 fields go to f16 or bf16 when no value changes. */
function narrow(t: Tensor): Tensor {
  if (t.dtype !== 'f32') return t;
  if (allExact(t, roundToF16)) return t.astype('f16');
  if (allExact(t, roundToBF16)) return t.astype('bf16');
  return t;
}

/**
 * Splits tensors into the plain tensors and metadata of the quantized format (no I/O). Temporary
 * narrowed copies are listed in `owned` for the caller to dispose after writing.
 * @example
 * const { tensors, metadata } = toQuantizedParts({ 'q_proj.weight': q, 'norm.weight': n });
 */
export function toQuantizedParts(
  input: Readonly<Record<string, unknown>>,
  metadata: Readonly<Record<string, string>> = {},
  opts: QuantizedOptions = {},
): { tensors: Record<string, Tensor>; metadata: Record<string, string>; owned: Tensor[] } {
  for (const k of Object.keys(metadata)) {
    if (k.startsWith('quantensor.')) throw new ValueError(`metadata key "${k}" is reserved (keys starting with "quantensor.")`);
  }
  const tensors: Record<string, Tensor> = {};
  const owned: Tensor[] = [];
  const records: Record<string, QRecord> = {};
  const put = (name: string, t: Tensor) => {
    if (Object.prototype.hasOwnProperty.call(tensors, name)) throw new ValueError(`tensor name "${name}" is used twice (a QTensor part collides with another tensor)`);
    tensors[name] = t;
  };
  /** Stores `fields` (Tensors become parts, the rest params) under the record of `name`. */
  const store = (name: string, rec: QRecord, fields: Readonly<Record<string, unknown>>) => {
    for (const [field, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      if (v instanceof Tensor) {
        const stored = narrow(v);
        if (stored !== v) {
          owned.push(stored);
          rec.partDtypes[field] = v.dtype;
        }
        rec.parts[field] = `${name}.${field}`;
        put(`${name}.${field}`, stored);
      } else {
        rec.params[field] = v;
      }
    }
    records[name] = rec;
  };
  for (const [name, x] of Object.entries(input)) {
    if (x instanceof Tensor) {
      put(name, x);
    } else if (x instanceof QTensor) {
      x.checkAlive();
      const rec: QRecord = { dtype: x.dtype, shape: [...x.shape], params: {}, parts: { codes: `${name}.codes` }, partDtypes: {} };
      put(`${name}.codes`, x.codes);
      store(name, rec, x.qparams as unknown as Record<string, unknown>);
    } else {
      const codec = opts.codecs?.find((c) => c.matches(x));
      if (!codec) throw new ValueError(`"${name}" must be a Tensor or QTensor, or a type one of the given codecs handles`);
      if (codec.kind === 'qtensor') throw new ValueError(`codec kind "qtensor" is reserved for QTensor`);
      const e = codec.encode(x);
      if (!e.tensors.codes) throw new ValueError(`codec "${codec.kind}" must encode a "codes" tensor`);
      const rec: QRecord = { kind: codec.kind, dtype: codec.kind, shape: [...e.shape], params: {}, parts: {}, partDtypes: {} };
      store(name, rec, { ...e.tensors, ...e.params });
    }
  }
  const meta: Record<string, string> = { ...metadata };
  if (Object.keys(records).length > 0) {
    meta[FORMAT_KEY] = FORMAT_VERSION;
    meta[QTENSORS_KEY] = JSON.stringify(records);
  }
  return { tensors, metadata: meta, owned };
}

/**
 * Saves tensors and QTensors to one safetensors file in the quantized format, atomically.
 * @example
 * await saveQuantized('model.q.safetensors', { 'layers.0.q_proj.weight': quantize(w, { dtype: 'int4', groupSize: 128 }) });
 */
export async function saveQuantized(
  path: string,
  tensors: Readonly<Record<string, unknown>>,
  metadata?: Readonly<Record<string, string>>,
  opts: QuantizedOptions = {},
): Promise<void> {
  checkPath('saveQuantized', path);
  checkRecord('saveQuantized', tensors, 'tensors');
  checkOptions('saveQuantized', opts);
  const p = toQuantizedParts(tensors, metadata, opts);
  try {
    await saveSafetensors(path, p.tensors, p.metadata);
  } finally {
    for (const t of p.owned) t.dispose();
  }
}

/**
 * Serializes tensors and QTensors to bytes in the quantized format (browsers).
 * @example
 * const bytes = await serializeQuantized({ w: q });
 */
export async function serializeQuantized(
  tensors: Readonly<Record<string, unknown>>,
  metadata?: Readonly<Record<string, string>>,
  opts: QuantizedOptions = {},
): Promise<Uint8Array> {
  checkRecord('serializeQuantized', tensors, 'tensors');
  checkOptions('serializeQuantized', opts);
  const p = toQuantizedParts(tensors, metadata, opts);
  try {
    return await serializeSafetensors(p.tensors, p.metadata);
  } finally {
    for (const t of p.owned) t.dispose();
  }
}

/**
 * Saves a sharded checkpoint directory in the quantized format (see `saveCheckpoint`). A QTensor's
 * parts may land in different shards; the metadata is repeated in every shard.
 * @example
 * await saveQuantizedCheckpoint('out', tensors, { maxShardBytes: 2e9 });
 */
export async function saveQuantizedCheckpoint(
  dir: string,
  tensors: Readonly<Record<string, unknown>>,
  opts: SaveCheckpointOptions & QuantizedOptions = {},
): Promise<void> {
  checkPath('saveQuantizedCheckpoint', dir, 'dir');
  checkRecord('saveQuantizedCheckpoint', tensors, 'tensors');
  checkOptions('saveQuantizedCheckpoint', opts);
  const p = toQuantizedParts(tensors, opts.metadata ?? { format: 'pt' }, opts);
  try {
    await saveCheckpoint(dir, p.tensors, { ...opts, metadata: p.metadata });
  } finally {
    for (const t of p.owned) t.dispose();
  }
}

function parseRecords(metadata: Readonly<Record<string, string>>, label: string): Record<string, QRecord> {
  const text = metadata[QTENSORS_KEY];
  if (text === undefined) return {};
  if (metadata[FORMAT_KEY] !== FORMAT_VERSION) {
    throw new FormatError(`${label}: quantized format version ${JSON.stringify(metadata[FORMAT_KEY])} is not supported (expected "${FORMAT_VERSION}")`);
  }
  let recs: unknown;
  try {
    recs = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${label}: metadata "${QTENSORS_KEY}" is not valid JSON (${(e as Error).message})`);
  }
  if (!isJsonObject(recs)) throw new FormatError(`${label}: metadata "${QTENSORS_KEY}" must be an object`);
  for (const [name, r] of Object.entries(recs)) {
    const ok =
      isJsonObject(r) &&
      typeof r.dtype === 'string' &&
      Array.isArray(r.shape) &&
      isJsonObject(r.params) &&
      isJsonObject(r.parts) &&
      typeof r.parts.codes === 'string' &&
      Object.values(r.parts).every((v) => typeof v === 'string') &&
      isJsonObject(r.partDtypes) &&
      (r.kind === undefined || typeof r.kind === 'string');
    if (!ok) throw new FormatError(`${label}: QTensor "${name}" has a malformed description`);
    const isQ = r.kind === undefined || r.kind === 'qtensor';
    if (isQ && !isQuantDType(r.dtype as string)) throw new FormatError(`${label}: QTensor "${name}" has unknown quantized dtype ${JSON.stringify(r.dtype)}`);
  }
  return recs as Record<string, QRecord>;
}

/** What `QuantizedReader.info` reports. */
export type StoredInfo =
  | { readonly kind: 'dense'; readonly dtype: DenseDType; readonly shape: readonly number[]; readonly byteLength: number }
  | {
      readonly kind: 'quantized';
      /** The quantized dtype of a QTensor, or a codec's kind. */
      readonly dtype: QuantDType | string;
      readonly shape: readonly number[];
      /** Bytes of every stored part (codes and qparams) together. */
      readonly byteLength: number;
      /** The non-tensor qparams (groupSize, symmetric, scaleDtype, ...). */
      readonly params: Readonly<Record<string, unknown>>;
    };

/**
 * A reader of the quantized format: dense tensors read as they are, QTensors reassembled from their
 * parts. Works over one file or a sharded checkpoint.
 * @example
 * const r = await openQuantized('model.q.safetensors');
 * const q = await r.read('layers.0.q_proj.weight'); // QTensor
 */
export interface QuantizedReader {
  /** Names of the stored tensors and QTensors (QTensor parts are not listed). */
  readonly names: readonly string[];
  /** User metadata (the format's own keys removed). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Files read: the shards of a checkpoint, or the one file's label. */
  readonly files: readonly string[];
  /** Whether `name` is a QTensor. */
  isQuantized(name: string): boolean;
  /** What a tensor is, without reading it; `byteLength` sums a QTensor's stored parts. */
  info(name: string): StoredInfo;
  /** A Tensor, a QTensor, or what a codec decodes. */
  read(name: string): Promise<AnyTensor>;
  close(): Promise<void>;
}

/** Checks the input of openQuantized/loadQuantized (naming `op`); true for a `{ checkpoint }`. */
function checkQuantizedInput(op: string, input: unknown): boolean {
  if (typeof input === 'object' && input !== null && 'checkpoint' in input) {
    checkCheckpointInput(op, (input as { checkpoint: unknown }).checkpoint);
    return true;
  }
  checkSource(op, input);
  return false;
}

/**
 * Opens a file or checkpoint in the quantized format (any safetensors file opens; one without
 * QTensors reads as dense tensors).
 * @param input a `.safetensors` path/Blob/bytes, or a checkpoint directory / file map (`{ checkpoint }`)
 * @example
 * const r = await openQuantized({ checkpoint: 'out' });
 */
export async function openQuantized(input: SourceInput | { checkpoint: string | CheckpointFiles }, opts: QuantizedOptions = {}): Promise<QuantizedReader> {
  const isCkpt = checkQuantizedInput('openQuantized', input);
  checkOptions('openQuantized', opts);
  const reader: TensorReader & { metadata: Readonly<Record<string, string>>; label: string } = isCkpt
    ? await openCheckpoint((input as { checkpoint: string | CheckpointFiles }).checkpoint)
    : await openSafetensors(input as SourceInput);
  let records: Record<string, QRecord>;
  try {
    records = parseRecords(reader.metadata, reader.label);
    const partNames = new Set<string>();
    for (const [name, r] of Object.entries(records)) {
      for (const p of Object.values(r.parts)) {
        if (!reader.has(p)) throw new FormatError(`${reader.label}: QTensor "${name}" needs tensor "${p}", which the file does not hold`);
        partNames.add(p);
      }
    }
    const names = [...reader.names.filter((n) => !partNames.has(n)), ...Object.keys(records).filter((n) => !reader.has(n))];
    const metadata = Object.fromEntries(Object.entries(reader.metadata).filter(([k]) => !k.startsWith('quantensor.')));
    return {
      names,
      metadata,
      files: 'files' in reader ? (reader.files as readonly string[]) : [reader.label],
      isQuantized: (name) => Object.prototype.hasOwnProperty.call(records, name),
      info(name): StoredInfo {
        const rec = Object.prototype.hasOwnProperty.call(records, name) ? records[name] : undefined;
        if (!rec) return { kind: 'dense', ...reader.info(name) };
        let byteLength = 0;
        for (const p of Object.values(rec.parts)) byteLength += reader.info(p).byteLength;
        return { kind: 'quantized', dtype: rec.dtype, shape: [...rec.shape], byteLength, params: { ...rec.params } };
      },
      async read(name) {
        const rec = Object.prototype.hasOwnProperty.call(records, name) ? records[name] : undefined;
        if (!rec) return reader.read(name);
        return readQTensor(reader, name, rec, opts.codecs ?? []);
      },
      close: () => reader.close(),
    };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

async function readQTensor(reader: TensorReader & { label: string }, name: string, rec: QRecord, codecs: readonly TensorCodec[]): Promise<AnyTensor> {
  const kind = rec.kind ?? 'qtensor';
  const codec = kind === 'qtensor' ? undefined : codecs.find((c) => c.kind === kind);
  if (kind !== 'qtensor' && !codec) throw new FormatError(`${reader.label}: "${name}" is stored by codec "${kind}"; pass that codec to read it`);
  const parts: Record<string, Tensor> = {};
  try {
    for (const [field, partName] of Object.entries(rec.parts)) {
      let t = await reader.read(partName);
      const want = rec.partDtypes[field];
      if (want !== undefined) {
        if (typeof want !== 'string' || !isDenseDType(want)) throw new FormatError(`${reader.label}: QTensor "${name}" part ${field} has bad dtype ${JSON.stringify(want)}`);
        const wide = t.astype(want as DenseDType);
        if (wide !== t) t.dispose();
        t = wide;
      }
      parts[field] = t;
    }
    try {
      if (codec) return codec.decode(parts, { ...rec.params }, [...rec.shape]) as AnyTensor;
      const { codes, ...fields } = parts;
      const qparams = { ...rec.params, ...fields } as unknown as QParams;
      return new QTensor(rec.dtype as QTensor['dtype'], rec.shape, codes, qparams);
    } catch (e) {
      throw new FormatError(`${reader.label}: QTensor "${name}" (${rec.dtype} ${fmtShape(rec.shape)}) is inconsistent: ${(e as Error).message}`);
    }
  } catch (e) {
    for (const t of Object.values(parts)) t.dispose();
    throw e;
  }
}

/**
 * Reads every tensor and QTensor of a file (or `{ checkpoint }`) in the quantized format.
 * @example
 * const { tensors } = await loadQuantized('model.q.safetensors');
 * dequantize(tensors['layers.0.q_proj.weight'] as QTensor);
 */
export async function loadQuantized(
  input: SourceInput | { checkpoint: string | CheckpointFiles },
  opts: QuantizedOptions = {},
): Promise<{ tensors: Record<string, AnyTensor>; metadata: Readonly<Record<string, string>> }> {
  checkQuantizedInput('loadQuantized', input);
  checkOptions('loadQuantized', opts);
  const r = await openQuantized(input, opts);
  const tensors: Record<string, AnyTensor> = {};
  try {
    for (const n of r.names) tensors[n] = await r.read(n);
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  } finally {
    await r.close();
  }
  return { tensors, metadata: r.metadata };
}
