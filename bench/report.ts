/**
 * Writes docs/benchmarks.md from a JSON run of bench/run.ts, so no number in it is typed by hand:
 *
 *   npm run bench -- --json docs/benchmarks.json
 *   npx tsx bench/report.ts docs/benchmarks.json docs/benchmarks.md [bench/notes.md] [--repeats FILE]... [--runtimes FILE]
 *
 * The page has the machine, the commands, the targets (each a ratio of ours to the named peer or
 * to our own reference row), with each --repeats the same targets over the runs of a
 * bench/repeat.ts file (median and range), with --runtimes the GEMVs in Node, Bun and Deno
 * (bench/runtimes.ts), and one table per family with every library side by side.
 * Not the runner (bench/run.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './harness.js';
import { CEILING_KERNEL, RELAXED_LIB } from './lib.js';
import { sameCpu } from './machine.js';
import type { RunFile } from './merge.js';
import type { RepeatFile } from './repeat.js';
import { runtimesSection, type RuntimesFile } from './runtimes-table.js';
import { RELAXED_TARGETS, TARGETS, rowFor, targetRatio, targetsOverRuns, valueOf, type Sel, type Spread, type Target } from './targets.js';

const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(d));

const ms = (x: number | null): string => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

const describe = (s: Sel): string => [s.lib, s.threads === undefined ? '' : `${s.threads} thr`].filter(Boolean).join(', ');

/** The targets a run can show: the relaxed build's only when it has relaxed rows. */
const targetsOf = (results: readonly BenchResult[]): readonly Target[] =>
  results.some((r) => r.lib === RELAXED_LIB) ? [...TARGETS, ...RELAXED_TARGETS] : TARGETS;

/** A target's value as the page shows it (time, or the rate its metric names). */
function shown(t: Target, v: number): string {
  return t.metric === 'gbps' ? `${f(v)} GB/s` : t.metric === 'gflops' ? `${f(v)} GFLOP/s` : `${ms(v)} ms`;
}

/** How the compared row is named: its library and threads, and its dtype where it differs from ours. */
const comparedWith = (t: Target): string => `${describe(t.vs)}${t.vs.dtype && t.vs.dtype !== t.ours.dtype ? ` ${t.vs.dtype}` : ''}`;

function targetRows(results: readonly BenchResult[]): string[] {
  const lines = ['| target | ours | compared with | ours | theirs | ours faster by |', '|---|---|---|---:|---:|---:|'];
  for (const t of targetsOf(results)) {
    const a = rowFor(results, t.ours);
    const b = rowFor(results, t.vs);
    const show = (r: BenchResult | undefined): string => (r ? shown(t, valueOf(t, r)) : 'not measured');
    const ratio = a && b ? `${f(targetRatio(t, a, b))}x` : '–';
    lines.push(`| ${t.what} | ${describe(t.ours)} | ${comparedWith(t)} | ${show(a)} | ${show(b)} | ${ratio} |`);
  }
  return lines;
}

/** "median (min-max)" of a spread, each shown by `fmt`; one number when every run gave the same. */
const range = (s: Spread, fmt: (v: number) => string): string => (s.min === s.max ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`);

/** A file of repeated runs (bench/repeat.ts) and where it was read from. */
interface Repeats {
  file: RepeatFile;
  path: string;
}

/** The section over repeated runs: per file, each target's median and range over its runs. */
function repeatSection(files: readonly Repeats[]): string[] {
  if (files.length === 0) return [];
  return [
    '## Targets over repeated runs',
    '',
    'The machine is a shared virtual one whose speed drifts from minute to minute, so one run can land on',
    'either side of a target that is close. Each run times ours and the compared row in the same minutes;',
    'the columns give the median over the runs and, in brackets, the lowest and highest.',
    '',
    ...files.flatMap(repeatTable),
  ];
}

/** One file's table of repeatSection. */
function repeatTable({ file, path }: Repeats): string[] {
  const runs = file.runs;
  const all = runs.flatMap((r) => r.results);
  const rows = targetsOverRuns(targetsOf(all), runs);
  const starts = runs.map((r) => r.started).sort();
  return [
    `${runs.length} runs from ${starts[0]} to ${starts[starts.length - 1]}, raw rows in \`${path}\`, by`,
    '',
    ...file.commands.map((c) => `    ${c}`),
    '',
    '| target | compared with | runs | ours | theirs | ours faster by |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((s) => {
      const t = s.target;
      return `| ${t.what} | ${comparedWith(t)} | ${s.runs} | ${range(s.ours, (v) => shown(t, v))} | ${range(s.theirs, (v) => shown(t, v))} | ${range(s.ratio, (v) => `${f(v)}x`)} |`;
    }),
    '',
  ];
}

const groupKey = (r: BenchResult): string => `${r.kernel}|${r.shape}|${r.dtype}|${r.groupSize ?? ''}|${r.threads}`;

function familyTable(rows: readonly BenchResult[]): string[] {
  const lines = [
    '| kernel | shape | dtype | group | threads | library | median ms | GFLOP/s | GB/s | ours vs this | note |',
    '|---|---|---|---:|---:|---|---:|---:|---:|---:|---|',
  ];
  const groups = new Map<string, BenchResult[]>();
  for (const r of rows) {
    const k = groupKey(r);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const g of groups.values()) {
    const ours = g.find((r) => r.lib === 'quantensor' && r.medianMs !== null);
    for (const r of g) {
      // the ceiling probe does other work than the kernel: its time is not comparable, its GFLOP/s are
      const vs = ours && r !== ours && r.medianMs !== null && r.kernel !== CEILING_KERNEL ? `${f(r.medianMs / ours.medianMs!)}x` : '';
      const note = r.error ? `**no result**: ${r.error.replace(/\|/g, '\\|')}` : (r.note ?? '');
      lines.push(
        `| ${r.kernel} | ${r.shape} | ${r.dtype} | ${r.groupSize ?? ''} | ${r.threads} | ${r.lib} | ${ms(r.medianMs)} | ${f(r.gflops)} | ${f(r.gbps)} | ${vs} | ${note} |`,
      );
    }
  }
  return lines;
}

/**
 * The markdown page for a run.
 * @example
 * writeFileSync('docs/benchmarks.md', renderReport(JSON.parse(readFileSync('docs/benchmarks.json', 'utf8'))));
 */
function renderReport(run: RunFile, jsonPath: string, repeats: readonly Repeats[] = [], runtimes?: { file: RuntimesFile; path: string }): string {
  const m = run.machine;
  const families = [...new Set(run.results.map((r) => r.family))];
  const out: string[] = [
    '# Benchmarks',
    '',
    `<!-- Generated by \`npx tsx bench/report.ts ${jsonPath} docs/benchmarks.md\`; do not edit by hand. -->`,
    '',
    `Run of ${run.started}${run.quick ? ' (quick shapes)' : ''}, ${run.results.length} measurements. Raw rows: \`${jsonPath}\`.`,
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}${m.id ? ` (x86 ${m.id})` : ''}, ${m.cores} cores; ${m.platform}; Node ${m.node}`,
    m.load
      ? `- 1-minute load average ${f(m.load.before)} at the start and ${f(m.load.after)} at the end: above the core count means other work shared the cores and the numbers are pessimistic for every library alike.`
      : '',
    ...(run.merged ?? []).map(
      (p) =>
        `- ${p.rows} rows re-measured in a later run of ${p.started}${p.load ? ` (load ${f(p.load.before)} to ${f(p.load.after)})` : ''}, merged with \`npx tsx bench/merge.ts\`: they replace this run's rows of the same case.`,
    ),
    '',
    '## Commands',
    '',
    '```sh',
    `npm run bench -- --json ${jsonPath}        # everything, one and two threads (each in its own process)`,
    'npm run bench -- gemv                      # a filter: family, kernel, library, shape, dtype or g128',
    'npm run bench -- --quick                   # small shapes, seconds',
    'npm run bench -- gptq --json FILE           # GPTQ with its PyTorch peer (needs python3-torch)',
    `npx tsx bench/merge.ts ${jsonPath} FILE      # a partial run's rows in place of the same cases`,
    `npx tsx bench/report.ts ${jsonPath} docs/benchmarks.md`,
    ...(repeats.length
      ? [
          `npx tsx bench/repeat.ts --runs 4 --pause 120 --json ${repeats[0].path} "quant 1x4096x4096"   # selections of cases, several runs minutes apart`,
        ]
      : []),
    ...(runtimes ? [`${runtimes.file.command}   # the target GEMVs in Node, Bun and Deno`] : []),
    ...(repeats.length || runtimes
      ? [`npx tsx bench/report.ts ${jsonPath} docs/benchmarks.md bench/notes.md${repeats.map((r) => ` --repeats ${r.path}`).join('')}${runtimes ? ` --runtimes ${runtimes.path}` : ''}`]
      : []),
    '```',
    '',
    'Each case is run once and its output checked against f64 reference values (sampled dot products,',
    'or a residual) before it is timed with tinybench; the median is reported. GFLOP/s counts useful',
    'work (2mkn for a matmul, n³/3 for Cholesky, n³ for the SPD inverse, rows·cols² for XᵀX); GB/s counts',
    'the weight bytes one call reads (f32 weights; packed codes + f32 scales + u8 zeros for quantized).',
    '"ours faster by" and "ours vs this" are the other row\'s median time over ours (for GB/s and the',
    'GFLOP/s of the ceiling rows: ours over theirs): above 1 means ours is faster; for "two threads vs',
    'one" it is the two-thread speed-up. The ceiling (`madd_peak`) is a register-only f32x4 multiply-add',
    'loop timed in the rounds of the kernel it is compared with: what no f32 kernel of a build beats on one core.',
    '',
    '## Targets',
    '',
    ...targetRows(run.results),
    '',
    ...repeatSection(repeats),
    ...(runtimes ? runtimesSection(runtimes.file, runtimes.path) : []),
  ];
  for (const fam of families) {
    out.push(`## ${fam}`, '', ...familyTable(run.results.filter((r) => r.family === fam)), '');
  }
  const failed = run.results.filter((r) => r.error);
  if (failed.length) {
    out.push('## Rows without a number', '');
    for (const r of failed) out.push(`- ${r.lib} ${r.kernel} ${r.shape} ${r.dtype}${r.groupSize ? ` g${r.groupSize}` : ''} (${r.threads} thr): ${r.error}`);
    out.push('');
  }
  return out.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const positional: string[] = [];
  const repeatPaths: string[] = [];
  let runtimesPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--repeats' || args[i] === '--runtimes') {
      const path = args[i + 1];
      if (path === undefined) throw new Error(`${args[i]} needs a file (written by bench/${args[i] === '--repeats' ? 'repeat' : 'runtimes'}.ts)`);
      if (args[i] === '--repeats') repeatPaths.push(path);
      else runtimesPath = path;
      i++;
    } else positional.push(args[i]);
  }
  const [jsonPath, mdPath, notesPath] = positional;
  if (!jsonPath || !mdPath) throw new Error('usage: tsx bench/report.ts RUN.json OUT.md [NOTES.md] [--repeats REPEATS.json]... [--runtimes RUNTIMES.json]');
  const run = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunFile;
  const repeats = repeatPaths.map((path) => ({ file: JSON.parse(readFileSync(path, 'utf8')) as RepeatFile, path }));
  const runtimes = runtimesPath ? { file: JSON.parse(readFileSync(runtimesPath, 'utf8')) as RuntimesFile, path: runtimesPath } : undefined;
  if (runtimes && !sameCpu(runtimes.file.machine, run.machine)) throw new Error(`${runtimes.path} was run on another CPU than ${jsonPath}`);
  // one page, one kind of CPU: a series from another machine would sit beside rows it cannot be compared with
  for (const { file, path } of repeats) {
    const other = file.runs.find((r) => !sameCpu(r.machine, run.machine));
    if (other) throw new Error(`${path}: its run of ${other.started} was on another CPU than ${jsonPath} (${other.machine.id ?? other.machine.cpu})`);
  }
  // Optional hand-written notes (peer install problems, caveats) appended verbatim.
  const notes = notesPath ? `\n${readFileSync(notesPath, 'utf8')}` : '';
  writeFileSync(mdPath, `${renderReport(run, jsonPath, repeats, runtimes)}\n${notes}`);
  const runs = repeats.reduce((n, r) => n + r.file.runs.length, 0);
  console.log(`wrote ${mdPath} from ${run.results.length} results${runs ? ` and ${runs} repeated runs` : ''}`);
}

main();
