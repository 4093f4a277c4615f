/**
 * Dense linear algebra suite, the GPTQ building blocks: Cholesky of an SPD matrix (n = 1024, 4096),
 * the SPD inverse (Cholesky then inverse from the factor) and the Hessian XᵀX (SYRK) of activations
 * X [2048, 4096], all f32. Ours are the ops `cholesky`, `choleskyInverse` and `syrk`; peers are numpy
 * (OpenBLAS: `np.linalg.cholesky`, `np.linalg.inv` which is LU, scipy's LAPACK `potrf` + `potri`,
 * `x.T @ x`) and ml-matrix's `CholeskyDecomposition`, timed once at n = 4096 (its LU `inverse`
 * takes tens of seconds at n = 1024 and is left out).
 *
 * Useful flops: Cholesky n³/3, SPD inverse n³ (n³/3 factor + 2n³/3 inverse), XᵀX cols² · rows.
 */
import { cholesky, choleskyInverse, syrk } from '../src/ops/linalg.js';
import { Tensor, tensor } from '../src/tensor.js';
import { checkSamples, randomF32, samplePositions, spd, type BenchCase, type Prepared, type SuiteContext } from './harness.js';
import { loadMlMatrix, numpyCase } from './peers.js';
import { LINALG_SIZES, QUICK } from './shapes.js';

/** Checks sampled entries of L Lᵀ (L lower, row-major n x n) against A. */
function checkFactor(what: string, a: Float32Array, l: ArrayLike<number>, n: number): void {
  const rows = samplePositions(n, 8);
  const cols = samplePositions(n, 4);
  const ij = (t: number): [number, number] => [rows[t % rows.length], cols[Math.floor(t / rows.length)]];
  checkSamples(
    what,
    rows.length * cols.length,
    (t) => {
      const [i, j] = ij(t);
      let s = 0;
      for (let p = 0; p <= Math.min(i, j); p++) s += l[i * n + p] * l[j * n + p];
      return s;
    },
    (t) => {
      const [i, j] = ij(t);
      return a[i * n + j];
    },
    1e-4,
  );
}

/** Checks sampled entries of X A against the identity. */
function checkInverse(what: string, a: Float32Array, x: ArrayLike<number>, n: number): void {
  const rows = samplePositions(n, 8);
  const cols = [...samplePositions(n, 4), ...rows.slice(0, 4)];
  const ij = (t: number): [number, number] => [rows[t % rows.length], cols[Math.floor(t / rows.length)]];
  checkSamples(
    what,
    rows.length * cols.length,
    (t) => {
      const [i, j] = ij(t);
      let s = 0;
      for (let p = 0; p < n; p++) s += x[i * n + p] * a[p * n + j];
      return s;
    },
    (t) => {
      const [i, j] = ij(t);
      return i === j ? 1 : 0;
    },
    1e-3,
  );
}

/** Keeps the last output tensor and disposes the previous one. */
function oursCase(make: () => Tensor, check: (out: Float32Array) => void, inputs: Tensor[]): Prepared {
  let last: Tensor | null = null;
  return {
    run: () => {
      last?.dispose();
      return (last = make());
    },
    check: () => check(last!.data() as Float32Array),
    dispose: () => {
      last?.dispose();
      for (const t of inputs) t.dispose();
    },
  };
}

async function mlMatrixCholesky(n: number): Promise<Prepared> {
  const ml = await loadMlMatrix();
  const a = spd(n);
  const A = new ml.Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n))));
  let last: InstanceType<typeof ml.Matrix> | null = null;
  return {
    run: () => (last = new ml.CholeskyDecomposition(A).lowerTriangularMatrix),
    check: () => checkFactor('ml-matrix cholesky', a, Float64Array.from(last!.to1DArray()), n),
  };
}

/**
 * The linear algebra cases for one run.
 * @example
 * const cases = linalgCases({ quick: true, threads: 1 });
 */
export function linalgCases(ctx: SuiteContext): BenchCase[] {
  const sizes = ctx.quick ? QUICK.linalg : LINALG_SIZES;
  const two = ctx.threads > 1;
  const out: BenchCase[] = [];
  for (const n of sizes.spd) {
    if (two && n !== sizes.spd[sizes.spd.length - 1]) continue;
    const shape = `${n}x${n}`;
    const chol = { family: 'linalg', kernel: 'cholesky', shape, dtype: 'f32', flops: n ** 3 / 3, weightBytes: 0 };
    out.push({
      ...chol,
      lib: 'quantensor',
      prepare: () => {
        const a = spd(n);
        const A = tensor(a, [n, n]);
        return oursCase(() => cholesky(A), (l) => checkFactor('quantensor cholesky', a, l, n), [A]);
      },
    });
    out.push({ ...chol, lib: 'numpy', prepare: () => numpyCase({ kernel: 'cholesky', n, dtype: 'f32' }, ctx.threads) });
    const bigMl = n >= 2048;
    if (!two) {
      out.push({
        ...chol,
        lib: 'ml-matrix',
        ...(bigMl ? { iterations: 1, note: 'timed once (one call takes minutes)' } : {}),
        prepare: () => mlMatrixCholesky(n),
      });
    }
    const inv = { family: 'linalg', kernel: 'spd_inverse', shape, dtype: 'f32', flops: n ** 3, weightBytes: 0 };
    out.push({
      ...inv,
      lib: 'quantensor',
      prepare: () => {
        const a = spd(n);
        const A = tensor(a, [n, n]);
        return oursCase(() => choleskyInverse(A), (x) => checkInverse('quantensor choleskyInverse', a, x, n), [A]);
      },
    });
    out.push({ ...inv, lib: 'numpy', note: 'np.linalg.inv (LU)', prepare: () => numpyCase({ kernel: 'spd_inverse', n, dtype: 'f32' }, ctx.threads) });
    out.push({ ...inv, lib: 'scipy', note: 'LAPACK spotrf + spotri', prepare: () => numpyCase({ kernel: 'spd_inverse', n, dtype: 'f32', impl: 'potri' }, ctx.threads) });
  }
  const { rows, cols } = sizes.gram;
  const gram = { family: 'linalg', kernel: 'syrk', shape: `${rows}x${cols}`, dtype: 'f32', flops: cols * cols * rows, weightBytes: 0 };
  out.push({
    ...gram,
    lib: 'quantensor',
    prepare: () => {
      const x = randomF32(rows * cols, 31);
      const X = tensor(x, [rows, cols]);
      const check = (h: ArrayLike<number>): void => {
        const ii = samplePositions(cols, 8);
        const jj = samplePositions(cols, 4);
        const ij = (t: number): [number, number] => [ii[t % ii.length], jj[Math.floor(t / ii.length)]];
        checkSamples(
          'quantensor syrk',
          ii.length * jj.length,
          (t) => h[ij(t)[0] * cols + ij(t)[1]],
          (t) => {
            const [i, j] = ij(t);
            let s = 0;
            for (let r = 0; r < rows; r++) s += x[r * cols + i] * x[r * cols + j];
            return s;
          },
          Math.max(1e-4, rows * 2 ** -22),
        );
      };
      return oursCase(() => syrk(X), check, [X]);
    },
  });
  out.push({ ...gram, lib: 'numpy', note: 'x.T @ x', prepare: () => numpyCase({ kernel: 'gram', rows, cols, dtype: 'f32' }, ctx.threads) });
  return out;
}
