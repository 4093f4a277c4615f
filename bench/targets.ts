/**
 * The speed targets the project set itself (issues 3 and 4), as pairs of benchmark rows: ours and
 * the peer row (or our own baseline row) it is compared with, and how their ratio reads. Shared by
 * the page (bench/report.ts) and its section over repeated runs (bench/repeat.ts files).
 * Not the runner and not the page.
 */
import type { BenchResult } from './harness.js';
import { CEILING_COMPARED, CEILING_KERNEL, ONE_THREAD_LIB, RELAXED_LIB, THREAD_SCALING } from './lib.js';

/** A row selector: fields a result must have. */
export type Sel = Partial<Pick<BenchResult, 'family' | 'kernel' | 'lib' | 'shape' | 'dtype' | 'groupSize' | 'threads'>>;

export interface Target {
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
export const TARGETS: readonly Target[] = [
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
  // the int8-activation path has affine dtypes only
  ...(['int3', 'int2', 'int8'] as const).map((dtype) => ({
    what: `${dtype} GEMV 1x4096x4096 (qmatmul_i8) vs our int4 g128`,
    ours: { family: 'quant', ...OURS, dtype, kernel: 'qmatmul_i8', shape: '1x4096x4096', threads: 1 },
    vs: { ...Q4, ...OURS, kernel: 'qmatmul_i8', shape: '1x4096x4096', threads: 1 },
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
export const RELAXED_TARGETS: readonly Target[] = TARGETS.filter(
  (t) =>
    t.ours.lib === OURS.lib &&
    t.vs.lib !== OURS.lib &&
    t.vs.lib !== ONE_THREAD_LIB &&
    (['gemm_f32', 'cholesky', 'spd_inverse', 'syrk', 'gptq_act_order'].includes(t.ours.kernel ?? '') ||
      (t.ours.kernel === 'qmatmul_i8' && t.ours.shape === '1x4096x4096' && t.vs.lib === 'onnxruntime-node')),
)
  .map((t): Target => ({ ...t, what: `${t.what}, relaxed SIMD (opt-in)`, ours: { ...t.ours, lib: RELAXED_LIB } }))
  .concat(ceilingTargets(RELAXED_LIB, 'relaxed-SIMD (FMA)'));

export const matches = (r: BenchResult, s: Sel): boolean => Object.entries(s).every(([k, v]) => r[k as keyof BenchResult] === v);

/** The first row of `results` with a number that `s` selects. */
export const rowFor = (results: readonly BenchResult[], s: Sel): BenchResult | undefined => results.find((r) => matches(r, s) && r.medianMs !== null);

/** What a target compares, per row: the median time, or the rate its metric names. */
export const valueOf = (t: Target, r: BenchResult): number => (t.metric === 'gbps' ? r.gbps! : t.metric === 'gflops' ? r.gflops! : r.medianMs!);

/**
 * The target's ratio, above 1 when ours is better: their time over ours, or our rate over theirs.
 * @example
 * targetRatio(TARGETS[0], ours, peer); // 1.22: ours 1.22x faster
 */
export function targetRatio(t: Target, ours: BenchResult, theirs: BenchResult): number {
  return t.metric === 'speed' ? valueOf(t, theirs) / valueOf(t, ours) : valueOf(t, ours) / valueOf(t, theirs);
}

/** Median, lowest and highest of some numbers. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The spread of xs (at least one number); the median of an even count is the mean of the middle two. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new Error('spread of no numbers');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return { median: s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2, min: s[0], max: s[s.length - 1] };
}

/** One target over several runs: how many runs had both rows, and the spread of ours, theirs and the ratio. */
export interface TargetOverRuns {
  target: Target;
  runs: number;
  ours: Spread;
  theirs: Spread;
  ratio: Spread;
}

/**
 * Each target that has both rows in at least one of `runs`, summarised over the runs that have them
 * (each run's ratio from its own rows, measured in the same minutes).
 * @example
 * for (const s of targetsOverRuns(TARGETS, runs)) console.log(s.target.what, s.ratio.median);
 */
export function targetsOverRuns(targets: readonly Target[], runs: readonly { results: readonly BenchResult[] }[]): TargetOverRuns[] {
  const out: TargetOverRuns[] = [];
  for (const target of targets) {
    const pairs = runs
      .map((r) => [rowFor(r.results, target.ours), rowFor(r.results, target.vs)] as const)
      .filter((p): p is readonly [BenchResult, BenchResult] => p[0] !== undefined && p[1] !== undefined);
    if (pairs.length === 0) continue;
    out.push({
      target,
      runs: pairs.length,
      ours: spread(pairs.map(([a]) => valueOf(target, a))),
      theirs: spread(pairs.map(([, b]) => valueOf(target, b))),
      ratio: spread(pairs.map(([a, b]) => targetRatio(target, a, b))),
    });
  }
  return out;
}
