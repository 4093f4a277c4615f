/**
 * `quantensor bench`: a quick measure of this machine's packed and dense matmul speed through the
 * public ops (the full suite with peers is `npm run bench` in the repository). Each case is checked
 * against an f64 reference on a few output rows before it is timed; the median of the timed calls is
 * reported with GB/s (GEMV: the weights' storage size, codes and qparams, over the time) or GFLOP/s.
 */
import { matmul } from '../ops/matmul.js';
import { linear } from '../ops/linear.js';
import { quantize } from '../ops/quant.js';
import { randn } from '../ops/random.js';
import { dequantize, QTensor } from '../qtensor.js';
import type { Tensor } from '../tensor.js';
import { getBackend } from '../kernels/backend.js';
import { THREADS_OPTION, withThreads } from './threads-option.js';
import { EXIT, UsageError, intOption, type ParsedArgs } from './args.js';
import type { CliIO, Command } from './main.js';

/** One measured case. */
export interface BenchRow {
  readonly name: string;
  readonly medianMs: number;
  /** Weight bytes read per call over the median time (GEMV), or null. */
  readonly gbPerS: number | null;
  readonly gflopPerS: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => Tensor, minMs: number): number {
  f().dispose(); // warm-up
  const ts: number[] = [];
  const end = performance.now() + minMs;
  while (ts.length < 5 || (performance.now() < end && ts.length < 200)) {
    const t0 = performance.now();
    const y = f();
    ts.push(performance.now() - t0);
    y.dispose();
  }
  return median(ts);
}

/** Largest relative error of rows `rows` of y = x Wᵀ against an f64 product with `w` dense. */
function checkRows(y: Tensor, x: Tensor, w: Tensor, rows: number[]): number {
  const yv = y.toFloat32();
  const xv = x.toFloat32();
  const wv = w.toFloat32();
  const n = w.shape[0];
  const k = w.shape[1];
  const m = x.size / k;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (const r of rows) {
      let s = 0;
      let a = 0;
      for (let j = 0; j < k; j++) {
        s += xv[i * k + j] * wv[r * k + j];
        a += Math.abs(xv[i * k + j] * wv[r * k + j]);
      }
      worst = Math.max(worst, Math.abs(yv[i * n + r] - s) / (a || 1));
    }
  }
  return worst;
}

/**
 * Runs the quick cases on `n` x `n` weights.
 * @example
 * const rows = runBench(2048, 300); // int4/nf4 GEMV, int4 GEMM x16, f32 GEMV and GEMM
 */
export function runBench(n: number, minMs: number): BenchRow[] {
  const w = randn([n, n], { seed: 1 });
  const x1 = randn([1, n], { seed: 2 });
  const x16 = randn([16, n], { seed: 3 });
  const rows: BenchRow[] = [];
  const check = [0, Math.floor(n / 2), n - 1];
  const run = (name: string, x: Tensor, weight: Tensor | QTensor, reference: Tensor, bytes: number): void => {
    const y = linear(x, weight);
    const err = checkRows(y, x, reference, check);
    y.dispose();
    // f32 sums over n terms: a relative error far above n·u means a wrong kernel, not rounding.
    if (!(err < 1e-4)) throw new Error(`bench ${name}: result differs from the f64 reference (relative error ${err})`);
    const ms = time(() => linear(x, weight), minMs);
    const m = x.size / n;
    rows.push({ name, medianMs: ms, gbPerS: m === 1 ? bytes / ms / 1e6 : null, gflopPerS: (2 * m * n * n) / ms / 1e6 });
  };
  for (const dtype of ['int4', 'nf4'] as const) {
    const q = quantize(w, { dtype, groupSize: 128 });
    const dq = dequantize(q);
    const bytes = q.sizeBits().total / 8;
    run(`${dtype} g128 GEMV 1x${n}x${n}`, x1, q, dq, bytes);
    if (dtype === 'int4') run(`int4 g128 GEMM 16x${n}x${n}`, x16, q, dq, bytes);
    dq.dispose();
    q.dispose();
  }
  run(`f32 GEMV 1x${n}x${n}`, x1, w, w, n * n * 4);
  const a = randn([512, 512], { seed: 4 });
  const ms = time(() => matmul(a, a), minMs);
  rows.push({ name: 'f32 GEMM 512x512x512', medianMs: ms, gbPerS: null, gflopPerS: (2 * 512 ** 3) / ms / 1e6 });
  for (const t of [w, x1, x16, a]) t.dispose();
  return rows;
}

/** The `bench` command. */
export const benchCommand: Command = {
  summary: "measure this machine's packed (int4, nf4) and dense matmul speed",
  usage: '',
  options: {
    size: { type: 'string', value: 'N', help: 'weights are N x N (default 4096)' },
    ...THREADS_OPTION,
    json: { type: 'boolean', help: 'print the rows as JSON' },
  },
  async run(args: ParsedArgs, io: CliIO) {
    if (args.positionals.length) throw new UsageError(`bench: takes no arguments, got ${args.positionals.join(' ')}`);
    const n = intOption(args, 'size', 8) ?? 4096;
    return withThreads(args, (threads) => {
      const rows = runBench(n, 400);
      if (args.values.json) io.out(JSON.stringify({ backend: getBackend(), threads, rows }));
      else {
        io.out(`backend ${getBackend()}, ${threads} thread${threads > 1 ? 's' : ''}`);
        for (const r of rows) {
          const speed = r.gbPerS === null ? `${r.gflopPerS.toFixed(1)} GFLOP/s` : `${r.gbPerS.toFixed(2)} GB/s of stored weights`;
          io.out(`${r.name.padEnd(28)} ${r.medianMs.toFixed(3).padStart(9)} ms   ${speed}`);
        }
      }
      return EXIT.ok;
    });
  },
};
