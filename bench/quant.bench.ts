/**
 * Packed-weight matmul suite: y = x Wᵀ with W [n, k] quantized (`quantize(w, { dtype, groupSize })`)
 * and read straight from its packed codes. GEMV (one token, memory-bound: GB/s of the bytes the
 * kernel reads, i.e. codes + f32 scales + u8 zeros) for every dtype on 1x4096x4096, int4 also on
 * 1x4096x11008, and int4 GEMM on 16 and 128 tokens.
 *
 * Two kernels: `qmatmul_f32` (f32 activations) and `qmatmul_i8` (activations quantized to int8 per
 * block, integer dots; affine dtypes). The peer is onnxruntime's MatMulNBits (com.microsoft) fed the
 * very same codes, scales and zero points: accuracy_level 0 (f32 compute) is timed next to
 * qmatmul_f32 and accuracy_level 4 (int8 activations) next to qmatmul_i8, in onnxruntime-node
 * (native) and onnxruntime-web (wasm). MatMulNBits takes bits 2, 4 and 8 (block size >= 16);
 * other dtypes have no peer row.
 *
 * Checks: sampled outputs against f64 dot products with the dequantized weight (int8 activations:
 * a bound for the activation rounding, k · 2^-8 relative).
 */
import { kernel } from '../src/kernels/table.js';
import { qweightArgs } from '../src/kernels/qweight.js';
import { tensorRef } from '../src/kernels/ref.js';
import type { QuantDType } from '../src/dtype/table.js';
import { quantize } from '../src/ops/quant.js';
import { dequantize, type QTensor } from '../src/qtensor.js';
import { empty, tensor } from '../src/tensor.js';
import { checkSamples, randomF32, samplePositions, type BenchCase, type Prepared, type SuiteContext } from './harness.js';
import { ONNX_FLOAT, ONNX_UINT8, packZeroPoints } from './onnx-model.js';
import { ortRunner, type OrtFlavor } from './peers.js';
import { MODEL_SHAPES, QUICK, label, type MatShape } from './shapes.js';

/** A quantized weight shared by every library for one (shape, dtype, group size). */
interface QOperands {
  readonly s: MatShape;
  readonly x: Float32Array;
  readonly q: QTensor;
  /** The dequantized weight [n, k], the reference. */
  readonly w: Float32Array;
  readonly bytesRead: number;
}

const cache = new Map<string, QOperands>();

function qoperands(s: MatShape, dtype: QuantDType, groupSize: number): QOperands {
  const key = `${s.k}x${s.n} ${dtype} ${groupSize}`;
  const hit = cache.get(key);
  if (hit && hit.s.m === s.m) return hit;
  if (hit) {
    const o = { ...hit, s, x: randomF32(s.m * s.k, 41) };
    cache.set(key, o);
    return o;
  }
  // One weight shape at a time stays resident (the model shapes are 64-180 MB in f32), in every
  // dtype asked for: the dtypes of one timing group are all live at once.
  for (const [key2, o] of cache) {
    if (o.s.k === s.k && o.s.n === s.n) continue;
    o.q.dispose();
    cache.delete(key2);
  }
  const wt = tensor(randomF32(s.n * s.k, 42), [s.n, s.k]);
  const q = quantize(wt, { dtype, groupSize });
  wt.dispose();
  const dq = dequantize(q);
  const w = Float32Array.from(dq.data() as Float32Array);
  dq.dispose();
  const qp = q.qparams;
  const bytesRead = q.codes.size + (qp.scales ? qp.scales.size * 4 : 0) + (qp.zeros ? qp.zeros.size : 0) + (qp.codebook ? qp.codebook.size * 4 : 0);
  const o = { s, x: randomF32(s.m * s.k, 41), q, w, bytesRead };
  cache.set(key, o);
  return o;
}

function checkY(what: string, o: QOperands, y: ArrayLike<number>, i8: boolean): void {
  const { m, k, n } = o.s;
  const rows = samplePositions(m, 4);
  const cols = samplePositions(n, 8);
  const at = (t: number): [number, number] => [rows[t % rows.length], cols[Math.floor(t / rows.length)]];
  checkSamples(
    what,
    rows.length * cols.length,
    (t) => {
      const [i, j] = at(t);
      return y[i * n + j];
    },
    (t) => {
      const [i, r] = at(t);
      let acc = 0;
      for (let p = 0; p < k; p++) acc += o.x[i * k + p] * o.w[r * k + p];
      return acc;
    },
    // int8 activations: each |x| is rounded to within amax/254 of a block; a random-sign sum of k
    // such errors stays far below k/254 of the largest output in practice.
    i8 ? Math.max(2e-2, Math.sqrt(k) / 127) : Math.max(1e-4, k * 2 ** -22),
  );
}

function ours(o: QOperands, i8: boolean): Prepared {
  const { m, k, n } = o.s;
  const X = tensor(o.x, [m, k]);
  const Y = empty([m, n], 'f32');
  const fn = kernel(i8 ? 'qmatmul_i8' : 'qmatmul_f32');
  const args = { ...qweightArgs(o.q), m, x: tensorRef(X), rsx: k, y: tensorRef(Y), rsy: n, r0: 0, r1: n };
  return {
    run: () => fn(args),
    check: () => checkY(`quantensor ${i8 ? 'qmatmul_i8' : 'qmatmul_f32'} ${o.q.dtype}`, o, Y.data() as Float32Array, i8),
    dispose: () => (X.dispose(), Y.dispose()),
    weightBytes: o.bytesRead,
  };
}

async function matMulNBits(flavor: OrtFlavor, threads: number, o: QOperands, accuracyLevel: 0 | 4): Promise<Prepared> {
  const { k, n } = o.s;
  const q = o.q;
  const g = q.geometry;
  const qp = q.qparams;
  const bits = q.bits;
  if (q.family !== 'affine' || ![2, 4, 8].includes(bits)) throw new Error(`MatMulNBits has no ${q.dtype} (affine 2, 4 or 8 bits only)`);
  if ((qp.groupSize * bits) % 8 !== 0 || g.rowBytes * 8 !== k * bits) throw new Error(`group size ${qp.groupSize} does not give whole bytes per block`);
  const blocks = g.nGroups;
  const codes = q.codes.data() as Uint8Array;
  const scales = Float32Array.from(qp.scales!.data() as Float32Array);
  const zeros = qp.zeros ? (qp.zeros.data() as Uint8Array) : new Uint8Array(n * blocks).fill(1 << (bits - 1));
  const r = await ortRunner(
    flavor,
    threads,
    'MatMulNBits',
    'com.microsoft',
    o.s,
    o.x,
    ['A', 'B', 'scales', 'zero_points'],
    [
      { name: 'B', dataType: ONNX_UINT8, dims: [n, blocks, (qp.groupSize * bits) / 8], raw: Uint8Array.from(codes) },
      { name: 'scales', dataType: ONNX_FLOAT, dims: [n * blocks], raw: scales },
      { name: 'zero_points', dataType: ONNX_UINT8, dims: [n * Math.ceil((blocks * bits) / 8)], raw: packZeroPoints(zeros, n, blocks, bits) },
    ],
    { K: k, N: n, bits, block_size: qp.groupSize, accuracy_level: accuracyLevel },
  );
  let last: Float32Array | null = null;
  return {
    run: async () => (last = await r.run()),
    check: () => checkY(`${flavor} MatMulNBits accuracy_level ${accuracyLevel}`, o, last!, accuracyLevel === 4),
    dispose: () => void r.release(),
    weightBytes: o.bytesRead,
  };
}

/** Every quantized dtype measured on the GEMV shape, with its group size. */
const GEMV_DTYPES: readonly [QuantDType, number][] = [
  ['int4', 128],
  ['int3', 128],
  ['int2', 128],
  ['int8', 128],
  ['fp4', 128],
  ['nf4', 128],
  ['mxfp4', 32],
];

/**
 * The packed-weight matmul cases for one run.
 * @example
 * const cases = quantCases({ quick: true, threads: 1 });
 */
export function quantCases(ctx: SuiteContext): BenchCase[] {
  const shapes = ctx.quick ? QUICK.model : MODEL_SHAPES;
  const two = ctx.threads > 1;
  const out: BenchCase[] = [];
  const add = (s: MatShape, dtype: QuantDType, groupSize: number, peers: boolean, timingGroup?: string): void => {
    const base = { family: 'quant', shape: label(s), dtype, groupSize, flops: 2 * s.m * s.k * s.n, weightBytes: 0, timingGroup };
    const op = (): QOperands => qoperands(s, dtype, groupSize);
    for (const i8 of [false, true]) {
      const affine = dtype.startsWith('int');
      if (i8 && !affine) continue;
      const kernelName = i8 ? 'qmatmul_i8' : 'qmatmul_f32';
      const c = { ...base, kernel: kernelName };
      out.push({ ...c, lib: 'quantensor', prepare: () => ours(op(), i8) });
      if (!peers) continue;
      const level = i8 ? 4 : 0;
      for (const flavor of ['onnxruntime-node', 'onnxruntime-web'] as const) {
        out.push({ ...c, lib: flavor, note: `MatMulNBits accuracy_level ${level}`, prepare: () => matMulNBits(flavor, ctx.threads, op(), level) });
      }
    }
  };
  const nBitsPeer = (d: QuantDType): boolean => d === 'int4' || d === 'int2' || d === 'int8';
  // every dtype's GEMV in one timing group: the targets compare each with our int4
  if (!two) for (const [d, gs] of GEMV_DTYPES) add(shapes.decode, d, gs, nBitsPeer(d), `gemv dtypes ${label(shapes.decode)}`);
  else add(shapes.decode, 'int4', 128, true);
  if (!two) add(shapes.decodeMlp, 'int4', 128, true);
  if (!two) add(shapes.prefill16, 'int4', 128, true);
  add(shapes.prefill128, 'int4', 128, true);
  return out;
}
