/**
 * Library names of our own rows and the cases with a thread-scaling target, shared by the runner
 * (bench/run.ts) and the report (bench/report.ts). Importing bench/run.ts would run it, so they live here.
 */

/** Our rows measured on the opt-in relaxed-SIMD build (`npm run bench -- --relaxed-simd`). */
export const RELAXED_LIB = 'quantensor-relaxed';

/**
 * Our case again on one thread inside the two-thread run, timed in the same rounds as the two-thread
 * row: the "two threads vs one" ratio without the minutes (and the machine's drift) between the
 * one-thread and the two-thread processes.
 */
export const ONE_THREAD_LIB = 'quantensor-1t';

/** The (kernel, shape, dtype) cases whose two-thread speed-up is a target. */
export const THREAD_SCALING: readonly (readonly [kernel: string, shape: string, dtype: string])[] = [
  ['gemm_f32', '1024x1024x1024', 'f32'],
  ['gemm_f32', '128x4096x4096', 'f32'],
  ['qmatmul_f32', '128x4096x4096', 'int4'],
  ['qmatmul_f32', '1x4096x4096', 'int4'],
  ['syrk', '2048x4096', 'f32'],
  ['cholesky', '4096x4096', 'f32'],
];

/** The kernel name of the f32 ceiling probe's rows (bench/ceiling.bench.ts). */
export const CEILING_KERNEL = 'madd_peak';

/** The (kernel, shape, dtype) cases timed next to the f32 ceiling probe, one thread. */
export const CEILING_COMPARED: readonly (readonly [kernel: string, shape: string, dtype: string])[] = [
  ['gemm_f32', '1024x1024x1024', 'f32'],
  ['syrk', '2048x4096', 'f32'],
];
