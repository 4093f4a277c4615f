/**
 * The README's example is code a user will paste: run it as written (with the package name pointed
 * at the sources) and check the values its comments promise.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'quantensor-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function example(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README has no ```ts block under "## Example"');
  return m[1];
}

describe('README example', () => {
  it('runs and prints what its comments say', async () => {
    const entry = pathToFileURL(join(root, 'src/index.ts')).href;
    const file = join(dir, 'example.ts');
    writeFileSync(file, example().replace(/from 'quantensor'/g, `from '${entry}'`));
    const lines: unknown[][] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      spy.mockRestore();
    }
    // Line by line, the values the comments promise.
    expect(lines[0]).toEqual(['int4', [256, 512], 4.15625]);
    const err = Number(/relative error ([\d.]+)/.exec(String(lines[1][0]))![1]);
    expect(err).toBeGreaterThan(0.08); // about 0.10: a 4-bit grid on gaussian weights
    expect(err).toBeLessThan(0.12);
    expect(lines[2]).toEqual([4 + 16 / 64]); // nf4 codes + one f16 scale per 64
    expect(lines[3]).toEqual([[4, 256]]);
  });
});
