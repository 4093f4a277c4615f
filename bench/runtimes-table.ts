/**
 * The file bench/runtimes.ts writes (the packed GEMVs of the targets in Node, Bun and Deno) and its
 * section of docs/benchmarks.md (bench/report.ts --runtimes). Not the runner.
 */
import type { Machine } from './machine.js';
import type { RuntimeOutput, RuntimeRow } from './runtimes-probe.js';

/** A run of bench/runtimes.ts: every runtime and build it ran, in order. */
export interface RuntimesFile {
  readonly started: string;
  readonly machine: Machine;
  readonly command: string;
  readonly runs: readonly RuntimeOutput[];
}

/** The probe's cases as table columns. */
const COLUMNS = ['int4 f32-act', 'nf4 f32-act', 'int4 int8-act'] as const;

/**
 * The markdown table of a run: one row per runtime and build, milliseconds per call (and GB/s of
 * stored weight read) for each case, and nf4 over int4.
 * @example
 * console.log(runtimesTable(file).join('\n'));
 */
export function runtimesTable(file: RuntimesFile): string[] {
  const cell = (r: RuntimeRow): string => `${r.medianMs.toFixed(3)} (${(r.weightBytes / r.medianMs / 1e6).toFixed(1)})`;
  return [
    '| runtime | build | int4 f32-act ms (GB/s) | nf4 f32-act ms (GB/s) | nf4 / int4 | int4 int8-act ms (GB/s) |',
    '|---|---|---:|---:|---:|---:|',
    ...file.runs.map((run) => {
      const [i4, n4, i8] = COLUMNS.map((c) => {
        const row = run.rows.find((r) => r.case === c);
        if (!row) throw new Error(`${run.runtime}: no ${c} row`);
        return row;
      });
      return `| ${run.runtime} | ${run.relaxed ? 'relaxed SIMD' : 'SIMD128'} | ${cell(i4)} | ${cell(n4)} | ${(n4.medianMs / i4.medianMs).toFixed(2)}x | ${cell(i8)} |`;
    }),
  ];
}

/**
 * The page's section for a run written to `path`.
 * @example
 * out.push(...runtimesSection(file, 'docs/benchmarks-runtimes.json'));
 */
export function runtimesSection(file: RuntimesFile, path: string): string[] {
  return [
    '## Other runtimes',
    '',
    `The packed GEMVs of the targets (1x4096x4096, groups of 128, one thread, through \`linear\`) in each`,
    'runtime, on the default build and on the opt-in relaxed-SIMD one where the runtime offers relaxed',
    `SIMD; each result checked against the dense product with the dequantized weight first. Run of`,
    `${file.started}, raw rows in \`${path}\`, by`,
    '',
    `    ${file.command}`,
    '',
    ...runtimesTable(file),
    '',
  ];
}
