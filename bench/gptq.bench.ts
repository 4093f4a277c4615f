/**
 * GPTQ timing suite: `gptq(w, H, { dtype: 'int4', groupSize: 128 })` end to end (damping, Cholesky
 * inverse, the blocked column loop with error feedback, packing) on a layer [n, k] with a
 * correlated SPD Hessian H [k, k] (bench/harness.ts `spd`). Before timing, the result is checked
 * independently: its output error tr(ΔHΔᵀ) must be below plain round-to-nearest's (`quantize` with
 * the same dtype and groups), both computed here with `matmul`. No JS peer implements GPTQ; the peer is
 * PyTorch on CPU (bench/torch_gptq.py, same shapes, grid and act-order; Debian's python3-torch, its
 * rows are left out when torch is not installed).
 *
 * The 4096x4096 act-order case also reports memory (one line on stdout): the peak above what W and
 * H [4096, 4096] f32 already hold, per phase of the report (inverse, loop, pack), as (a) live bytes
 * of the wasm heap, exact (every allocation is tracked during the call), and (b) the process RSS,
 * sampled every 5 ms by a worker thread (it also counts JS arrays and garbage not yet collected, and
 * misses wasm blocks freed earlier in the process and reused). Budget: 3x W + H (384 MiB).
 */
import { Worker } from 'node:worker_threads';
import { wasmRuntime } from '../src/kernels/backend.js';
import { matmul } from '../src/ops/matmul.js';
import { quantize } from '../src/ops/quant.js';
import { dequantize, type QTensor } from '../src/qtensor.js';
import { gptq } from '../src/quantizers/gptq.js';
import { empty, tensor, type Tensor } from '../src/tensor.js';
import { KERNELS, kernel } from '../src/kernels/table.js';
import { tensorRef } from '../src/kernels/ref.js';
import { quantInfo } from '../src/dtype/table.js';
import { randomF32, spd, type BenchCase, type Prepared, type SuiteContext } from './harness.js';
import { torchGptqCase, torchPython } from './peers.js';

/** tr(ΔHΔᵀ) for Δ = W − deq(q): the output error GPTQ minimises (up to a constant). */
function outputError(w: Float32Array, q: QTensor, h: Tensor, n: number, k: number): number {
  const dq = dequantize(q);
  const d = Float32Array.from(dq.data() as Float32Array);
  dq.dispose();
  for (let i = 0; i < d.length; i++) d[i] = w[i] - d[i];
  const D = tensor(d, [n, k]);
  const DH = matmul(D, h);
  const dh = DH.data() as Float32Array;
  let e = 0;
  for (let i = 0; i < d.length; i++) e += d[i] * dh[i];
  D.dispose();
  DH.dispose();
  return e;
}

const MiB = 2 ** 20;

/** The sampler thread: process RSS every 5 ms into a shared ring of (time, rss) until told to stop. */
const SAMPLER = `
const { workerData } = require('node:worker_threads');
const f = new Float64Array(workerData.samples);
const ctl = new Int32Array(workerData.ctl);
for (let i = 0; Atomics.load(ctl, 0) === 0; i++) {
  const k = 2 * (i % (f.length / 2));
  f[k] = performance.timeOrigin + performance.now();
  f[k + 1] = process.memoryUsage().rss;
  Atomics.store(ctl, 1, i + 1);
  Atomics.wait(ctl, 0, 0, 5);
}
`;

/** Peaks of one call, per phase: bytes above the start; and the phases' times (ms). */
interface MemoryPeaks {
  readonly heap: Record<string, number>;
  readonly rss: Record<string, number>;
  readonly ms: Record<string, number>;
}

/**
 * Runs `call` (which returns its report's phases, in ms from the start) and returns, per phase, the
 * peak live wasm-heap bytes and the peak sampled RSS above their values at the start.
 */
function measureMemory(call: () => Record<string, number>): MemoryPeaks {
  const heap = wasmRuntime().heap;
  const samples = new SharedArrayBuffer(8 * 2 * 100_000);
  const ctl = new SharedArrayBuffer(8);
  const sampler = new Worker(SAMPLER, { eval: true, workerData: { samples, ctl } });
  // Allocation events: (time, live bytes); frees only lower the level, so allocations bound the peak.
  const events: [number, number][] = [];
  const alloc = heap.alloc;
  heap.alloc = function (bytes: number): number {
    const p = alloc.call(this, bytes);
    events.push([performance.timeOrigin + performance.now(), this.stats().used]);
    return p;
  };
  const heap0 = heap.stats().used;
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.timeOrigin + performance.now();
  let phases: Record<string, number>;
  try {
    phases = call();
  } finally {
    heap.alloc = alloc;
    const c = new Int32Array(ctl);
    Atomics.store(c, 0, 1);
    Atomics.notify(c, 0);
    void sampler.terminate();
  }
  const count = Math.min(Atomics.load(new Int32Array(ctl), 1), samples.byteLength / 16);
  const f = new Float64Array(samples);
  const out: MemoryPeaks = { heap: {}, rss: {}, ms: phases };
  let start = t0;
  for (const [name, ms] of Object.entries(phases)) {
    const end = start + ms;
    let h = 0;
    for (const [t, used] of events) if (t >= start && t < end) h = Math.max(h, used - heap0);
    let r = 0;
    for (let i = 0; i < count; i++) if (f[2 * i] >= start && f[2 * i] < end) r = Math.max(r, f[2 * i + 1] - rss0);
    out.heap[name] = h;
    out.rss[name] = r;
    start = end;
  }
  return out;
}

function prepare(n: number, k: number, actOrder = false, memory = false): Prepared {
  const w = randomF32(n * k, 51);
  const W = tensor(w, [n, k]);
  const H = tensor(spd(k), [k, k]);
  const opts = { dtype: 'int4', groupSize: 128, actOrder } as const;
  let last: QTensor | null = null;
  return {
    run: () => {
      last?.dispose();
      last = null;
      if (!memory) return (last = gptq(W, H, opts).q);
      (globalThis as { gc?: () => void }).gc?.();
      const peaks = measureMemory(() => {
        const r = gptq(W, H, opts);
        last = r.q;
        return r.report.phases as Record<string, number>;
      });
      const fmt = (m: Record<string, number>): string =>
        Object.entries(m)
          .map(([p, b]) => `${p} +${(b / MiB).toFixed(0)}`)
          .join(', ');
      const budget = (3 * (W.size + H.size) * 4) / MiB;
      const wh = ((W.size + H.size) * 4) / MiB;
      const peak = Math.max(...Object.values(peaks.heap), ...Object.values(peaks.rss)) / MiB;
      const times = Object.entries(peaks.ms)
        .map(([p, ms]) => `${p} ${(ms / 1000).toFixed(1)}`)
        .join(', ');
      console.log(
        `gptq ${n}x${k} int4 g128${actOrder ? ' act-order' : ''} memory above W+H (${wh.toFixed(0)} MiB): ` +
          `wasm heap ${fmt(peaks.heap)} MiB; RSS ${fmt(peaks.rss)} MiB; peak ${peak.toFixed(0)} of ${budget.toFixed(0)} MiB allowed (3x W+H); ` +
          `time ${times} s`,
      );
      return last;
    },
    check: () => {
      const rtn = quantize(W, opts);
      const eRtn = outputError(w, rtn, H, n, k);
      rtn.dispose();
      const eGptq = outputError(w, last!, H, n, k);
      if (!(eGptq < eRtn)) throw new Error(`gptq output error ${eGptq.toExponential(3)} is not below RTN's ${eRtn.toExponential(3)}`);
    },
    dispose: () => {
      last?.dispose();
      W.dispose();
      H.dispose();
    },
  };
}

/**
 * One call of a fused GPTQ column kernel as GPTQ's loop makes it: a sub-block of `cols` columns of
 * `rows` rows, every column encoded with feedback to the later ones; `gptq_affine_f64` on an int4
 * grid (zero point 8) or `gptq_table_f64` on the nf4 table, random scales. Each run first restores W
 * from a copy (rows·cols f64, included in the time). Checked before timing: W, E, the codes and the
 * loss equal the JS reference's bit for bit.
 */
function prepareSteps(rows: number, cols: number, kind: 'affine' | 'table', impl: 'wasm' | 'js'): Prepared {
  const next = randomF32(rows * cols + cols * cols + rows, 61);
  const w0 = new Float64Array(rows * cols);
  const nf4 = quantInfo('nf4').values!;
  const nv = nf4.length;
  const grid = empty([kind === 'affine' ? 4 : 3, rows], 'f64');
  const gv = grid.raw() as Float64Array;
  for (let r = 0; r < rows; r++) {
    // Scales that map |w| < 0.8 onto the grid: 15 steps of ~0.1 (int4), or the table's [−1, 1].
    const jitter = 0.05 * Math.abs(next[rows * cols + cols * cols + r]);
    gv[r] = Math.fround(kind === 'affine' ? 0.1 + jitter : 0.8 + jitter);
    gv[rows + r] = kind === 'affine' ? 8 : 0;
    gv[2 * rows + r] = kind === 'affine' ? 0 : nv - 1;
    if (kind === 'affine') gv[3 * rows + r] = 15;
  }
  // nf4's values are distinct and ascending: codes 0..15 in order, midpoints, ties to the even code.
  const table = empty([4, nv], 'f64');
  const tv = table.raw() as Float64Array;
  for (let k = 0; k < nv; k++) {
    tv[k] = nf4[k];
    tv[nv + k] = k;
    if (k < nv - 1) {
      tv[2 * nv + k] = (nf4[k] + nf4[k + 1]) / 2;
      tv[3 * nv + k] = k % 2;
    }
  }
  for (let t = 0; t < cols; t++) for (let r = 0; r < rows; r++) w0[t * rows + r] = next[t * rows + r] * 0.8;
  const u = empty([cols, cols], 'f64');
  const uv = u.raw() as Float64Array;
  for (let i = 0; i < cols; i++) for (let j = i; j < cols; j++) uv[i * cols + j] = i === j ? 1 + Math.abs(next[rows * cols + i * cols + j]) : 0.2 * next[rows * cols + i * cols + j];
  const make = () => ({ w: empty([cols, rows], 'f64'), e: empty([cols, rows], 'f64'), codes: empty([cols, rows], 'uint8') });
  const call = (where: 'wasm' | 'js', b: ReturnType<typeof make>): number => {
    (b.w.raw() as Float64Array).set(w0);
    const args = { rows, nb: cols, a0: 0, a1: cols, kEnd: cols, w: tensorRef(b.w), e: tensorRef(b.e), u: tensorRef(u), grid: tensorRef(grid), codes: tensorRef(b.codes), loss: 0 };
    if (kind === 'affine') return (where === 'js' ? KERNELS.gptq_affine_f64.js : kernel('gptq_affine_f64'))(args);
    return (where === 'js' ? KERNELS.gptq_table_f64.js : kernel('gptq_table_f64'))({ ...args, table: tensorRef(table), nv });
  };
  const bufs = make();
  let loss = NaN;
  return {
    run: () => (loss = call(impl, bufs)),
    check: () => {
      const ref = make();
      const want = call('js', ref);
      const same = (a: Tensor, b: Tensor) => (a.raw() as Uint8Array).every((v, i) => v === (b.raw() as Uint8Array)[i]);
      const bad = [loss === want ? '' : 'loss', same(bufs.w, ref.w) ? '' : 'W', same(bufs.e, ref.e) ? '' : 'E', same(bufs.codes, ref.codes) ? '' : 'codes'].filter(Boolean);
      for (const t of Object.values(ref)) t.dispose();
      if (bad.length) throw new Error(`gptq_${kind}_f64 ${impl} differs from the JS reference in ${bad.join(', ')}`);
    },
    dispose: () => {
      for (const t of [grid, table, u, ...Object.values(bufs)]) t.dispose();
    },
  };
}

/**
 * One `copy2d_f32_f64` as GPTQ's loop uses it: the 128 columns of a block read out of a 4096x4096
 * f32 work matrix into the transposed f64 block (GB/s counts the bytes read and written). Checked
 * before timing against the source, element by element.
 */
function prepareBlockRead(rows: number, cols: number, nb: number, impl: 'wasm' | 'js'): Prepared {
  const work = tensor(randomF32(rows * cols, 71), [rows, cols]);
  const block = empty([nb, rows], 'f64');
  const fn = impl === 'js' ? KERNELS.copy2d_f32_f64.js : kernel('copy2d_f32_f64');
  const j0 = cols / 2;
  return {
    run: () => fn({ rows, cols: nb, src: { storage: work.storage, offset: j0 }, rss: cols, css: 1, dst: tensorRef(block), rsd: 1, csd: rows }),
    check: () => {
      const w = work.raw() as Float32Array;
      const b = block.raw() as Float64Array;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < nb; c++) if (b[c * rows + r] !== w[r * cols + j0 + c]) throw new Error(`copy2d_f32_f64 ${impl}: [${c}, ${r}] is ${b[c * rows + r]}, not ${w[r * cols + j0 + c]}`);
      }
    },
    dispose: () => {
      work.dispose();
      block.dispose();
    },
  };
}

/**
 * The GPTQ cases for one run.
 * @example
 * const cases = gptqCases({ quick: true, threads: 1 });
 */
export function gptqCases(ctx: SuiteContext): BenchCase[] {
  // [rows, cols, iterations, act-order with memory]: GPTQ costs ~ rows·cols² + cols³; the large
  // shapes are timed once, in the one-thread run only. 4096x4096 act-order (about a minute) is the
  // memory case: one 4096² layer with its 4096² Hessian.
  const shapes: [number, number, number | undefined, boolean][] = ctx.quick
    ? [[256, 512, undefined, false]]
    : [[1024, 1024, undefined, false], [4096, 1024, 1, false], [4096, 4096, 1, true]];
  const out: BenchCase[] = [];
  // The loop's fused column kernels on one 16-column sub-block of a 4096-row layer (one thread),
  // next to their JS references: GFLOP/s counts the feedback's multiply-subtracts only.
  if (ctx.threads === 1) {
    const [rows, cols] = [4096, 16];
    for (const kind of ['affine', 'table'] as const) {
      for (const impl of ['wasm', 'js'] as const) {
        out.push({
          family: 'gptq',
          kernel: `gptq_${kind}_f64`,
          lib: impl === 'wasm' ? 'quantensor' : 'quantensor-js',
          shape: `${rows}x${cols}`,
          dtype: kind === 'affine' ? 'int4' : 'nf4',
          flops: rows * cols * (cols - 1),
          weightBytes: rows * cols * 8,
          note: impl === 'js' ? 'the JS reference kernel' : undefined,
          prepare: () => prepareSteps(rows, cols, kind, impl),
        });
      }
    }
  }
  // The transposing copy that moves the loop's blocks in and out of the work matrix.
  if (ctx.threads === 1) {
    const [rows, cols, nb] = [4096, 4096, 128];
    for (const impl of ['wasm', 'js'] as const) {
      out.push({
        family: 'gptq',
        kernel: 'copy2d_f32_f64',
        lib: impl === 'wasm' ? 'quantensor' : 'quantensor-js',
        shape: `${rows}x${nb} of ${rows}x${cols}`,
        dtype: 'f32',
        flops: 0,
        weightBytes: rows * nb * (4 + 8),
        note: impl === 'js' ? 'the JS reference kernel' : 'transposed: one block of GPTQ\'s loop',
        prepare: () => prepareBlockRead(rows, cols, nb, impl),
      });
    }
  }
  const torch = torchPython();
  for (const [n, k, iterations, memory] of shapes) {
    if (ctx.threads > 1 && iterations) continue;
    out.push({
      family: 'gptq',
      kernel: memory ? 'gptq_act_order' : 'gptq',
      lib: 'quantensor',
      shape: `${n}x${k}`,
      dtype: 'int4',
      groupSize: 128,
      flops: 0,
      weightBytes: 0,
      ...(iterations ? { iterations, note: memory ? 'timed once; act-order; memory peaks printed' : 'timed once' } : {}),
      prepare: () => prepare(n, k, memory, memory),
    });
    if (torch) {
      out.push({
        family: 'gptq',
        kernel: memory ? 'gptq_act_order' : 'gptq',
        lib: 'pytorch',
        shape: `${n}x${k}`,
        dtype: 'int4',
        groupSize: 128,
        flops: 0,
        weightBytes: 0,
        note: 'torch CPU, packing not timed',
        prepare: () => torchGptqCase(torch, { n, k, act_order: memory, iterations: iterations ?? 3 }, ctx.threads),
      });
    }
  }
  return out;
}
