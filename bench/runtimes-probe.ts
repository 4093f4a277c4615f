/**
 * The program bench/runtimes.ts bundles and runs in Node, Bun and Deno: the packed GEMVs of the
 * issue's targets (1x4096x4096, groups of 128) through the public `linear`, each checked against a
 * dense matmul of its dequantized weight, then timed with tinybench. `--relaxed` asks for the
 * relaxed-SIMD build first (useRelaxedSimd; false where the runtime lacks it). Prints one line,
 * `RUNTIMES <json>`. Not a vitest file.
 */
import { Bench } from 'tinybench';
import * as qt from '../src/index.js';
import { programArgs, runtimeName } from '../test/portable/runtime-name.js';

/** One timed GEMV: the weight's dtype and the activation path of `linear`. */
export interface RuntimeRow {
  readonly case: string;
  readonly medianMs: number;
  /** Bytes of the stored weight (codes, scales and zeros: bitsPerWeight / 8 per weight), read once per call. */
  readonly weightBytes: number;
  /** ‖y − y_ref‖ / ‖y_ref‖ against the dense product with the dequantized weight. */
  readonly relError: number;
}

export interface RuntimeOutput {
  readonly runtime: string;
  readonly relaxed: boolean;
  readonly rows: readonly RuntimeRow[];
}

const N = 4096;
const K = 4096;
const CASES = [
  { name: 'int4 f32-act', dtype: 'int4', activations: 'f32', tolerance: 1e-5 },
  { name: 'nf4 f32-act', dtype: 'nf4', activations: 'f32', tolerance: 1e-5 },
  // int8 activations: the per-block rounding of x, about 0.4% of each block's largest value
  { name: 'int4 int8-act', dtype: 'int4', activations: 'int8', tolerance: 2e-2 },
] as const;
const ITERATIONS = 300;

const median = (xs: ArrayLike<number>): number => {
  const s = Array.from(xs).sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

async function main(): Promise<void> {
  const relaxed = programArgs().includes('--relaxed') ? qt.useRelaxedSimd() : false;
  // a wasm build that fails to instantiate leaves the JS kernels: never time those as either build
  const backend = await qt.ready();
  if (backend !== 'wasm') throw new Error(`the ${relaxed ? 'relaxed' : 'SIMD128'} wasm build is not running (backend ${backend})`);
  const w = qt.randn([N, K], { seed: 1 });
  const x = qt.randn([1, K], { seed: 2 });
  const rows: RuntimeRow[] = [];
  for (const c of CASES) {
    const q = qt.quantize(w, { dtype: c.dtype, groupSize: 128 });
    const opts = { activations: c.activations };
    const ref = qt.matmul(x, qt.transpose(qt.dequantize(q)));
    const y = qt.linear(x, q, opts);
    const relError = qt.norm(qt.sub(y, ref)).item() / qt.norm(ref).item();
    if (!(relError <= c.tolerance)) throw new Error(`${c.name}: relative error ${relError} above ${c.tolerance}`);
    const bench = new Bench({ iterations: ITERATIONS, time: 0, warmup: true, warmupIterations: 30, warmupTime: 0, throws: true, retainSamples: true });
    bench.add(c.name, () => {
      qt.linear(x, q, opts).dispose();
    });
    await bench.run();
    const res = bench.tasks[0].result;
    if (!('latency' in res) || !res.latency.samples) throw new Error(`${c.name}: tinybench returned no samples`);
    rows.push({ case: c.name, medianMs: median(res.latency.samples), weightBytes: (q.bitsPerWeight * N * K) / 8, relError });
    q.dispose();
  }
  const out: RuntimeOutput = { runtime: runtimeName(), relaxed, rows };
  console.log(`RUNTIMES ${JSON.stringify(out)}`);
}

main().catch((e: unknown) => {
  console.log(`RUNTIMES ${JSON.stringify({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) })}`);
});
