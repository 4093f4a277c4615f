/**
 * The packed GEMVs of the speed targets in each JavaScript runtime (`npx tsx bench/runtimes.ts`):
 * bundles bench/runtimes-probe.ts with tsup and runs it in Node, Bun and Deno (the pinned
 * devDependencies), on the default SIMD128 build and on the relaxed-SIMD one where the runtime has
 * it (Node 20 with --experimental-wasm-relaxed-simd; Deno 2 and Bun without a flag).
 * Each probe checks its results before timing. Prints the table; `--json FILE` writes the run for
 * bench/report.ts --runtimes (the page's section "Other runtimes"). One thread; not part of
 * `npm run bench`, whose peers run in Node only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEsm } from '../test/portable/bundle.js';
import { thisMachine } from './machine.js';
import type { RuntimeOutput } from './runtimes-probe.js';
import { runtimesTable, type RuntimesFile } from './runtimes-table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string): string => join(ROOT, 'node_modules/.bin', name);

/** Command lines that run a script: name, argv (default build), argv (asking for the relaxed build). */
const RUNTIMES: readonly { name: string; argv: (s: string, relaxed: boolean) => string[] }[] = [
  { name: 'node', argv: (s, r) => [process.execPath, ...(r ? ['--experimental-wasm-relaxed-simd'] : []), s, ...(r ? ['--relaxed'] : [])] },
  { name: 'bun', argv: (s, r) => [bin('bun'), s, ...(r ? ['--relaxed'] : [])] },
  { name: 'deno', argv: (s, r) => [bin('deno'), 'run', '--allow-read', '--allow-env', s, ...(r ? ['--relaxed'] : [])] },
];

function run(argv: string[]): RuntimeOutput {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RUNTIMES '));
  if (!line) throw new Error(`${argv.join(' ')}: no result (exit ${r.status}); stderr:\n${r.stderr}`);
  const out = JSON.parse(line.slice(9)) as RuntimeOutput | { error: string };
  if ('error' in out) throw new Error(`${argv.join(' ')}: ${out.error}`);
  return out;
}

const jsonAt = process.argv.indexOf('--json');
const jsonPath = jsonAt >= 0 ? process.argv[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !jsonPath) throw new Error('--json needs a file name');
const started = new Date().toISOString();
const load = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'quantensor-runtimes-'));
try {
  const script = await bundleEsm('runtimes-probe', join(ROOT, 'bench/runtimes-probe.ts'), dir, 'node', '.mjs');
  const runs: RuntimeOutput[] = [];
  for (const rt of RUNTIMES) {
    for (const relaxed of [false, true]) {
      const out = run(rt.argv(script, relaxed));
      // a runtime without relaxed SIMD keeps the SIMD128 build, already in the table
      if (relaxed && !out.relaxed) console.log(`${out.runtime}: no relaxed SIMD`);
      else runs.push(out);
    }
  }
  const file: RuntimesFile = {
    started,
    machine: thisMachine(load),
    command: `npx tsx bench/runtimes.ts${jsonPath ? ` --json ${jsonPath}` : ''}`,
    runs,
  };
  console.log(runtimesTable(file).join('\n'));
  if (jsonPath) writeFileSync(jsonPath, `${JSON.stringify(file, null, 1)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
