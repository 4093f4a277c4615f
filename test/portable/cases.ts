/**
 * The cases the browser test (test/browser/run.ts) and the runtime test (test/runtimes/run.ts)
 * run in another engine, and what they must return, computed in Node: f64 dot products for the
 * dense matmul and the library's JS reference kernels for the quantized codes and the packed
 * matmul. Not a vitest file.
 */

/** One case: x [m, k], w [n, k], int4 with groups of groupSize. */
export interface CaseInput {
  m: number;
  k: number;
  n: number;
  groupSize: number;
  x: number[];
  w: number[];
}

/** What an engine returns for a case (see `runCase`). */
export interface CaseOutput {
  backend: string;
  dense: number[];
  codes: number[];
  packed: number[];
  packedInt8: number[];
}

/** What a case must return (every field of CaseOutput but the backend). */
export type CaseExpected = Omit<CaseOutput, 'backend'>;

/** Deterministic inputs (a small LCG) with a spread of magnitudes. */
export function makeInput(m: number, k: number, n: number, seed: number): CaseInput {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return {
    m,
    k,
    n,
    groupSize: 32,
    x: Array.from({ length: m * k }, () => Math.fround(2 * next())),
    w: Array.from({ length: n * k }, (_, i) => Math.fround(next() * (1 + (i % 7)))),
  };
}

/** The subset of the public API a case needs (the bundle an engine loads, or src/index.ts). */
export interface CaseApi {
  tensor(data: Float32Array, shape: number[]): CaseTensor;
  matmul(a: CaseTensor, b: CaseTensor): CaseTensor;
  quantize(w: CaseTensor, opts: { dtype: 'int4'; groupSize: number }): CaseTensor & { codes: CaseTensor };
  linear(x: CaseTensor, w: CaseTensor, opts?: { activations?: 'int8' }): CaseTensor;
  getBackend(): string;
}
interface CaseTensor {
  transpose(): CaseTensor;
  data(): ArrayLike<number>;
  dispose(): void;
}

/**
 * Runs one case on an engine: the dense f32 product X Wᵀ, the int4 codes of W, and the packed
 * matmul with f32 and int8 activations. The browser page and the runtime probe call it from their
 * bundles with the bundled library as `qt`.
 */
export function runCase(qt: CaseApi, c: CaseInput): CaseOutput {
  const X = qt.tensor(Float32Array.from(c.x), [c.m, c.k]);
  const W = qt.tensor(Float32Array.from(c.w), [c.n, c.k]);
  const dense = qt.matmul(X, W.transpose());
  const q = qt.quantize(W, { dtype: 'int4', groupSize: c.groupSize });
  const yq = qt.linear(X, q);
  const yq8 = qt.linear(X, q, { activations: 'int8' });
  const out = {
    backend: qt.getBackend(),
    dense: Array.from(dense.data()),
    codes: Array.from(q.codes.data()),
    packed: Array.from(yq.data()),
    packedInt8: Array.from(yq8.data()),
  };
  for (const t of [X, W, dense, yq, yq8, q]) t.dispose();
  return out;
}

/** What an engine must return for a case: f64 dots and Node's JS reference kernels. */
export async function expected(c: CaseInput): Promise<CaseExpected> {
  const qt = await import('../../src/index.js');
  const before = qt.getBackend();
  qt.setBackend('js');
  try {
    const dense: number[] = [];
    for (let i = 0; i < c.m; i++) {
      for (let r = 0; r < c.n; r++) {
        let t = 0;
        for (let j = 0; j < c.k; j++) t += c.x[i * c.k + j] * c.w[r * c.k + j];
        dense.push(t);
      }
    }
    const { codes, packed, packedInt8 } = runCase(qt as unknown as CaseApi, c);
    return { dense, codes, packed, packedInt8 };
  } finally {
    qt.setBackend(before === 'js' ? 'js' : 'auto');
  }
}

/**
 * The first disagreement of got with want beyond relTol times want's largest magnitude (0: exact),
 * as a message, or null when they agree.
 */
export function mismatch(what: string, got: readonly number[], want: readonly number[], relTol: number): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values where ${want.length} were expected`;
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= relTol * scale)) {
      return `${what}: element ${i} is ${got[i]} where ${want[i]} was expected (|error| ${e.toExponential(2)} > ${relTol} * ${scale.toExponential(2)})`;
    }
  }
  return null;
}

/** Every check of one case's output against its expectation; the messages of those that fail. */
export function caseMismatches(tag: string, got: CaseOutput, want: CaseExpected): string[] {
  return [
    got.backend === 'wasm' ? null : `${tag}: ran on the '${got.backend}' backend, not wasm`,
    mismatch(`${tag} dense f32 matmul`, got.dense, want.dense, 1e-5),
    mismatch(`${tag} int4 codes`, got.codes, want.codes, 0),
    mismatch(`${tag} packed int4 linear (f32 activations)`, got.packed, want.packed, 1e-5),
    mismatch(`${tag} packed int4 linear (int8 activations)`, got.packedInt8, want.packedInt8, 0),
  ].filter((m): m is string => m !== null);
}
