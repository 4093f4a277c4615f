/**
 * The peer libraries, loaded lazily so a peer that is missing or broken costs its own rows only
 * (each failure is recorded with its message): onnxruntime-node (native, the ceiling),
 * onnxruntime-web (its WebAssembly build, run in Node), @tensorflow/tfjs-core with the wasm backend,
 * ml-matrix (plain JS), and numpy (OpenBLAS) through a python3 subprocess (bench/numpy_bench.py).
 *
 * Thread counts: onnxruntime-web and numpy fix theirs per process (env.wasm.numThreads,
 * OPENBLAS_NUM_THREADS), which is why bench/run.ts runs each thread count in its own process.
 *
 * Not the cases (bench/*.bench.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { External } from './harness.js';
import { ONNX_FLOAT, onnxModel, type OnnxTensor } from './onnx-model.js';

/** The subset of onnxruntime's API the benchmarks use (the same in -node and -web). */
interface OrtTensor {
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, opts: Record<string, unknown>): Promise<OrtSession> };
  env: { wasm: { numThreads?: number; simd?: boolean } };
}

/** Which onnxruntime build. */
export type OrtFlavor = 'onnxruntime-node' | 'onnxruntime-web';

const ortCache = new Map<OrtFlavor, Promise<OrtModule>>();

/**
 * The onnxruntime module, configured for `threads` (onnxruntime-web reads it once, at its first session).
 * @example
 * const ort = await loadOrt('onnxruntime-web', 1);
 */
export function loadOrt(flavor: OrtFlavor, threads: number): Promise<OrtModule> {
  let p = ortCache.get(flavor);
  if (!p) {
    p = (flavor === 'onnxruntime-node' ? import('onnxruntime-node') : import('onnxruntime-web')).then((m) => {
      const ort = ((m as { default?: unknown }).default ?? m) as OrtModule;
      if (flavor === 'onnxruntime-web') ort.env.wasm.numThreads = threads;
      return ort;
    });
    ortCache.set(flavor, p);
  }
  return p;
}

/** A one-node ONNX model ready to run: feed it A (m, k) f32, read Y. */
export interface OrtRunner {
  run(): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Builds a session for a one-node model whose only graph input is A f32 (m, k) and output Y f32 (m, n).
 * @example
 * const r = await ortRunner('onnxruntime-node', 1, 'MatMul', '', { m, k, n }, x, [bInit], {});
 */
export async function ortRunner(
  flavor: OrtFlavor,
  threads: number,
  opType: string,
  domain: string,
  s: { m: number; k: number; n: number },
  x: Float32Array,
  inputs: readonly string[],
  initializers: readonly OnnxTensor[],
  intAttrs: Readonly<Record<string, number>>,
): Promise<OrtRunner> {
  const ort = await loadOrt(flavor, threads);
  const model = onnxModel({
    opType,
    domain,
    inputs,
    outputs: ['Y'],
    intAttrs,
    initializers,
    graphInputs: [{ name: 'A', dataType: ONNX_FLOAT, dims: [s.m, s.k] }],
    graphOutputs: [{ name: 'Y', dataType: ONNX_FLOAT, dims: [s.m, s.n] }],
  });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { A: new ort.Tensor('float32', x, [s.m, s.k]) };
  return {
    run: async () => (await session.run(feeds)).Y.data as Float32Array,
    release: () => session.release(),
  };
}

/** The tfjs-core namespace with the wasm backend active (single-threaded in Node). */
export type Tf = typeof import('@tensorflow/tfjs-core');
let tfCache: Promise<Tf> | null = null;

/**
 * tfjs-core with @tensorflow/tfjs-backend-wasm selected.
 * @example
 * const tf = await loadTf();
 */
export function loadTf(): Promise<Tf> {
  tfCache ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialise');
    await tf.ready();
    return tf;
  })();
  return tfCache;
}

/** ml-matrix, loaded on first use. */
export type MlMatrix = typeof import('ml-matrix');
/**
 * The ml-matrix module.
 * @example
 * const { Matrix } = await loadMlMatrix();
 */
export const loadMlMatrix = (): Promise<MlMatrix> => import('ml-matrix');

const NUMPY_SCRIPT = fileURLToPath(new URL('./numpy_bench.py', import.meta.url));
const TORCH_GPTQ_SCRIPT = fileURLToPath(new URL('./torch_gptq.py', import.meta.url));

/**
 * Runs a python3 peer script with its case as JSON and the thread count in the environment; the
 * script checks its own result, exits non-zero when it is wrong, and prints
 * {"medianMs", "samples", ...} as its last line.
 */
function pythonCase(label: string, script: string, args: Record<string, string | number | boolean>, threads: number, python = 'python3'): Promise<External> {
  const t = String(threads);
  const env = { ...process.env, THREADS: t, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t };
  return new Promise((resolve, reject) => {
    execFile(python, [script, JSON.stringify(args)], { env, timeout: 600_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${label} ${JSON.stringify(args)}: ${(stderr || err.message).trim().split('\n').slice(-1)[0]}`));
        return;
      }
      try {
        const r = JSON.parse(stdout.trim().split('\n').slice(-1)[0]) as { medianMs: number; samples: number; phases?: Record<string, number> };
        if (r.phases) console.log(`${label} ${JSON.stringify(args)} phases (ms): ${JSON.stringify(r.phases)}`);
        resolve({ external: { medianMs: r.medianMs, samples: r.samples } });
      } catch (e) {
        reject(new Error(`${label} printed no result: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/**
 * Runs one numpy case in a python3 subprocess (OPENBLAS_NUM_THREADS = threads) and returns its
 * median time; the script checks its own result and exits non-zero when it is wrong.
 * @example
 * await numpyCase({ kernel: 'cholesky', n: 1024, dtype: 'f32' }, 1);
 */
export function numpyCase(args: Record<string, string | number>, threads: number): Promise<External> {
  return pythonCase('numpy', NUMPY_SCRIPT, args, threads);
}

/**
 * The python3 that imports PyTorch (the PATH one, else Debian's /usr/bin/python3 with python3-torch),
 * or null: the PyTorch rows are optional.
 */
export function torchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/**
 * Times GPTQ in PyTorch on CPU (bench/torch_gptq.py: the algorithm as the reference implementation
 * runs it, checked against RTN before timing), with torch.set_num_threads(threads).
 * @example
 * await torchGptqCase(torchPython()!, { n: 4096, k: 4096, act_order: true }, 1);
 */
export function torchGptqCase(python: string, args: { n: number; k: number; act_order: boolean; iterations?: number }, threads: number): Promise<External> {
  return pythonCase('pytorch', TORCH_GPTQ_SCRIPT, args, threads, python);
}
