/**
 * Dense f32 matmul suite: GEMM (Y = X W, X [m, k], W [k, n]) on the cache ladder and the model
 * shapes, and GEMV (y = W x, the decode case) where the weight read sets the speed, so it reports
 * GB/s of weights. Ours is the user-facing `matmul` op (for GEMV in both layouts: W x with W (n, k),
 * and `quantensor-xw`, x W with W (k, n)); the peers are onnxruntime-node MatMul,
 * onnxruntime-web MatMul, tfjs-core + wasm backend `matMul`, ml-matrix `mmul` (small sizes only:
 * it runs at well under 1 GFLOP/s) and numpy (OpenBLAS).
 *
 * Every library gets the same logical W and X (seeded); each output is checked on sampled entries
 * against f64 dot products before it is timed.
 */
import { matmul } from '../src/ops/matmul.js';
import { tensor } from '../src/tensor.js';
import { checkSamples, randomF32, samplePositions, type BenchCase, type Prepared, type SuiteContext } from './harness.js';
import { ONNX_FLOAT } from './onnx-model.js';
import { loadMlMatrix, loadTf, numpyCase, ortRunner, type OrtFlavor } from './peers.js';
import { GEMM_LADDER, GEMV_LADDER, MODEL_SHAPES, QUICK, label, type MatShape } from './shapes.js';

/** Operands shared by every library for one shape: X (m, k) and W (k, n), row-major. */
interface Operands {
  readonly s: MatShape;
  readonly x: Float32Array;
  readonly w: Float32Array;
}

const operands = (s: MatShape): Operands => ({ s, x: randomF32(s.m * s.k, 11), w: randomF32(s.k * s.n, 12) });

/** Checks sampled entries of Y (m, n) against f64 dot products (f32 sums: tolerance ~k u). */
function checkY(what: string, o: Operands, y: ArrayLike<number>): void {
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
      const [i, j] = at(t);
      let acc = 0;
      for (let p = 0; p < k; p++) acc += o.x[i * k + p] * o.w[p * n + j];
      return acc;
    },
    Math.max(1e-4, k * 2 ** -22),
  );
}

function ours(o: Operands, gemv: boolean): Prepared {
  const { m, k, n } = o.s;
  let run: () => ReturnType<typeof matmul>;
  let dispose: () => void;
  if (gemv) {
    // The decode layout: W as (n, k) rows (nn.Linear), y = W x, each weight read once, in order.
    const wt = new Float32Array(n * k);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) wt[j * k + p] = o.w[p * n + j];
    const W = tensor(wt, [n, k]);
    const x = tensor(o.x, [k]);
    run = () => matmul(W, x);
    dispose = () => (W.dispose(), x.dispose());
  } else {
    const X = tensor(o.x, [m, k]);
    const W = tensor(o.w, [k, n]);
    run = () => matmul(X, W);
    dispose = () => (X.dispose(), W.dispose());
  }
  let last: ReturnType<typeof matmul> | null = null;
  return {
    run: () => {
      last?.dispose();
      last = run();
      return last;
    },
    check: () => checkY('quantensor matmul', o, last!.data() as Float32Array),
    dispose: () => {
      last?.dispose();
      dispose();
    },
  };
}

async function ort(flavor: OrtFlavor, threads: number, o: Operands): Promise<Prepared> {
  const r = await ortRunner(flavor, threads, 'MatMul', '', o.s, o.x, ['A', 'B'], [{ name: 'B', dataType: ONNX_FLOAT, dims: [o.s.k, o.s.n], raw: o.w }], {});
  let last: Float32Array | null = null;
  return {
    run: async () => (last = await r.run()),
    check: () => checkY(`${flavor} MatMul`, o, last!),
    dispose: () => void r.release(),
  };
}

async function tfjs(o: Operands): Promise<Prepared> {
  const tf = await loadTf();
  const X = tf.tensor2d(o.x, [o.s.m, o.s.k]);
  const W = tf.tensor2d(o.w, [o.s.k, o.s.n]);
  let last: Float32Array | null = null;
  return {
    run: async () => {
      const y = tf.matMul(X, W);
      last = (await y.data()) as Float32Array;
      y.dispose();
      return last;
    },
    check: () => checkY('tfjs-wasm matMul', o, last!),
    dispose: () => (X.dispose(), W.dispose()),
  };
}

async function mlMatrix(o: Operands): Promise<Prepared> {
  const { Matrix } = await loadMlMatrix();
  const rows = (a: Float32Array, r: number, c: number): number[][] => Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c)));
  const X = new Matrix(rows(o.x, o.s.m, o.s.k));
  const W = new Matrix(rows(o.w, o.s.k, o.s.n));
  let last: InstanceType<typeof Matrix> | null = null;
  return {
    run: () => (last = X.mmul(W)),
    check: () => checkY('ml-matrix mmul', o, Float64Array.from(last!.to1DArray())),
  };
}

/**
 * The dense f32 cases for one run.
 * @example
 * const cases = gemmCases({ quick: true, threads: 1 });
 */
export function gemmCases(ctx: SuiteContext): BenchCase[] {
  const ladder = ctx.quick ? QUICK.gemm : GEMM_LADDER;
  const model = ctx.quick ? QUICK.model : MODEL_SHAPES;
  const vecLadder = ctx.quick ? QUICK.gemv : GEMV_LADDER;
  const two = ctx.threads > 1;
  // Two-thread runs measure the largest shapes only (the thread comparison of the report).
  const gemmShapes: MatShape[] = two ? [ladder[ladder.length - 1], model.prefill128] : [...ladder, model.prefill16, model.prefill128];
  const gemvShapes: MatShape[] = two ? [vecLadder[vecLadder.length - 1]] : [...vecLadder, model.decodeMlp];
  const out: BenchCase[] = [];
  const add = (s: MatShape, gemv: boolean): void => {
    const kernel = gemv ? 'gemv_f32' : 'gemm_f32';
    const base = { family: gemv ? 'gemv' : 'gemm', kernel, shape: label(s), dtype: 'f32', flops: 2 * s.m * s.k * s.n, weightBytes: 4 * s.k * s.n };
    let cached: Operands | null = null;
    const op = (): Operands => (cached ??= operands(s));
    out.push({ ...base, lib: 'quantensor', prepare: () => ours(op(), gemv) });
    // The peers' layout for the decode case too: x (1, k) · W (k, n), the columns-contiguous GEMV.
    if (gemv) out.push({ ...base, lib: 'quantensor-xw', note: 'x · W with W (k, n) row-major, as the peers get it: the columns-contiguous GEMV (from 2^20 weights in four column blocks shared out over the threads)', prepare: () => ours(op(), false) });
    out.push({ ...base, lib: 'onnxruntime-node', prepare: () => ort('onnxruntime-node', ctx.threads, op()) });
    out.push({ ...base, lib: 'onnxruntime-web', prepare: () => ort('onnxruntime-web', ctx.threads, op()) });
    out.push({ ...base, lib: 'numpy', prepare: () => numpyCase({ kernel: 'gemm', m: s.m, k: s.k, n: s.n, dtype: 'f32' }, ctx.threads) });
    if (two) return;
    out.push({ ...base, lib: 'tfjs-wasm', prepare: () => tfjs(op()) });
    // ml-matrix runs at ~0.1 GFLOP/s: small shapes only (512³ GEMM, 1024² GEMV).
    if (gemv ? s.k * s.n <= 1024 * 1024 : s.m * s.k * s.n <= 512 ** 3) out.push({ ...base, lib: 'ml-matrix', prepare: () => mlMatrix(op()) });
  };
  for (const s of gemmShapes) add(s, false);
  for (const s of gemvShapes) add(s, true);
  return out;
}
