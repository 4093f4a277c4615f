/**
 * Atomic file writes for Node (and Deno/Bun through `node:fs/promises`): the bytes go to a temp file
 * in the target's directory, are fsynced, and the temp file is renamed over the target, so a reader
 * sees either the old file or the complete new one, never a half-written file. On any error the temp
 * file is removed and the old file is left as it was (DESIGN.md decision 8).
 *
 * `node:fs/promises` and `node:path` are imported on demand inside the functions, so importing this
 * module costs nothing in a browser bundle (calling it there throws a clear error).
 *
 * Not a lock: two processes saving the same path concurrently each produce a complete file, and the
 * last rename wins.
 */
import { importFs } from './sources.js';

/** Where the bytes of a file being written go, chunk by chunk. */
export interface WriteSink {
  /** Appends `chunk` (it may be reused by the caller once the promise resolves). */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

/** Produces the content of a file by writing to a sink. */
export type FileFill = (sink: WriteSink) => Promise<void>;

/**
 * A complete, fsynced temp file waiting to replace its target.
 * @example
 * const p = await writeTemp('out.bin', async (s) => s.write(bytes));
 * await p.commit(); // or p.discard()
 */
export interface PendingFile {
  /** The path the file will have after `commit`. */
  readonly path: string;
  /** Where the bytes are now. */
  readonly tempPath: string;
  /** Renames the temp file over `path` (atomic within one file system). */
  commit(): Promise<void>;
  /** Removes the temp file (idempotent; a no-op after `commit`). */
  discard(): Promise<void>;
}

/** Largest single write request: Node caps one `write` call at 2 GiB - 1, so larger chunks loop. */
const MAX_WRITE_CHUNK = 1 << 30;

function randomTag(): string {
  const b = new Uint8Array(6);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * The temp path used for `path`: a hidden file in the same directory (so the rename stays on one file
 * system), with a random tag and a `.tmp` suffix.
 */
export async function tempPathFor(path: string): Promise<string> {
  const { dirname, basename, join } = await import('node:path');
  return join(dirname(path), `.${basename(path)}.${randomTag()}.tmp`);
}

/**
 * Writes a temp file next to `path` with the content `fill` produces, fsyncs it and returns it
 * uncommitted. If `fill` or any write fails, the temp file is removed and the error rethrown.
 * The temp file gets the permission bits of an existing target (so a rename does not change them).
 * @example
 * const pending = await writeTemp('/tmp/a.bin', async (sink) => { await sink.write(new Uint8Array([1])); });
 * await pending.commit();
 */
export async function writeTemp(path: string, fill: FileFill): Promise<PendingFile> {
  const fs = await importFs();
  const tempPath = await tempPathFor(path);
  let mode = 0o666;
  try {
    mode = (await fs.stat(path)).mode & 0o777;
  } catch {
    // No target yet: default mode (minus the umask).
  }
  const fh = await fs.open(tempPath, 'wx', mode);
  let written = 0;
  try {
    const sink: WriteSink = {
      async write(chunk) {
        let done = 0;
        while (done < chunk.length) {
          const n = Math.min(chunk.length - done, MAX_WRITE_CHUNK);
          const { bytesWritten } = await fh.write(chunk, done, n);
          done += bytesWritten;
        }
        written += chunk.length;
      },
      get bytesWritten() {
        return written;
      },
    };
    await fill(sink);
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw e;
  }
  let state: 'pending' | 'committed' | 'discarded' = 'pending';
  return {
    path,
    tempPath,
    async commit() {
      if (state !== 'pending') throw new Error(`${path}: temp file ${tempPath} was already ${state}`);
      try {
        await fs.rename(tempPath, path);
      } catch (e) {
        state = 'discarded';
        await fs.rm(tempPath, { force: true }).catch(() => undefined);
        throw e;
      }
      state = 'committed';
    },
    async discard() {
      if (state !== 'pending') return;
      state = 'discarded';
      await fs.rm(tempPath, { force: true });
    },
  };
}

/**
 * Fsyncs a directory so renames in it survive a power loss. Best effort: some platforms (Windows)
 * cannot open a directory for syncing, and the rename itself is already atomic there.
 */
export async function syncDir(dir: string): Promise<void> {
  const fs = await importFs();
  let fh: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Not supported on this platform or file system: nothing more can be done.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes a file atomically: temp file in the same directory, fsync, rename over `path`, fsync of the
 * directory. `data` is either the bytes or a function writing them chunk by chunk (so a large file
 * is never held in memory whole). On error the old file at `path` is untouched and no temp file
 * remains.
 * @example
 * await writeFileAtomic('/tmp/config.json', new TextEncoder().encode('{}'));
 * await writeFileAtomic('/tmp/big.bin', async (sink) => { for (const c of chunks) await sink.write(c); });
 */
export async function writeFileAtomic(path: string, data: Uint8Array | FileFill): Promise<void> {
  const fill: FileFill = typeof data === 'function' ? data : (sink) => sink.write(data);
  const pending = await writeTemp(path, fill);
  await pending.commit();
  const { dirname } = await import('node:path');
  await syncDir(dirname(path));
}
