/**
 * Merges a partial benchmark run into a full one, so targets re-measured after kernel changes
 * replace their old rows without re-running every suite:
 *
 *   npm run bench -- quant int4 --json /tmp/int4.json
 *   npx tsx bench/merge.ts docs/benchmarks.json /tmp/int4.json
 *   npx tsx bench/report.ts docs/benchmarks.json docs/benchmarks.md
 *
 * A row of the partial run replaces the row of the base with the same case (family, kernel, lib,
 * shape, dtype, group size, threads); rows new to the base are appended. The base records each
 * merged run (its start, machine load and row count) in `merged`, which the report prints, so
 * a page mixing runs says so. Runs of different CPUs (bench/machine.ts) are refused: their rows
 * are not comparable. Writes the base in place (through a temporary file, then a rename).
 * Not the runner (bench/run.ts) and not the page (bench/report.ts).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './harness.js';
import { sameCpu, type Machine } from './machine.js';

/** What bench/run.ts writes, plus the runs merged into it. */
export interface RunFile {
  started: string;
  quick: boolean;
  machine: Machine;
  results: BenchResult[];
  merged?: { started: string; load?: { before: number; after: number }; rows: number }[];
}

const key = (r: BenchResult): string => [r.family, r.kernel, r.lib, r.shape, r.dtype, r.groupSize ?? '', r.threads].join('|');

/**
 * The base with the partial run's rows in place of (or after) its own.
 * @example
 * const merged = mergeRuns(JSON.parse(readFileSync(base, 'utf8')), JSON.parse(readFileSync(part, 'utf8')));
 */
export function mergeRuns(base: RunFile, part: RunFile): RunFile {
  if (base.quick !== part.quick) throw new Error('cannot merge a --quick run with a full one');
  if (!sameCpu(base.machine, part.machine)) {
    const name = (m: Machine): string => `${m.cpu}, ${m.cores} cores${m.id ? ` (${m.id})` : ''}`;
    throw new Error(`cannot merge runs of different CPUs: ${name(base.machine)} and ${name(part.machine)}`);
  }
  const fresh = new Map(part.results.map((r) => [key(r), r]));
  const results = base.results.map((r) => fresh.get(key(r)) ?? r);
  const seen = new Set(base.results.map(key));
  for (const r of part.results) if (!seen.has(key(r))) results.push(r);
  const merged = [...(base.merged ?? []), { started: part.started, load: part.machine.load, rows: part.results.length }];
  return { ...base, results, merged };
}

function main(): void {
  const [basePath, partPath] = process.argv.slice(2);
  if (!basePath || !partPath) throw new Error('usage: npx tsx bench/merge.ts BASE.json PARTIAL.json');
  const out = mergeRuns(JSON.parse(readFileSync(basePath, 'utf8')) as RunFile, JSON.parse(readFileSync(partPath, 'utf8')) as RunFile);
  const tmp = `${basePath}.tmp`;
  writeFileSync(tmp, JSON.stringify(out, null, 1));
  renameSync(tmp, basePath);
  console.log(`${basePath}: ${out.results.length} rows, ${out.merged!.length} merged run(s)`);
}

// Run as a script only (the tests import mergeRuns).
if (process.argv[1]?.endsWith('merge.ts')) main();
