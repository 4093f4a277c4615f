/**
 * PVQ decode-on-the-fly GEMV next to the LUT (VQ codebook) GEMV and the int4 GEMV, one token through
 * a 4096×4096 layer, all through `linear` and in GB/s of the COMPRESSED weight (everything stored,
 * `sizeBits().total / 8`: codes, scales, codebook or amplitude levels, rotation), so the three rows
 * compare storage formats at about 4 bits per weight:
 *
 * - `pvq_matmul_f32`: a `pvq` QTensor from `pvqQuantize` (dim 16, pulses and amplitude bits by
 *   `pvqConfigForBits(4)`): the activations are rotated once per call, every group's combinatorial
 *   index is decoded inside the kernel;
 * - `vq_matmul_f32` (through `linear`) on a `codebook` QTensor: 8-bit indices of 2-d vectors (4 bits
 *   per weight), f16 row scales, a table of x · codebook entries per token, then one gather per index
 *   (GPTVQ/AQLM-style LUT matmul), next to `qmatmul_f32` on the same weight (decode, then dot: the
 *   path before the LUT kernel); codes and codebook are
 *   random (the kernel's speed does not depend on their quality, and k-means on 16M weights would
 *   dominate the setup);
 * - `qmatmul_f32` on int4, group 128, asymmetric, f16 scales (bench/quant.bench.ts has the peers);
 * - `pvq_matmul_f32` on 16 tokens (the same PVQ weight): decode amortised over the tokens.
 *
 * Each output is checked on sampled rows against f64 dot products with `dequantize()`. No peer
 * library has PVQ.
 */
import { pvqConfigForBits } from '../src/quantizers/pvq/config.js';
import { pvqQuantize } from '../src/quantizers/pvq/quantize.js';
import { kernel } from '../src/kernels/table.js';
import { qweightArgs } from '../src/kernels/qweight.js';
import { tensorRef } from '../src/kernels/ref.js';
import { linear } from '../src/ops/linear.js';
import { quantize } from '../src/ops/quant.js';
import { QTensor, dequantize, roundToScaleDType } from '../src/qtensor.js';
import { empty, tensor, type Tensor } from '../src/tensor.js';
import { checkSamples, randomF32, samplePositions, type BenchCase, type Prepared, type SuiteContext } from './harness.js';
import { MODEL_SHAPES, QUICK, label, type MatShape } from './shapes.js';

/** Target storage of the PVQ weight, bits per weight (comparable with int4 g128 at 4.16). */
const PVQ_BITS = 4;

/**
 * y = x Wᵀ for s.m tokens through `linear`, checked against the dequantized weight. `keep`: the
 * weight is shared with another case and not disposed here.
 */
function gemv(s: MatShape, q: QTensor, what: string, keep = false, mul: (x: Tensor, q: QTensor) => Tensor = linear): Prepared {
  const { k, n, m } = s;
  const dq = dequantize(q);
  const wd = Float32Array.from(dq.data() as Float32Array);
  dq.dispose();
  const xs = randomF32(m * k, 41);
  const x = tensor(xs, [m, k]);
  let last: Tensor | null = null;
  return {
    run: () => {
      last?.dispose();
      return (last = mul(x, q));
    },
    check: () => {
      const y = last!.data() as Float32Array;
      const at = samplePositions(m * n, 32);
      checkSamples(what, at.length, (t) => y[at[t]], (t) => {
        const [tok, r] = [Math.floor(at[t] / n), at[t] % n];
        let acc = 0;
        for (let j = 0; j < k; j++) acc += wd[r * k + j] * xs[tok * k + j];
        return acc;
      }, Math.max(1e-4, k * 2 ** -20));
    },
    dispose: () => {
      last?.dispose();
      x.dispose();
      if (!keep) q.dispose();
    },
    weightBytes: q.sizeBits().total / 8,
  };
}

/** The encoded PVQ weight per [n, k], shared by the GEMV and GEMM cases (the encode takes tens of seconds). */
const pvqWeights = new Map<string, QTensor>();

function preparePvq(s: MatShape): Prepared {
  const key = `${s.n}x${s.k}`;
  let q = pvqWeights.get(key);
  if (!q) {
    const w = tensor(randomF32(s.n * s.k, 42), [s.n, s.k]);
    const cfg = pvqConfigForBits(PVQ_BITS, { shape: [s.n, s.k] });
    q = pvqQuantize(w, { dim: cfg.dim, pulses: cfg.pulses, ampBits: cfg.ampBits }).q.qtensor;
    w.dispose();
    pvqWeights.set(key, q);
  }
  return gemv(s, q, `quantensor pvq ${s.m === 1 ? 'gemv' : 'gemm'}`, true);
}

function prepareInt4(s: MatShape): Prepared {
  const w = tensor(randomF32(s.n * s.k, 42), [s.n, s.k]);
  const q = quantize(w, { dtype: 'int4', groupSize: 128 });
  w.dispose();
  return gemv(s, q, 'quantensor int4 gemv');
}

/**
 * The generic packed kernel on a codebook weight (decode each index's vector, then v128 dots): the
 * path `linear` took before the LUT kernel, kept as the peer of the LUT row.
 */
function genericQmatmul(x: Tensor, q: QTensor): Tensor {
  const [m, k] = x.shape;
  const n = q.geometry.rows;
  const y = empty([m, n], 'f32');
  kernel('qmatmul_f32')({ ...qweightArgs(q), m, x: tensorRef(x), rsx: k, y: tensorRef(y), rsy: n, r0: 0, r1: n });
  return y;
}

/** A codebook QTensor with random 8-bit indices of 2-d vectors, a random f16 codebook and f16 row scales. */
function lutWeight(s: MatShape): QTensor {
  const { k, n } = s;
  const dim = 2;
  const codes = empty([n, k / dim], 'uint8');
  (codes.raw() as Uint8Array).set(Uint8Array.from(randomF32(n * (k / dim), 43), (v) => Math.floor((v + 1) * 128) & 255));
  const book = empty([256, dim], 'f32');
  (book.raw() as Float32Array).set(Float32Array.from(randomF32(256 * dim, 44), (v) => roundToScaleDType(v, 'f16')));
  const scales = empty([n, 1], 'f32');
  (scales.raw() as Float32Array).set(Float32Array.from(randomF32(n, 45), (v) => roundToScaleDType(0.5 + Math.abs(v), 'f16')));
  const q = new QTensor('codebook', [n, k], codes, {
    groupSize: k,
    perTensor: false,
    scales,
    scaleDtype: 'f16',
    symmetric: true,
    codebook: book,
    codebookDtype: 'f16',
    indexBits: 8,
    vectorDim: dim,
  });
  return q;
}

function prepareLut(s: MatShape, generic = false): Prepared {
  const q = lutWeight(s);
  return generic ? gemv(s, q, 'quantensor codebook generic gemv', false, genericQmatmul) : gemv(s, q, 'quantensor codebook (LUT) gemv');
}

/**
 * The PVQ group for one run (the one-thread run only: encoding 4096x4096 takes about 25 s): PVQ,
 * then the LUT and int4 GEMVs on the same shape.
 * @example
 * const cases = pvqCases({ quick: true, threads: 1 });
 */
export function pvqCases(ctx: SuiteContext): BenchCase[] {
  if (ctx.threads > 1) return [];
  const s = ctx.quick ? QUICK.model.decode : MODEL_SHAPES.decode;
  const s16: MatShape = { ...s, m: 16 };
  const base = { family: 'pvq', lib: 'quantensor', shape: label(s), flops: 2 * s.m * s.k * s.n, weightBytes: 0 };
  return [
    {
      ...base,
      kernel: 'pvq_matmul_f32',
      dtype: `pvq${PVQ_BITS}`,
      note: `pvqQuantize at <= ${PVQ_BITS} bits per weight (dim 16); GB/s of all stored bits; setup includes the encode`,
      prepare: () => preparePvq(s),
    },
    {
      ...base,
      shape: label(s16),
      flops: 2 * s16.m * s16.k * s16.n,
      kernel: 'pvq_matmul_f32',
      dtype: `pvq${PVQ_BITS}`,
      note: '16 tokens: each group decoded once, then a v128 dot per token; the same weight as the GEMV row',
      prepare: () => preparePvq(s16),
    },
    {
      ...base,
      kernel: 'vq_matmul_f32',
      dtype: 'codebook',
      note: 'LUT GEMV through linear: 8-bit indices of 2-d vectors (4 bits per weight), f16 codebook and row scales; GB/s of all stored bits',
      prepare: () => prepareLut(s),
    },
    {
      ...base,
      kernel: 'qmatmul_f32',
      dtype: 'codebook',
      note: 'the same codebook weight through the generic packed kernel (decode, then dot): the path before vq_matmul_f32',
      prepare: () => prepareLut(s, true),
    },
    {
      ...base,
      kernel: 'qmatmul_f32',
      dtype: 'int4',
      groupSize: 128,
      note: 'int4 g128 asymmetric f16 scales, next to PVQ; GB/s of all stored bits',
      prepare: () => prepareInt4(s),
    },
  ];
}
