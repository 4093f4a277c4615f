/** Test helper: temp directories removed when the test file finishes. Not a test file. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** A new empty directory under the OS temp dir, deleted after the file's tests. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'qt-io-'));
  made.push(d);
  return d;
}
