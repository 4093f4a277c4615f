/**
 * PVQ decode-on-the-fly matmul suite: y = W x for a weight stored as pyramid-vector codes
 * (`pvqQuantize`, about 4 bits per weight, all storage counted) through `PvqTensor.matmul`, which
 * rotates the activations and decodes each group's combinatorial index inside the kernel (GB/s
 * counts every stored bit: codes, row scales, levels). Timed next
 * to our int4 g128 packed GEMV (bench/quant.bench.ts) on the same shape; no peer library has PVQ.
 * The output is checked on sampled entries against f64 dot products with `dequantize()`.
 */
import { pvqConfigForBits } from '../src/quantizers/pvq/config.js';
import { pvqQuantize } from '../src/quantizers/pvq/quantize.js';
import type { PvqTensor } from '../src/quantizers/pvq/pvq-tensor.js';
import { tensor, type Tensor } from '../src/tensor.js';
import { checkSamples, randomF32, samplePositions, type BenchCase, type Prepared, type SuiteContext } from './harness.js';
import { MODEL_SHAPES, QUICK, label, type MatShape } from './shapes.js';

/** Target storage of the PVQ weight, bits per weight (comparable with int4 g128 at 4.16). */
const PVQ_BITS = 4;

function prepare(s: MatShape): Prepared {
  const { k, n } = s;
  const w = tensor(randomF32(n * k, 42), [n, k]);
  const cfg = pvqConfigForBits(PVQ_BITS, { shape: [n, k] });
  const { q } = pvqQuantize(w, { dim: cfg.dim, pulses: cfg.pulses, ampBits: cfg.ampBits });
  w.dispose();
  const dq = q.dequantize();
  const wd = Float32Array.from(dq.data() as Float32Array);
  dq.dispose();
  const xs = randomF32(k, 41);
  const x = tensor(xs, [k]);
  let last: Tensor | null = null;
  const pq: PvqTensor = q;
  return {
    run: () => {
      last?.dispose();
      return (last = pq.matmul(x));
    },
    check: () => {
      const y = last!.data() as Float32Array;
      const rows = samplePositions(n, 32);
      checkSamples('quantensor pvq matmul', rows.length, (t) => y[rows[t]], (t) => {
        let acc = 0;
        for (let j = 0; j < k; j++) acc += wd[rows[t] * k + j] * xs[j];
        return acc;
      }, Math.max(1e-4, k * 2 ** -20));
    },
    dispose: () => {
      last?.dispose();
      x.dispose();
      pq.dispose();
    },
    weightBytes: q.sizeBits().total / 8,
  };
}

/**
 * The PVQ cases for one run (the one-thread run only: encoding 4096x4096 takes about 25 s).
 * @example
 * const cases = pvqCases({ quick: true, threads: 1 });
 */
export function pvqCases(ctx: SuiteContext): BenchCase[] {
  if (ctx.threads > 1) return [];
  const s = ctx.quick ? QUICK.model.decode : MODEL_SHAPES.decode;
  return [
    {
      family: 'pvq',
      kernel: 'pvq_matmul_f32',
      lib: 'quantensor',
      shape: label(s),
      dtype: `pvq${PVQ_BITS}`,
      flops: 2 * s.m * s.k * s.n,
      weightBytes: 0,
      note: `pvqQuantize at <= ${PVQ_BITS} bits per weight (dim 16); setup includes the encode`,
      prepare: () => prepare(s),
    },
  ];
}
