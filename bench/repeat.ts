/**
 * Runs selections of benchmark cases several times, minutes apart, and keeps every run, so the
 * page can show a target's spread instead of one draw of a machine whose speed drifts:
 *
 *   npx tsx bench/repeat.ts --runs 4 --pause 60 --json docs/benchmarks-repeats.json \
 *     "quant 1x4096x4096" "quant 128x4096x4096 int4" "gemm_f32 quantensor"
 *   npx tsx bench/report.ts docs/benchmarks.json docs/benchmarks.md bench/notes.md --repeats docs/benchmarks-repeats.json
 *
 * Each quoted selection is one `npm run bench` filter list (bench/run.ts, every thread count of
 * --threads, default 1,2; with --relaxed-simd also on the relaxed build); a run is every selection
 * once, merged into one run file (bench/merge.ts).
 * The output is written through a temporary file after every run, so an interrupted series keeps
 * the runs it finished; `--append` adds runs to an existing file of the same selections (without
 * it the file is replaced). Not the runner (bench/run.ts) and not the page (bench/report.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameCpu, thisMachine } from './machine.js';
import { mergeRuns, type RunFile } from './merge.js';

/** What bench/repeat.ts writes: the commands that made it, the selections and every run, in order. */
export interface RepeatFile {
  /** The command of each invocation that added runs (the first, then each --append). */
  commands: string[];
  /** The selections every run ran, one filter list each. */
  selections: string[][];
  runs: RunFile[];
}

interface Cli {
  runs: number;
  pauseS: number;
  json: string;
  threads: string | null;
  relaxed: boolean;
  append: boolean;
  selections: string[][];
}

function parse(argv: readonly string[]): Cli {
  const cli: Cli = { runs: 3, pauseS: 60, json: '', threads: null, relaxed: false, append: false, selections: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') cli.runs = Number(value());
    else if (a === '--pause') cli.pauseS = Number(value());
    else if (a === '--json') cli.json = value();
    else if (a === '--threads') cli.threads = value();
    else if (a === '--append') cli.append = true;
    else if (a === '--relaxed-simd') cli.relaxed = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (known: --runs N, --pause SECONDS, --json FILE, --threads 1,2, --relaxed-simd, --append)`);
    else cli.selections.push(a.split(/\s+/).filter(Boolean));
  }
  if (!Number.isInteger(cli.runs) || cli.runs < 1) throw new Error('--runs takes a positive integer');
  if (!(cli.pauseS >= 0)) throw new Error('--pause takes seconds (0 or more)');
  if (!cli.json) throw new Error('--json FILE is required: the runs are the output');
  if (cli.selections.length === 0) throw new Error('give at least one selection, e.g. "quant 1x4096x4096"');
  return cli;
}

/** One run: every selection through bench/run.ts in a child process, merged into one run file. */
function runOnce(cli: Cli, dir: string, index: number): RunFile {
  const runner = fileURLToPath(new URL('./run.ts', import.meta.url));
  let run: RunFile | null = null;
  cli.selections.forEach((filters, s) => {
    const file = join(dir, `run${index}-sel${s}.json`);
    const options = [...(cli.threads ? ['--threads', cli.threads] : []), ...(cli.relaxed ? ['--relaxed-simd'] : [])];
    const child = spawnSync(process.execPath, [...process.execArgv, runner, ...filters, ...options, '--json', file], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`run ${index + 1}, selection "${filters.join(' ')}" failed (exit ${child.status ?? child.signal})`);
    const part = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    run = run === null ? part : mergeRuns(run, part);
  });
  return run!;
}

/** The runs already in the output file, which --append continues: only with the same selections. */
function previous(cli: Cli): RepeatFile {
  const file = JSON.parse(readFileSync(cli.json, 'utf8')) as RepeatFile;
  const same = JSON.stringify(file.selections) === JSON.stringify(cli.selections);
  if (!same) throw new Error(`${cli.json} holds runs of other selections (${file.selections.map((f) => `"${f.join(' ')}"`).join(' ')}): --append needs the same ones`);
  const here = thisMachine(0);
  if (file.runs.some((r) => !sameCpu(r.machine, here))) throw new Error(`${cli.json} holds runs of another CPU than this one (${here.id ?? here.cpu}): start a new file`);
  return file;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cli = parse(argv);
  const quote = (a: string): string => (/\s/.test(a) ? `"${a}"` : a);
  const command = `npx tsx bench/repeat.ts ${argv.map(quote).join(' ')}`;
  const out: RepeatFile = cli.append && existsSync(cli.json) ? previous(cli) : { commands: [], selections: cli.selections, runs: [] };
  out.commands.push(command);
  const dir = mkdtempSync(join(tmpdir(), 'qt-repeat-'));
  try {
    const first = out.runs.length;
    for (let i = first; i < first + cli.runs; i++) {
      if (i > 0 && cli.pauseS > 0) await new Promise((r) => setTimeout(r, cli.pauseS * 1000));
      console.log(`--- run ${i + 1} of ${first + cli.runs}`);
      out.runs.push(runOnce(cli, dir, i));
      const tmp = `${cli.json}.tmp`;
      writeFileSync(tmp, JSON.stringify(out, null, 1));
      renameSync(tmp, cli.json);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${cli.json}: ${out.runs.length} runs`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
