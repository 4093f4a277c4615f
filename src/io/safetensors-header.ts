/**
 * The safetensors header: parsing and validation of the JSON table of contents of a safetensors file
 * (https://github.com/huggingface/safetensors, "Format"), and the dtype names it uses. Pure: bytes
 * in, a validated table out, no I/O. The readers (safetensors.ts) and writers (safetensors-write.ts)
 * build on it.
 *
 * File layout:
 * ```
 * [0, 8)            u64 little-endian N: header length in bytes
 * [8, 8 + N)        UTF-8 JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { str: str } }
 *                   (writers pad it with spaces to a multiple of 8)
 * [8 + N, size)     the data buffer; tensor bytes at [8 + N + begin, 8 + N + end), row-major, little-endian
 * ```
 *
 * Validation follows the reference implementation's rules, and names the file and tensor on failure:
 * N at most 100 MB and inside the file; valid UTF-8 and JSON with no duplicate key; every entry a
 * supported dtype, a shape of non-negative integers and integer offsets with begin <= end; the byte
 * span equal to elements x element size; the spans, sorted, tiling the data buffer exactly (no hole,
 * no overlap, no trailing bytes). Nothing is allocated in proportion to a size the file claims.
 */
import { FormatError, fmtShape } from '../errors.js';
import { DTYPES, type DenseDType } from '../dtype/table.js';
import { isJsonObject, parseJsonStrict } from './json.js';

/**
 * The safetensors name of each dense dtype (all of them have one). Safetensors types with no library
 * dtype (U16, U32, U64, F8_E4M3, F8_E5M2, ...) are rejected when read.
 */
export const SAFETENSORS_DTYPES = {
  f32: 'F32',
  f64: 'F64',
  f16: 'F16',
  bf16: 'BF16',
  int8: 'I8',
  uint8: 'U8',
  int16: 'I16',
  int32: 'I32',
  int64: 'I64',
  bool: 'BOOL',
} as const satisfies Record<DenseDType, string>;

const FROM_SAFETENSORS = new Map<string, DenseDType>(
  (Object.entries(SAFETENSORS_DTYPES) as [DenseDType, string][]).map(([d, s]) => [s, d]),
);

/**
 * The library dtype of a safetensors dtype name, or undefined when there is none.
 * @example
 * denseFromSafetensors('BF16'); // 'bf16'
 */
export function denseFromSafetensors(name: string): DenseDType | undefined {
  return FROM_SAFETENSORS.get(name);
}

/** Largest header accepted, as in the reference implementation (a larger one is hostile or broken). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes before the header: its u64 length. */
export const PREFIX_BYTES = 8;

/** One tensor of a safetensors file, validated. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: DenseDType;
  readonly shape: readonly number[];
  /** Offsets relative to the start of the data buffer (header's `data_offsets`). */
  readonly begin: number;
  readonly end: number;
}

/** A validated header. */
export interface SafetensorsHeader {
  /** Header length N (JSON plus padding). */
  readonly headerBytes: number;
  /** Absolute file offset of the data buffer: 8 + N. */
  readonly dataStart: number;
  /** Tensors in the order the header lists them. */
  readonly entries: readonly SafetensorsEntry[];
  /** The `__metadata__` map (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Reads and checks the header length N from the first 8 bytes of a file of `fileSize` bytes.
 * @throws FormatError when the file is shorter than 8 bytes, or N exceeds the cap or the file
 * @example
 * headerLength(new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0]), 1024, 'a.safetensors'); // 16
 */
export function headerLength(prefix: Uint8Array, fileSize: number, label: string): number {
  if (fileSize < PREFIX_BYTES || prefix.length < PREFIX_BYTES) {
    throw new FormatError(`${label}: ${fileSize} bytes is too short for a safetensors file (8-byte header length missing)`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(`${label}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (n > BigInt(fileSize - PREFIX_BYTES)) {
    throw new FormatError(`${label}: header length ${n} exceeds the ${fileSize - PREFIX_BYTES} bytes after the length field`);
  }
  return Number(n);
}

function isSafeNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, v: unknown, dataBytes: number, label: string): SafetensorsEntry {
  const where = `${label}: tensor "${name}"`;
  if (!isJsonObject(v)) throw new FormatError(`${where}: entry must be an object with dtype, shape and data_offsets`);
  const { dtype: rawDtype, shape: rawShape, data_offsets: offs } = v;
  if (typeof rawDtype !== 'string') throw new FormatError(`${where}: dtype must be a string, got ${JSON.stringify(rawDtype)}`);
  const dtype = denseFromSafetensors(rawDtype);
  if (!dtype) {
    throw new FormatError(`${where}: unsupported dtype ${JSON.stringify(rawDtype)} (supported: ${[...FROM_SAFETENSORS.keys()].join(', ')})`);
  }
  if (!Array.isArray(rawShape) || !rawShape.every(isSafeNonNegInt)) {
    throw new FormatError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(rawShape)}`);
  }
  const shape = rawShape as number[];
  if (!Array.isArray(offs) || offs.length !== 2 || !isSafeNonNegInt(offs[0]) || !isSafeNonNegInt(offs[1])) {
    throw new FormatError(`${where}: data_offsets must be two non-negative integers, got ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  if (begin > end) throw new FormatError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) {
    throw new FormatError(`${where}: data_offsets [${begin}, ${end}] exceed the ${dataBytes}-byte data buffer`);
  }
  // Elements times element size must equal the span. Multiply with an early exit, so a hostile shape
  // of huge dimensions is compared without overflowing past exactness.
  const span = end - begin;
  const elem = DTYPES[dtype].dense.bytes;
  let bytes: number = elem;
  for (const d of shape) {
    bytes *= d;
    if (bytes > span) break;
  }
  if (shape.includes(0)) bytes = 0;
  if (bytes !== span) {
    throw new FormatError(
      `${where}: ${rawDtype} ${fmtShape(shape)} needs ${bytes > span ? `more than ${span}` : bytes} bytes, but data_offsets [${begin}, ${end}] span ${span}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/**
 * Parses and validates the header JSON of a file whose data buffer holds `dataBytes` bytes.
 * @param json the N header bytes (UTF-8 JSON, trailing spaces allowed)
 * @throws FormatError naming `label` and the tensor at fault
 * @example
 * const h = parseSafetensorsHeader(headerBytes, fileSize - 8 - headerBytes.length, 'model.safetensors');
 * h.entries[0].dtype; // 'bf16'
 */
export function parseSafetensorsHeader(json: Uint8Array, dataBytes: number, label: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    throw new FormatError(`${label}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new FormatError(`${label}: header must be a JSON object starting with "{"`);
  const top = parseJsonStrict(text, `${label} header`);
  if (!isJsonObject(top)) throw new FormatError(`${label}: header must be a JSON object`);
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(top)) {
    if (name === '__metadata__') {
      if (!isJsonObject(v) || !Object.values(v).every((x) => typeof x === 'string')) {
        throw new FormatError(`${label}: __metadata__ must be an object of string values`);
      }
      metadata = { ...(v as Record<string, string>) };
      continue;
    }
    entries.push(parseEntry(name, v, dataBytes, label));
  }
  checkTiling(entries, dataBytes, label);
  return { headerBytes: json.length, dataStart: PREFIX_BYTES + json.length, entries, metadata };
}

/** Throws unless the tensor spans, sorted, cover [0, dataBytes) exactly once. */
function checkTiling(entries: readonly SafetensorsEntry[], dataBytes: number, label: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: SafetensorsEntry | null = null;
  for (const e of sorted) {
    if (e.begin < pos) {
      throw new FormatError(`${label}: tensor "${e.name}" at [${e.begin}, ${e.end}] overlaps tensor "${prev!.name}" at [${prev!.begin}, ${prev!.end}]`);
    }
    if (e.begin > pos) {
      throw new FormatError(`${label}: bytes [${pos}, ${e.begin}) of the data buffer belong to no tensor (before tensor "${e.name}")`);
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataBytes) {
    throw new FormatError(`${label}: tensors cover ${pos} bytes but the data buffer holds ${dataBytes} (trailing bytes belong to no tensor)`);
  }
}
