/**
 * The runtime test (`npm run test:runtimes`): the library in Node, Bun and Deno. It bundles
 * test/runtimes/probe.ts as ESM with tsup (platform node: node builtins stay imports), runs it with
 * each runtime (Bun and Deno are the pinned devDependencies `bun` and `deno`, their binaries under
 * node_modules/.bin; never a downloaded one), and checks:
 * - every runtime instantiates the wasm module and its shared cases (test/portable/cases.ts) match
 *   Node's f64 dots and JS reference kernels (int8 activations and codes bit-identical);
 * - setThreads(2) starts workers that run part of a packed GEMV (within 200 calls) with the bits of
 *   one thread;
 * - I/O: Bun and Deno read the bundled sharded bf16 checkpoint to the same f32 values as Node, and
 *   save a quantized file atomically (no temp file left) that reads back bit-identical;
 * - the model: GPTQ int4 of the bundled tiny Llama on two threads gives the perplexities Node gives
 *   (within 1e-4 relative: the engines' Math.exp and Math.log may differ in the last bit);
 * - the relaxed-SIMD build (useRelaxedSimd; Node with --experimental-wasm-relaxed-simd, Bun and Deno
 *   without a flag) runs in each and gives the shared cases' expected outputs: the int4 x int8
 *   matmul bit-identical (the README's "the same bits"), the float ones within the same tolerance.
 * Deno runs with file read and write permissions only, plus the variables os.tmpdir() reads (the
 * probe's temp directory): the library needs nothing more (no network, env, sys or subprocesses).
 * Not a vitest file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEsm } from '../portable/bundle.js';
import { caseMismatches, expected, makeInput, mismatch, type CaseExpected } from '../portable/cases.js';
import type { ProbeInput, ProbeOutput, RelaxedOutput } from './probe.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/tiny-llama-bytes');
const RUN_MS = 300_000;

interface Runtime {
  readonly name: string;
  /** The command line that runs a script with arguments (with the flag relaxed SIMD needs, if any). */
  readonly argv: (relaxed: boolean, script: string, ...args: string[]) => string[];
}

const bin = (name: string): string => join(ROOT, 'node_modules/.bin', name);
const RUNTIMES: Runtime[] = [
  { name: 'node', argv: (r, s, ...a) => [process.execPath, ...(r ? ['--experimental-wasm-relaxed-simd'] : []), s, ...a] },
  { name: 'bun', argv: (_, s, ...a) => [bin('bun'), s, ...a] },
  { name: 'deno', argv: (_, s, ...a) => [bin('deno'), 'run', '--allow-read', '--allow-write', '--allow-env=TMPDIR,TMP,TEMP', '--no-prompt', s, ...a] },
];

let failures = 0;
function check(what: string, problem: string | null | undefined): void {
  if (problem) {
    failures++;
    console.error(`  FAIL ${what}: ${problem}`);
  }
}

/** Runs the probe with one runtime (`--relaxed`: its relaxed pass): the output line's JSON, or why there is none. */
function runProbe<T>(rt: Runtime, script: string, inputFile: string, relaxed: boolean): T | string {
  const [cmd, ...args] = rt.argv(relaxed, script, inputFile, ...(relaxed ? ['--relaxed'] : []));
  if (rt.name !== 'node' && !existsSync(cmd)) return `${cmd} is missing: run npm install (the ${rt.name} devDependency)`;
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: RUN_MS, maxBuffer: 64 << 20 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) {
    const why = r.error ? String(r.error) : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    return `no result (${why}); stderr:\n${(r.stderr ?? '').split('\n').slice(-20).join('\n')}`;
  }
  const out = JSON.parse(line.slice(6)) as T | { error: string };
  if (typeof out === 'object' && out !== null && 'error' in out) return `the probe threw: ${out.error}`;
  return out as T;
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

/** Checks one runtime's output against the expectations (wants: the cases' expected outputs) and against Node's. */
function compare(name: string, got: ProbeOutput, node: ProbeOutput, input: ProbeInput, wants: CaseExpected[]): void {
  check(`${name} backend`, got.backend === 'wasm' ? null : `'${got.backend}', not wasm`);
  for (let i = 0; i < input.cases.length; i++) {
    const c = input.cases[i];
    const tag = `${name} ${c.m}x${c.k}x${c.n}`;
    for (const m of caseMismatches(tag, got.cases[i], wants[i])) check(tag, m);
  }
  const t = got.threads;
  check(`${name} threads`, t.threads === 2 ? null : `setThreads(2) gave ${t.threads} threads`);
  check(`${name} threads`, t.workerItems > 0 ? null : 'the workers ran no part of the GEMV');
  check(`${name} threads`, t.identical ? null : 'two threads changed the result');
  check(`${name} checkpoint read`, mismatch('embedding head', got.io.embedHead, node.io.embedHead, 0));
  check(`${name} checkpoint read`, got.io.embedSum === node.io.embedSum ? null : `embedding sum ${got.io.embedSum}, Node ${node.io.embedSum}`);
  check(`${name} quantized save/load`, got.io.roundTrip ? null : 'the file read back differs from the saved QTensor');
  check(`${name} quantized save/load`, got.io.leftovers.length === 0 ? null : `left ${got.io.leftovers.join(', ')} behind`);
  for (const k of ['ppl', 'pplInt4'] as const) {
    const e = rel(got.model[k], node.model[k]);
    check(`${name} model ${k}`, e <= 1e-4 ? null : `${got.model[k]}, Node ${node.model[k]} (relative ${e.toExponential(2)})`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-runtimes-'));
  try {
    const script = await bundleEsm('probe', join(ROOT, 'test/runtimes/probe.ts'), dir, 'node', '.mjs');
    const input: ProbeInput = { cases: [makeInput(1, 256, 96, 1), makeInput(8, 256, 96, 2)], fixture: FIXTURE };
    const inputFile = join(dir, 'input.json');
    writeFileSync(inputFile, JSON.stringify(input));
    const wants: CaseExpected[] = [];
    for (const c of input.cases) wants.push(await expected(c));
    const outs = new Map<string, ProbeOutput>();
    for (const rt of RUNTIMES) {
      const t0 = performance.now();
      const out = runProbe<ProbeOutput>(rt, script, inputFile, false);
      if (typeof out === 'string') {
        check(`${rt.name} run`, out);
        continue;
      }
      outs.set(rt.name, out);
      console.log(`  ${rt.name}: ${out.runtime}, ${Math.round(performance.now() - t0)} ms (model part ${out.model.ms} ms: ppl ${out.model.ppl.toFixed(5)} -> ${out.model.pplInt4.toFixed(5)}; ${out.threads.workerItems} GEMV items on workers)`);
    }
    const node = outs.get('node');
    if (node) {
      // Node's own run is checked against the expectations as well; Bun and Deno against Node too.
      check('node model', node.model.pplInt4 > node.model.ppl && node.model.pplInt4 < 1.05 * node.model.ppl ? null : `int4 perplexity ${node.model.pplInt4} against ${node.model.ppl}`);
      for (const [name, out] of outs) compare(name, out, node, input, wants);
    }
    for (const rt of RUNTIMES) {
      const out = runProbe<RelaxedOutput>(rt, script, inputFile, true);
      if (typeof out === 'string') {
        check(`${rt.name} relaxed run`, out);
        continue;
      }
      check(`${rt.name} relaxed`, out.relaxed ? null : 'useRelaxedSimd() returned false: the relaxed build did not run');
      input.cases.forEach((c, i) => {
        const tag = `${rt.name} relaxed ${c.m}x${c.k}x${c.n}`;
        for (const m of caseMismatches(tag, out.cases[i], wants[i])) check(tag, m);
      });
      console.log(`  ${rt.name}: ${out.runtime}, relaxed-SIMD build ${out.relaxed ? 'ran the cases' : 'not running'}`);
    }
    const passed = RUNTIMES.filter((rt) => outs.has(rt.name)).length;
    if (failures) {
      console.error(`runtime test FAILED: ${failures} check(s)`);
      process.exit(1);
    }
    console.log(`${passed} runtimes passed (${RUNTIMES.map((r) => r.name).join(', ')}), 0 failed`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
