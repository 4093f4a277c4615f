/**
 * Byte sources: random access to the bytes of a file, a Blob or a buffer, so a reader can fetch one
 * tensor at a time instead of loading a checkpoint whole. Three kinds:
 * - in memory (ArrayBuffer / typed array): reads are copies out of the buffer;
 * - Blob / File (browsers, Node, Deno, Bun): `blob.slice(a, b).arrayBuffer()`;
 * - a file path (Node, and Deno/Bun through their `node:` compatibility): `FileHandle.read` at an
 *   offset. `node:fs/promises` is imported dynamically inside `fileSource` only, so this module (and
 *   every runtime-independent module importing it) loads in a browser; there, passing a path throws.
 *
 * Not a cache and not a stream: every read goes to the source. Bounds are checked before any
 * allocation, so a read can never allocate more than the source holds.
 */
import { FormatError, ValueError, describeValue } from '../errors.js';

/**
 * Random-access bytes of known size.
 * @example
 * const src = bytesSource(new Uint8Array([1, 2, 3]));
 * const b = await readBytes(src, 1, 2); // Uint8Array [2, 3]
 */
export interface ByteSource {
  /** Names the source in error messages (a path, a file name, `<bytes>`). */
  readonly label: string;
  /** Size in bytes. */
  readonly size: number;
  /** Fills `target` with the bytes at `position ..< position + target.length` (inside the source). */
  readInto(position: number, target: Uint8Array): Promise<void>;
  /** Releases the source (closes a file handle); idempotent. */
  close(): Promise<void>;
}

/** Everything `openSource` accepts: a path (Node), a `file:` URL, a Blob/File, bytes, or a ByteSource. */
export type SourceInput = string | URL | Blob | ArrayBuffer | ArrayBufferView | ByteSource;

function checkRange(src: ByteSource, position: number, length: number): void {
  if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0 || position + length > src.size) {
    throw new FormatError(`${src.label}: read of ${length} bytes at offset ${position} is outside the ${src.size} bytes of the source`);
  }
}

/**
 * Reads `length` bytes at `position` into a new Uint8Array owned by the caller. The range is checked
 * against the source size before anything is allocated.
 * @example
 * const header = await readBytes(src, 0, 8);
 */
export async function readBytes(src: ByteSource, position: number, length: number): Promise<Uint8Array> {
  checkRange(src, position, length);
  const out = new Uint8Array(length);
  if (length > 0) await src.readInto(position, out);
  return out;
}

/**
 * A source over bytes in memory (not copied: later changes to `data` are visible to reads).
 * @example
 * const src = bytesSource(serializeSafetensors({ w: tensor([1, 2]) }));
 */
export function bytesSource(data: ArrayBuffer | ArrayBufferView, label = '<bytes>'): ByteSource {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const src: ByteSource = {
    label,
    size: bytes.byteLength,
    async readInto(position, target) {
      checkRange(src, position, target.length);
      target.set(bytes.subarray(position, position + target.length));
    },
    async close() {},
  };
  return src;
}

/**
 * A source over a Blob or File (reads slice the blob, so only the requested bytes are loaded).
 * @example
 * const src = blobSource(fileInput.files[0]);
 */
export function blobSource(blob: Blob, label?: string): ByteSource {
  const name = (blob as { name?: unknown }).name;
  const src: ByteSource = {
    label: label ?? (typeof name === 'string' && name !== '' ? name : '<blob>'),
    size: blob.size,
    async readInto(position, target) {
      checkRange(src, position, target.length);
      const buf = await blob.slice(position, position + target.length).arrayBuffer();
      if (buf.byteLength !== target.length) {
        throw new FormatError(`${src.label}: blob read returned ${buf.byteLength} of ${target.length} bytes at offset ${position}`);
      }
      target.set(new Uint8Array(buf));
    },
    async close() {},
  };
  return src;
}

/** Largest single read request: Node caps one `read` call at 2 GiB - 1, so larger reads loop. */
const MAX_READ_CHUNK = 1 << 30;

/**
 * Opens a file for random access (Node; Deno and Bun through `node:fs/promises`). Only the file size
 * is read here; bytes are read on demand. Close it when done.
 * @example
 * const src = await fileSource('model.safetensors');
 * try { console.log(src.size); } finally { await src.close(); }
 */
export async function fileSource(path: string | URL): Promise<ByteSource> {
  const fs = await importFs();
  const label = typeof path === 'string' ? path : path.pathname;
  const fh = await fs.open(path, 'r');
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch (e) {
    await fh.close();
    throw e;
  }
  let closed = false;
  const src: ByteSource = {
    label,
    size,
    async readInto(position, target) {
      if (closed) throw new ValueError(`${label}: read after close`);
      checkRange(src, position, target.length);
      let done = 0;
      while (done < target.length) {
        const want = Math.min(target.length - done, MAX_READ_CHUNK);
        const { bytesRead } = await fh.read(target, done, want, position + done);
        if (bytesRead === 0) {
          throw new FormatError(`${label}: file ended at ${position + done} bytes while reading ${target.length} bytes at offset ${position} (was it truncated while open?)`);
        }
        done += bytesRead;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
  return src;
}

/** Loads `node:fs/promises` on demand, with a clear error where it does not exist (browsers). */
export async function importFs(): Promise<typeof import('node:fs/promises')> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new ValueError('file paths need node:fs (Node, Deno, Bun); in a browser pass a Blob, File or ArrayBuffer');
  }
}

function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && typeof (x as ByteSource).readInto === 'function' && typeof (x as ByteSource).size === 'number';
}

/**
 * Throws a ValueError naming `op` unless `input` is a `SourceInput` (checked before any I/O, so the
 * public readers name themselves).
 * @example
 * checkSource('openSafetensors', {}); // ValueError: openSafetensors: cannot read from an object (Object): pass a path, ...
 */
export function checkSource(op: string, input: unknown): asserts input is SourceInput {
  if (
    typeof input === 'string' ||
    input instanceof URL ||
    (typeof Blob !== 'undefined' && input instanceof Blob) ||
    input instanceof ArrayBuffer ||
    ArrayBuffer.isView(input) ||
    isByteSource(input)
  ) {
    return;
  }
  throw new ValueError(`${op}: cannot read from ${describeValue(input)}: pass a path, Blob, ArrayBuffer, typed array or ByteSource`);
}

/**
 * Opens any `SourceInput` as a ByteSource: paths and `file:` URLs as files, Blobs by slicing,
 * ArrayBuffers and typed arrays in memory; a ByteSource is returned as is.
 * @example
 * const src = await openSource(new Uint8Array(bytes), 'weights');
 */
export async function openSource(input: SourceInput, label?: string): Promise<ByteSource> {
  checkSource('openSource', input);
  if (typeof input === 'string' || input instanceof URL) return fileSource(input);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input, label);
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return bytesSource(input, label);
  return input as ByteSource;
}
