/**
 * The benchmark CLI: `npm run bench -- [filter ...] [--quick] [--json FILE] [--threads 1,2]`.
 *
 * - filters: a case runs when it matches every filter (see `selected`), e.g. `npm run bench -- gemv`,
 *   `npm run bench -- cholesky numpy`, `npm run bench -- quant int4 onnxruntime`;
 * - `--quick`: small shapes (seconds in total), for trying the harness;
 * - `--json FILE`: every result row (bench/harness.ts `BenchResult`) written as JSON, which
 *   bench/report.ts turns into docs/benchmarks.md;
 * - `--threads`: the thread counts to run (default 1,2). Each count runs in its own process,
 *   because onnxruntime-web and OpenBLAS fix their thread pools once per process.
 * - `--relaxed-simd`: also runs our cases on the opt-in relaxed-SIMD build (`useRelaxedSimd`), in
 *   processes of their own started with --experimental-wasm-relaxed-simd (Node 20 needs the flag;
 *   the build is chosen once per process), as library `quantensor-relaxed` beside every other row.
 *
 * Not the report (bench/report.ts) and not the suites (bench/*.bench.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRelaxedSimd } from '../src/kernels/backend.js';
import { thisMachine } from './machine.js';
import { measureGroup, type BenchCase, type BenchResult, type SuiteContext } from './harness.js';
import { CEILING_COMPARED, ONE_THREAD_LIB, RELAXED_LIB, THREAD_SCALING } from './lib.js';
import { ceilingTwin } from './ceiling.bench.js';
import { SUITES } from './suites.js';
import { applyThreads } from './threads.js';

interface Cli {
  filters: string[];
  quick: boolean;
  json: string | null;
  threads: number[];
  relaxed: boolean;
  /** This process runs our cases on the relaxed-SIMD build only (a child of a --relaxed-simd run). */
  relaxedChild: boolean;
}

/** The V8 flag that enables relaxed SIMD on Node 20 (harmless where it is on by default). */
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const RELAXED_CHILD = '--relaxed-child';

function parse(argv: readonly string[]): Cli {
  const cli: Cli = { filters: [], quick: false, json: null, threads: [1, 2], relaxed: false, relaxedChild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') cli.quick = true;
    else if (a === '--json') cli.json = argv[++i] ?? null;
    else if (a === '--threads') cli.threads = (argv[++i] ?? '').split(',').map(Number);
    else if (a === '--relaxed-simd') cli.relaxed = true;
    else if (a === RELAXED_CHILD) cli.relaxedChild = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (known: --quick, --json FILE, --threads 1,2, --relaxed-simd)`);
    else cli.filters.push(a.toLowerCase());
  }
  if (cli.json === null && argv.includes('--json')) throw new Error('--json needs a file name');
  if (cli.threads.length === 0 || cli.threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('--threads takes positive integers, e.g. --threads 1,2');
  return cli;
}

/**
 * Whether a case passes every filter. A filter naming a family (`gemm`, `quant`) matches that family
 * only; any other filter matches a field exactly (`numpy`, `int4`, `1x4096x4096`, `g128`) or part of
 * the kernel or library name (`cholesky`, `onnxruntime`).
 */
function selected(c: BenchCase, filters: readonly string[], families: ReadonlySet<string>): boolean {
  const fields = [c.family, c.kernel, c.lib, c.shape, c.dtype, c.groupSize ? `g${c.groupSize}` : ''].map((f) => f.toLowerCase());
  return filters.every((f) =>
    families.has(f) ? fields[0] === f : fields.includes(f) || fields[1].includes(f) || fields[2].includes(f),
  );
}

const fmt = (x: number | null, d: number): string => (x === null ? '-' : x.toFixed(d));

function line(r: BenchResult): string {
  const head = `${r.family.padEnd(7)} ${r.kernel.padEnd(18)} ${r.lib.padEnd(18)} ${r.shape.padEnd(15)} ${r.dtype.padEnd(5)} ${String(r.groupSize ?? '').padEnd(4)} T${r.threads}`;
  if (r.error) return `${head}  ERROR ${r.error}`;
  return `${head}  ${fmt(r.medianMs, 3).padStart(10)} ms  ${fmt(r.gflops, 2).padStart(8)} GFLOP/s  ${fmt(r.gbps, 2).padStart(7)} GB/s  (${r.samples} samples)`;
}

/** Runs the cases of one thread count in this process. */
async function runHere(cli: Cli, threads: number): Promise<BenchResult[]> {
  // The build is chosen before the first tensor (the suites below allocate).
  if (cli.relaxedChild && !useRelaxedSimd()) throw new Error(`relaxed SIMD is not available in this runtime (Node 20 needs ${RELAXED_FLAG})`);
  const ctx: SuiteContext = { quick: cli.quick, threads };
  const ourThreads = applyThreads(threads);
  const results: BenchResult[] = [];
  const cases = SUITES.flatMap((suite) => suite(ctx));
  const families = new Set(cases.map((c) => c.family.toLowerCase()));
  // Our kernels without a worker pool run single-threaded: they are skipped, never mislabeled.
  // A relaxed child runs our cases only: the peers ran in the plain child of the same run.
  // Consecutive cases of one kernel, shape, dtype and group size (or one timingGroup) form a group
  // timed together.
  // In a multi-thread run, the thread-scaling cases get a one-thread twin right after them (same group).
  // In a one-thread run, the cases compared with the f32 ceiling get the probe as a twin (same group).
  const twins = threads > 1 && !cli.relaxedChild;
  const listed = (list: typeof THREAD_SCALING, c: BenchCase): boolean => c.lib === 'quantensor' && list.some(([k, s, d]) => c.kernel === k && c.shape === s && c.dtype === d);
  const groupOf = (c: BenchCase): string => c.timingGroup ?? `${c.family}|${c.kernel}|${c.shape}|${c.dtype}|${c.groupSize ?? ''}`;
  const picked = cases
    .filter((c) => selected(c, cli.filters, families) && !(c.lib === 'quantensor' && ourThreads !== threads) && (!cli.relaxedChild || c.lib === 'quantensor'))
    .flatMap((c) => (twins && listed(THREAD_SCALING, c) ? [c, { ...c, lib: ONE_THREAD_LIB, threads: 1 }] : [c]))
    .flatMap((c) => (threads === 1 && listed(CEILING_COMPARED, c) ? [c, ceilingTwin(c, groupOf(c), cli.quick)] : [c]));
  for (let i = 0; i < picked.length; ) {
    let j = i + 1;
    while (j < picked.length && groupOf(picked[j]) === groupOf(picked[i])) j++;
    for (const measured of await measureGroup(picked.slice(i, j), threads)) {
      const r = cli.relaxedChild ? { ...measured, lib: RELAXED_LIB } : measured;
      results.push(r);
      console.log(line(r));
    }
    i = j;
  }
  return results;
}

/**
 * Runs each thread count in a child process (this script with --threads T) and merges the rows;
 * with --relaxed-simd, a second child per count runs our cases on the relaxed-SIMD build.
 */
function runChildren(cli: Cli, argv: readonly string[]): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bench-'));
  const results: BenchResult[] = [];
  const keep = (a: string, i: number): boolean =>
    a !== '--json' && argv[i - 1] !== '--json' && a !== '--threads' && argv[i - 1] !== '--threads' && a !== '--relaxed-simd';
  const args = argv.filter(keep);
  const self = fileURLToPath(import.meta.url);
  try {
    for (const t of cli.threads) {
      for (const relaxed of cli.relaxed ? [false, true] : [false]) {
        const file = join(dir, `t${t}${relaxed ? '-relaxed' : ''}.json`);
        const node = relaxed ? [...process.execArgv, RELAXED_FLAG] : process.execArgv;
        const extra = relaxed ? [RELAXED_CHILD] : [];
        const child = spawnSync(process.execPath, [...node, self, ...args, ...extra, '--threads', String(t), '--json', file], { stdio: 'inherit' });
        if (child.status !== 0) throw new Error(`the ${t}-thread${relaxed ? ' relaxed-SIMD' : ''} run failed (exit ${child.status ?? child.signal})`);
        results.push(...(JSON.parse(readFileSync(file, 'utf8')) as { results: BenchResult[] }).results);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cli = parse(argv);
  const started = new Date();
  const loadBefore = loadavg()[0];
  const results = cli.threads.length === 1 && !cli.relaxed ? await runHere(cli, cli.threads[0]) : runChildren(cli, argv);
  if (cli.json) {
    writeFileSync(cli.json, JSON.stringify({ started: started.toISOString(), quick: cli.quick, machine: thisMachine(loadBefore), results }, null, 1));
  }
  const failed = results.filter((r) => r.error);
  if (cli.threads.length > 1 || cli.json === null) console.log(`${results.length} results, ${failed.length} without a number`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
