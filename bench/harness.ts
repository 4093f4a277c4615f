/**
 * The benchmark harness: what a case is, how it is checked and timed (tinybench, interleaved across
 * the libraries of a group), and the record each result becomes. A case prepares its operands, runs once and checks that output against an
 * independent reference (sampled naive dot products in f64, or a residual), and only then is timed,
 * so a fast wrong kernel never gets a number. Results keep the last output alive (`sink`) so the
 * work cannot be optimized away.
 *
 * Not the suites (bench/*.bench.ts) and not the CLI (bench/run.ts).
 */
import { Bench } from 'tinybench';
import { applyThreads } from './threads.js';
import { syrk } from '../src/ops/linalg.js';
import { tensor } from '../src/tensor.js';

/** What a suite is asked for: the run's thread count and whether shapes are the quick ones. */
export interface SuiteContext {
  readonly quick: boolean;
  readonly threads: number;
}

/** A prepared case: one call of the measured operation, and the check of its output. */
export interface Prepared {
  run(): unknown;
  /** Throws (with the worst error found) when the output of one `run()` is wrong. */
  check(): void | Promise<void>;
  dispose?(): void;
  /** Bytes of weights one call reads, when only the prepared operands know it (packed sizes). */
  readonly weightBytes?: number;
}

/** One measurement: an operation of one library on one shape. */
export interface BenchCase {
  readonly family: string;
  readonly kernel: string;
  readonly lib: string;
  readonly shape: string;
  readonly dtype: string;
  readonly groupSize?: number;
  /** Floating-point operations per call (2mkn for a matmul). */
  readonly flops: number;
  /** Bytes of weights (the constant operand) read per call; 0 when the notion does not apply. */
  readonly weightBytes: number;
  /**
   * Threads our kernels run on for this case (default: the run's count). The runner's one-thread
   * twins set 1 in a two-thread run; the harness switches around the case's calls.
   */
  readonly threads?: number;
  /**
   * Iteration count. Default: as many as fit ~1.5 s (3 to 200), or 2 when one call takes over 3 s.
   * 1 means the checked call itself is the one sample (for calls of minutes).
   */
  readonly iterations?: number;
  /** A note for the report (e.g. "timed once"). */
  readonly note?: string;
  /**
   * Consecutive cases with the same timingGroup are timed in the same rounds even across kernels
   * and dtypes (by default a group is one kernel, shape, dtype and group size), so rows compared
   * with each other in the report (each dtype against our int4) see the same moments of the machine.
   */
  readonly timingGroup?: string;
  /** Builds the operands, or a result measured elsewhere (a numpy subprocess). */
  prepare(): Promise<Prepared | External> | Prepared | External;
}

/** A case timed outside this process (numpy): its median and sample count, already checked. */
export interface External {
  readonly external: { medianMs: number; samples: number };
}

/** One result row, as written by `--json` and read by bench/report.ts. */
export interface BenchResult {
  family: string;
  kernel: string;
  lib: string;
  shape: string;
  dtype: string;
  groupSize: number | null;
  threads: number;
  medianMs: number | null;
  samples: number;
  gflops: number | null;
  gbps: number | null;
  note: string | null;
  /** Why the case has no number (load failure, wrong result, exception). */
  error: string | null;
}

/** Keeps outputs reachable so the engine cannot drop the work. */
export const sink: unknown[] = [];

/** Time budget per case in ms, and the iteration bounds. */
const BUDGET_MS = 1500;
const MAX_ITER = 200;
const MIN_ITER = 3;
/** A call longer than this (ms) is timed twice only, after its checked call. */
const LONG_MS = 3000;

function row(c: BenchCase, threads: number): BenchResult {
  return {
    family: c.family,
    kernel: c.kernel,
    lib: c.lib,
    shape: c.shape,
    dtype: c.dtype,
    groupSize: c.groupSize ?? null,
    threads,
    medianMs: null,
    samples: 0,
    gflops: null,
    gbps: null,
    note: c.note ?? null,
    error: null,
  };
}

function withRates(r: BenchResult, c: BenchCase, ms: number, samples: number, weightBytes = c.weightBytes): BenchResult {
  r.medianMs = ms;
  r.samples = samples;
  r.gflops = c.flops > 0 ? c.flops / (ms * 1e6) : null;
  r.gbps = weightBytes > 0 ? weightBytes / (ms * 1e6) : null;
  return r;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);

/** Rounds the timing of a group is split into (see `measureGroup`). */
const ROUNDS = 3;
/** Pause before each library's share of a round (ms), and untimed calls that re-warm its caches. */
const SETTLE_MS = 50;
const WARM_CALLS = 5;

interface Live {
  readonly c: BenchCase;
  readonly r: BenchResult;
  readonly p: Prepared;
  remaining: number;
  perRound: number;
  samples: number[];
}

/** Runs f with our kernels on the case's own thread count (see BenchCase.threads), then back on the run's. */
async function onThreads<T>(c: BenchCase, threads: number, f: () => Promise<T>): Promise<T> {
  if (c.threads === undefined || c.threads === threads) return f();
  applyThreads(c.threads);
  try {
    return await f();
  } finally {
    applyThreads(threads);
  }
}

/** Times `iterations` calls of one prepared case with tinybench and returns the samples (ms). */
async function timeCalls(c: BenchCase, p: Prepared, iterations: number): Promise<number[]> {
  // Another library of the group ran just before: let its threads go idle (onnxruntime's pool
  // spins after a run; with 2 cores that took our two-thread GEMV from 0.83 ms alone to 1.5-2.4 ms
  // right after the peers), then re-warm the caches with this library's data (a few untimed calls).
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const warm = Math.min(WARM_CALLS, iterations);
  const bench = new Bench({ iterations, time: 0, warmup: true, warmupIterations: warm, warmupTime: 0, throws: true, retainSamples: true });
  bench.add(c.kernel, async () => {
    sink[0] = await p.run();
  });
  await bench.run();
  const res = bench.tasks[0].result;
  if (!('latency' in res) || !res.latency.samples) throw new Error(`tinybench returned no samples (state ${res.state})`);
  return Array.from(res.latency.samples);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/**
 * Prepares, checks and times a group of cases that compute the same thing (one kernel, shape and
 * dtype in several libraries). The timing is interleaved: ROUNDS rounds, each running every
 * library's share of its iterations in turn, so a change in machine load during the group hits
 * every library alike. Never throws: a failure becomes that row's `error`.
 * @example
 * const rows = await measureGroup([oursCase, peerCase], 1);
 */
export async function measureGroup(cases: readonly BenchCase[], threads: number): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const live: Live[] = [];
  try {
    for (const c of cases) {
      const r = row(c, c.threads ?? threads);
      rows.push(r);
      let p: Prepared | External;
      try {
        p = await c.prepare();
      } catch (e) {
        r.error = `setup failed: ${message(e)}`;
        continue;
      }
      if ('external' in p) {
        withRates(r, c, p.external.medianMs, p.external.samples);
        continue;
      }
      try {
        // The checked call doubles as the warm-up, and its time sizes the iteration count.
        const first = await onThreads(c, threads, async () => {
          const t0 = performance.now();
          sink[0] = await p.run();
          const ms = performance.now() - t0;
          await p.check();
          return ms;
        });
        if (c.iterations === 1) {
          // A call of minutes is timed once: the checked call itself (tinybench would repeat it).
          live.push({ c, r, p, remaining: 0, perRound: 0, samples: [first] });
          continue;
        }
        const total = c.iterations ?? (first > LONG_MS ? 2 : Math.min(MAX_ITER, Math.max(MIN_ITER, Math.ceil(BUDGET_MS / Math.max(first, 1e-3)))));
        live.push({ c, r, p, remaining: total, perRound: Math.max(1, Math.ceil(total / ROUNDS)), samples: [] });
      } catch (e) {
        r.error = message(e);
        p.dispose?.();
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const l of live) {
        if (l.r.error || l.remaining <= 0) continue;
        const n = Math.min(l.perRound, l.remaining);
        try {
          l.samples.push(...(await onThreads(l.c, threads, () => timeCalls(l.c, l.p, n))));
          l.remaining -= n;
        } catch (e) {
          l.r.error = message(e);
        }
      }
    }
    for (const l of live) if (!l.r.error) withRates(l.r, l.c, median(l.samples), l.samples.length, l.p.weightBytes);
  } finally {
    for (const l of live) l.p.dispose?.();
    sink.length = 0;
  }
  return rows;
}

/** A deterministic generator (mulberry32) so every library sees the same operands. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` uniform values in [-1, 1) from a seed.
 * @example
 * const w = randomF32(4096 * 4096, 1);
 */
export function randomF32(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * r() - 1;
  return out;
}

/**
 * Checks sampled entries of an output against reference values, with a relative-to-scale bound.
 * `got(i)` and `want(i)` read entry `i` of `count` sampled entries.
 * @example
 * checkSamples('gemv', 16, (s) => y[idx[s]], (s) => dot(idx[s]), 1e-3);
 */
export function checkSamples(what: string, count: number, got: (s: number) => number, want: (s: number) => number, tol: number): void {
  let worst = 0;
  let at = -1;
  let scale = 0;
  const g: number[] = [];
  const w: number[] = [];
  for (let s = 0; s < count; s++) {
    g.push(got(s));
    w.push(want(s));
    scale = Math.max(scale, Math.abs(w[s]));
  }
  scale = Math.max(scale, 1e-30);
  for (let s = 0; s < count; s++) {
    const e = Math.abs(g[s] - w[s]) / scale;
    if (!(e <= worst)) {
      worst = e;
      at = s;
    }
  }
  if (!(worst <= tol)) {
    throw new Error(`${what}: wrong result, sample ${at} is ${g[at]} where ${w[at]} was expected (relative error ${worst.toExponential(2)} > ${tol})`);
  }
}

/**
 * `count` sample positions spread over [0, n) (first, last and a deterministic spread).
 * @example
 * samplePositions(4096, 8);
 */
export function samplePositions(n: number, count: number): number[] {
  const r = rng(n * 31 + count);
  const out = [0, n - 1];
  while (out.length < Math.min(count, n)) out.push(Math.floor(r() * n));
  return out;
}

const spdCache = new Map<number, Float32Array>();

/**
 * A well-conditioned SPD matrix (n x n, row-major): G Gᵀ / r + I for a uniform G (n x r), r = n / 4,
 * the recipe of bench/numpy_bench.py, cached per n. Built with our SYRK for speed; the cases check
 * their outputs against this matrix whatever it is, and the syrk case checks SYRK itself.
 * @example
 * const a = spd(1024);
 */
export function spd(n: number): Float32Array {
  let a = spdCache.get(n);
  if (a) return a;
  const r = Math.max(8, n >> 2);
  const g = tensor(randomF32(r * n, 21), [r, n]);
  const h = syrk(g, { alpha: 1 / r });
  a = Float32Array.from(h.data() as Float32Array);
  g.dispose();
  h.dispose();
  for (let i = 0; i < n; i++) a[i * n + i] += 1;
  spdCache.set(n, a);
  return a;
}

