/**
 * Writes docs/benchmarks.md from a JSON run of bench/run.ts, so no number in it is typed by hand:
 *
 *   npm run bench -- --json docs/benchmarks.json
 *   npx tsx bench/report.ts docs/benchmarks.json docs/benchmarks.md
 *
 * The page has the machine, the commands, the targets (each a ratio of ours to the named peer or
 * to our own reference row), and one table per family with every library side by side.
 * Not the runner (bench/run.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './harness.js';
import { CEILING_COMPARED, CEILING_KERNEL, ONE_THREAD_LIB, RELAXED_LIB, THREAD_SCALING } from './lib.js';

interface Run {
  started: string;
  quick: boolean;
  machine: { cpu: string; cores: number; node: string; platform: string; load?: { before: number; after: number } };
  results: BenchResult[];
  /** Partial runs merged in by bench/merge.ts (their rows replaced the base's). */
  merged?: { started: string; load?: { before: number; after: number }; rows: number }[];
}

/** A row selector: fields a result must have. */
type Sel = Partial<Pick<BenchResult, 'family' | 'kernel' | 'lib' | 'shape' | 'dtype' | 'groupSize' | 'threads'>>;

interface Target {
  readonly what: string;
  readonly ours: Sel;
  /** The row ours is compared with (a peer, or our own baseline row). */
  readonly vs: Sel;
  /** How the ratio reads: time (theirs over ours), or rate (ours over theirs, in GB/s or GFLOP/s). */
  readonly metric: 'speed' | 'gbps' | 'gflops';
}

const Q4 = { family: 'quant', dtype: 'int4', groupSize: 128 } as const;
const OURS = { lib: 'quantensor' } as const;
/** Each CEILING_COMPARED case against the f32 ceiling probe timed in its rounds (bench/ceiling.bench.ts), in GFLOP/s. */
const ceilingTargets = (lib: string, build: string): Target[] =>
  CEILING_COMPARED.map(([kernel, shape, dtype]) => ({
    what: `${kernel} ${shape} ${dtype} against the ${build} f32 ceiling, 1 thread`,
    ours: { kernel, lib, shape, dtype, threads: 1 },
    vs: { kernel: CEILING_KERNEL, lib, shape, threads: 1 },
    metric: 'gflops' as const,
  }));

/** The comparisons the project set itself (see the task list in docs/benchmarks.md). */
const TARGETS: readonly Target[] = [
  ...(['onnxruntime-node', 'onnxruntime-web'] as const).flatMap((peer) =>
    (['qmatmul_f32', 'qmatmul_i8'] as const).map((kernel) => ({
      what: `int4 g128 GEMV 1x4096x4096, ${kernel}, 1 thread`,
      ours: { ...Q4, ...OURS, kernel, shape: '1x4096x4096', threads: 1 },
      vs: { ...Q4, lib: peer, kernel, shape: '1x4096x4096', threads: 1 },
      metric: 'speed' as const,
    })),
  ),
  {
    what: 'int4 g128 GEMV 1x4096x4096, qmatmul_i8, 2 threads',
    ours: { ...Q4, ...OURS, kernel: 'qmatmul_i8', shape: '1x4096x4096', threads: 2 },
    vs: { ...Q4, lib: 'onnxruntime-node', kernel: 'qmatmul_i8', shape: '1x4096x4096', threads: 2 },
    metric: 'speed',
  },
  ...(['int3', 'int2', 'int8', 'fp4', 'nf4', 'mxfp4'] as const).map((dtype) => ({
    what: `${dtype} GEMV 1x4096x4096 (qmatmul_f32) vs our int4 g128`,
    ours: { family: 'quant', ...OURS, dtype, kernel: 'qmatmul_f32', shape: '1x4096x4096', threads: 1 },
    vs: { ...Q4, ...OURS, kernel: 'qmatmul_f32', shape: '1x4096x4096', threads: 1 },
    metric: 'speed' as const,
  })),
  ...(['qmatmul_f32', 'qmatmul_i8'] as const).map((kernel) => ({
    what: `int4 g128 GEMM 128x4096x4096, ${kernel}, 1 thread`,
    ours: { ...Q4, ...OURS, kernel, shape: '128x4096x4096', threads: 1 },
    vs: { ...Q4, lib: 'onnxruntime-web', kernel, shape: '128x4096x4096', threads: 1 },
    metric: 'speed' as const,
  })),
  { what: 'f32 GEMM 1024x1024x1024, 1 thread', ours: { kernel: 'gemm_f32', ...OURS, shape: '1024x1024x1024', threads: 1 }, vs: { kernel: 'gemm_f32', lib: 'onnxruntime-web', shape: '1024x1024x1024', threads: 1 }, metric: 'speed' },
  { what: 'f32 GEMV 1x4096x4096 (GB/s of weights), 1 thread', ours: { kernel: 'gemv_f32', ...OURS, shape: '1x4096x4096', threads: 1 }, vs: { kernel: 'gemv_f32', lib: 'onnxruntime-node', shape: '1x4096x4096', threads: 1 }, metric: 'gbps' },
  ...(['numpy', 'ml-matrix'] as const).map((lib) => ({
    what: 'Cholesky f32 n = 4096, 1 thread',
    ours: { kernel: 'cholesky', ...OURS, shape: '4096x4096', threads: 1 },
    vs: { kernel: 'cholesky', lib, shape: '4096x4096', threads: 1 },
    metric: 'speed' as const,
  })),
  ...(['numpy', 'scipy'] as const).map((lib) => ({
    what: 'SPD inverse f32 n = 4096, 1 thread',
    ours: { kernel: 'spd_inverse', ...OURS, shape: '4096x4096', threads: 1 },
    vs: { kernel: 'spd_inverse', lib, shape: '4096x4096', threads: 1 },
    metric: 'speed' as const,
  })),
  { what: 'XᵀX (SYRK) f32 X 2048x4096, 1 thread', ours: { kernel: 'syrk', ...OURS, shape: '2048x4096', threads: 1 }, vs: { kernel: 'syrk', lib: 'numpy', shape: '2048x4096', threads: 1 }, metric: 'speed' },
  ...ceilingTargets(OURS.lib, 'WASM SIMD128'),
  // What a peer's rate is against that ceiling: above 2, "within 2x of it" is out of reach of any
  // SIMD128 kernel on this machine, however good.
  {
    what: 'numpy XᵀX (OpenBLAS, AVX2 FMA) against the WASM SIMD128 f32 ceiling, 1 thread',
    ours: { kernel: 'syrk', lib: 'numpy', shape: '2048x4096', threads: 1 },
    vs: { kernel: CEILING_KERNEL, ...OURS, shape: '2048x4096', threads: 1 },
    metric: 'gflops',
  },
  { what: 'GPTQ 4096x4096 int4 g128 act-order, 1 thread', ours: { kernel: 'gptq_act_order', ...OURS, shape: '4096x4096', threads: 1 }, vs: { kernel: 'gptq_act_order', lib: 'pytorch', shape: '4096x4096', threads: 1 }, metric: 'speed' },
  ...THREAD_SCALING.map(([kernel, shape, dtype]) => ({
    what: `two threads vs one (same rounds): ${kernel} ${shape} ${dtype}`,
    ours: { kernel, ...OURS, shape, dtype, threads: 2 },
    vs: { kernel, lib: ONE_THREAD_LIB, shape, dtype, threads: 1 },
    metric: 'speed' as const,
  })),
];

/**
 * The targets of the kernels that differ on the opt-in relaxed-SIMD build (float kernels; the int4
 * x int8 GEMV) again for it (rows of `npm run bench -- --relaxed-simd`); shown only when the run
 * has such rows.
 */
const RELAXED_TARGETS: readonly Target[] = TARGETS.filter(
  (t) =>
    t.ours.lib === OURS.lib &&
    t.vs.lib !== OURS.lib &&
    t.vs.lib !== ONE_THREAD_LIB &&
    (['gemm_f32', 'cholesky', 'spd_inverse', 'syrk', 'gptq_act_order'].includes(t.ours.kernel ?? '') ||
      (t.ours.kernel === 'qmatmul_i8' && t.ours.shape === '1x4096x4096' && t.vs.lib === 'onnxruntime-node')),
)
  .map((t): Target => ({ ...t, what: `${t.what}, relaxed SIMD (opt-in)`, ours: { ...t.ours, lib: RELAXED_LIB } }))
  .concat(ceilingTargets(RELAXED_LIB, 'relaxed-SIMD (FMA)'));

const matches = (r: BenchResult, s: Sel): boolean => Object.entries(s).every(([k, v]) => r[k as keyof BenchResult] === v);

const f = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(d));

const ms = (x: number | null): string => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

const describe = (s: Sel): string => [s.lib, s.threads === undefined ? '' : `${s.threads} thr`].filter(Boolean).join(', ');

function targetRows(results: readonly BenchResult[]): string[] {
  const lines = ['| target | ours | compared with | ours | theirs | ours faster by |', '|---|---|---|---:|---:|---:|'];
  const relaxed = results.some((r) => r.lib === RELAXED_LIB) ? RELAXED_TARGETS : [];
  for (const t of [...TARGETS, ...relaxed]) {
    const a = results.find((r) => matches(r, t.ours) && r.medianMs !== null);
    const b = results.find((r) => matches(r, t.vs) && r.medianMs !== null);
    const show = (r: BenchResult | undefined): string =>
      !r ? 'not measured' : t.metric === 'gbps' ? `${f(r.gbps)} GB/s` : t.metric === 'gflops' ? `${f(r.gflops)} GFLOP/s` : `${ms(r.medianMs)} ms`;
    let ratio = '–';
    if (a && b) ratio = t.metric === 'gbps' ? `${f(a.gbps! / b.gbps!)}x` : t.metric === 'gflops' ? `${f(a.gflops! / b.gflops!)}x` : `${f(b.medianMs! / a.medianMs!)}x`;
    lines.push(`| ${t.what} | ${describe(t.ours)} | ${describe(t.vs)}${t.vs.dtype && t.vs.dtype !== t.ours.dtype ? ` ${t.vs.dtype}` : ''} | ${show(a)} | ${show(b)} | ${ratio} |`);
  }
  return lines;
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
function renderReport(run: Run, jsonPath: string): string {
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
    `- CPU: ${m.cpu}, ${m.cores} cores; ${m.platform}; Node ${m.node}`,
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
  const [jsonPath, mdPath, ...rest] = process.argv.slice(2);
  if (!jsonPath || !mdPath) throw new Error('usage: tsx bench/report.ts RUN.json OUT.md [NOTES.md]');
  const run = JSON.parse(readFileSync(jsonPath, 'utf8')) as Run;
  // Optional hand-written notes (peer install problems, caveats) appended verbatim.
  const notes = rest[0] ? `\n${readFileSync(rest[0], 'utf8')}` : '';
  writeFileSync(mdPath, `${renderReport(run, jsonPath)}\n${notes}`);
  console.log(`wrote ${mdPath} from ${run.results.length} results`);
}

main();
