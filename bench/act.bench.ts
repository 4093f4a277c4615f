/**
 * Activation suite: the forward pass's `causal_softmax_f32` (one 64-row block of attention scores
 * of a 512-token window, the last block, so every row is full width) and `swiglu_f32` (the MLP
 * gate of a 512-token window of width 1536), each next to its JS reference (`quantensor-js`), one
 * thread. GB/s counts the bytes read and written. Checked before timing against f64: softmax rows
 * against exp(s − max) / Σ, SwiGLU against silu(g)·u. Later (timed) runs work on the previous
 * run's output, which stays finite: softmax rows are probabilities, and |u| < 1 shrinks the gate.
 */
import { KERNELS, kernel } from '../src/kernels/table.js';
import { tensorRef } from '../src/kernels/ref.js';
import { tensor } from '../src/tensor.js';
import { checkSamples, randomF32, samplePositions, type BenchCase, type Prepared, type SuiteContext } from './harness.js';

function prepareSoftmax(rows: number, cols: number, impl: 'wasm' | 'js'): Prepared {
  const s0 = randomF32(rows * cols, 81).map((v) => v * 8);
  const s = tensor(s0, [rows, cols]);
  const fn = impl === 'js' ? KERNELS.causal_softmax_f32.js : kernel('causal_softmax_f32');
  const r0 = cols - rows;
  const at = samplePositions(rows * cols, 64);
  return {
    run: () => fn({ s: tensorRef(s), r0, r1: cols, cols, rs: cols }),
    check: () => {
      const got = s.data() as Float32Array;
      const want = (t: number): number => {
        const i = Math.floor(at[t] / cols);
        const j = at[t] % cols;
        if (j > r0 + i) return 0;
        const row = Array.from(s0.subarray(i * cols, i * cols + r0 + i + 1));
        const m = Math.max(...row);
        return Math.exp(s0[i * cols + j] - m) / row.reduce((a, v) => a + Math.exp(v - m), 0);
      };
      checkSamples(`causal_softmax_f32 ${impl}`, at.length, (t) => got[at[t]], want, 1e-5);
    },
    dispose: () => s.dispose(),
  };
}

function prepareSwiglu(n: number, impl: 'wasm' | 'js'): Prepared {
  const g0 = randomF32(n, 82).map((v) => v * 6);
  const u0 = randomF32(n, 83).map((v) => v * 0.9);
  const g = tensor(g0, [n]);
  const u = tensor(u0, [n]);
  const fn = impl === 'js' ? KERNELS.swiglu_f32.js : kernel('swiglu_f32');
  const at = samplePositions(n, 64);
  return {
    run: () => fn({ g: tensorRef(g), u: tensorRef(u), n }),
    check: () => {
      const got = g.data() as Float32Array;
      checkSamples(`swiglu_f32 ${impl}`, at.length, (t) => got[at[t]], (t) => (g0[at[t]] / (1 + Math.exp(-g0[at[t]]))) * u0[at[t]], 1e-6);
    },
    dispose: () => {
      g.dispose();
      u.dispose();
    },
  };
}

/**
 * The activation cases for one run (one thread only: the kernels run on the calling thread).
 * @example
 * const cases = actCases({ quick: false, threads: 1 });
 */
export function actCases(ctx: SuiteContext): BenchCase[] {
  if (ctx.threads !== 1) return [];
  const [rows, cols] = ctx.quick ? [16, 128] : [64, 512];
  const n = ctx.quick ? 128 * 384 : 512 * 1536;
  // [kernel, shape, bytes read and written, prepare], each next to its JS reference
  const kernels = [
    ['causal_softmax_f32', `${rows}x${cols}`, rows * cols * 8, (impl: 'wasm' | 'js') => prepareSoftmax(rows, cols, impl)],
    ['swiglu_f32', `${n}`, n * 12, (impl: 'wasm' | 'js') => prepareSwiglu(n, impl)],
  ] as const;
  const out: BenchCase[] = [];
  for (const [kernel, shape, weightBytes, prepare] of kernels) {
    for (const impl of ['wasm', 'js'] as const) {
      out.push({
        family: 'act',
        kernel,
        lib: impl === 'wasm' ? 'quantensor' : 'quantensor-js',
        shape,
        dtype: 'f32',
        flops: 0,
        weightBytes,
        note: impl === 'js' ? 'the JS reference kernel' : undefined,
        prepare: () => prepare(impl),
      });
    }
  }
  return out;
}
