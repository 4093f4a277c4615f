/**
 * GPTQ timing suite: `gptq(w, H, { dtype: 'int4', groupSize: 128 })` end to end (damping, Cholesky
 * inverse, the blocked column loop with error feedback, packing) on a layer [n, k] with a
 * correlated SPD Hessian H [k, k] (bench/harness.ts `spd`). Before timing, the result is checked
 * independently: its output error tr(ΔHΔᵀ) must be below plain round-to-nearest's (`quantize` with
 * the same dtype and groups), both computed here with `matmul`. No JS peer implements GPTQ.
 */
import { matmul } from '../src/ops/matmul.js';
import { quantize } from '../src/ops/quant.js';
import { dequantize, type QTensor } from '../src/qtensor.js';
import { gptq } from '../src/quantizers/gptq.js';
import { tensor, type Tensor } from '../src/tensor.js';
import { randomF32, spd, type BenchCase, type Prepared, type SuiteContext } from './harness.js';

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

function prepare(n: number, k: number): Prepared {
  const w = randomF32(n * k, 51);
  const W = tensor(w, [n, k]);
  const H = tensor(spd(k), [k, k]);
  const opts = { dtype: 'int4', groupSize: 128 } as const;
  let last: QTensor | null = null;
  return {
    run: () => {
      last?.dispose();
      return (last = gptq(W, H, opts).q);
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
 * The GPTQ cases for one run.
 * @example
 * const cases = gptqCases({ quick: true, threads: 1 });
 */
export function gptqCases(ctx: SuiteContext): BenchCase[] {
  // [rows, cols, iterations]: GPTQ costs ~ rows·cols² + cols³, so 4096x4096 (minutes on a shared
  // 2-core machine) is left out; 4096 rows x 1024 cols is timed once in the one-thread run.
  const shapes: [number, number, number | undefined][] = ctx.quick ? [[256, 512, undefined]] : [[1024, 1024, undefined], [4096, 1024, 1]];
  const out: BenchCase[] = [];
  for (const [n, k, iterations] of shapes) {
    if (ctx.threads > 1 && iterations) continue;
    out.push({
      family: 'gptq',
      kernel: 'gptq',
      lib: 'quantensor',
      shape: `${n}x${k}`,
      dtype: 'int4',
      groupSize: 128,
      flops: 0,
      weightBytes: 0,
      ...(iterations ? { iterations, note: 'timed once' } : {}),
      prepare: () => prepare(n, k),
    });
  }
  return out;
}
