/**
 * Bundles a test entry and the library it imports into one ESM file with tsup, for the tests that
 * run the library in another engine (test/browser/run.ts, test/runtimes/run.ts,
 * test/kernels/threads-browser.ts). `node:` builtins stay imports. Not a vitest file.
 */
import { join } from 'node:path';

/**
 * Writes `<name><ext>` (plus any shared chunks) to outDir and returns its path.
 * platform 'neutral' for browsers, 'node' for Node-compatible runtimes.
 * @example
 * const file = await bundleEsm('probe', 'test/runtimes/probe.ts', dir, 'node', '.mjs');
 */
export async function bundleEsm(name: string, entry: string, outDir: string, platform: 'neutral' | 'node', ext = '.js'): Promise<string> {
  const { build } = await import('tsup');
  await build({
    entry: { [name]: entry },
    format: ['esm'],
    platform,
    target: 'es2022',
    external: [/^node:/],
    outDir,
    outExtension: () => ({ js: ext }),
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    config: false,
  });
  return join(outDir, name + ext);
}
