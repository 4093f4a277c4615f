/**
 * Linear algebra ops against naive f64 implementations written here (Cholesky–Banachiewicz,
 * substitution, products), on sizes 1, primes and sizes crossing the WASM block sizes (64, 128),
 * transposed views, both backends; fast-check properties L·Lᵀ = A and A⁻¹·A = I; typed errors.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DTypeError, LinAlgError, ShapeError } from '../../src/errors.js';
import { setBackend } from '../../src/kernels/backend.js';
import { cholesky, choleskyInverse, solveTriangular, syrk, triangularInverse } from '../../src/ops/linalg.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { mulberry32 } from '../arbitraries.js';

type DT = 'f32' | 'f64';
const EPS: Record<DT, number> = { f32: 2 ** -23, f64: 2 ** -52 };

function randMat(r: number, c: number, seed: number): Float64Array {
  const next = mulberry32(seed);
  return Float64Array.from({ length: r * c }, () => Math.fround(next() * 2 - 1));
}

/** A well-conditioned SPD matrix M Mᵀ / n + I (values rounded to f32 so both dtypes hold it exactly). */
function spd(n: number, seed: number): Float64Array {
  const m = randMat(n, n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += m[i * n + p] * m[j * n + p];
      const v = Math.fround(s / n + (i === j ? 1 : 0));
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** A triangular matrix with a dominant diagonal (|d| in [1, 2]) and small off-diagonal entries. */
function tri(n: number, upper: boolean, seed: number): Float64Array {
  const r = randMat(n, n, seed);
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) t[i * n + j] = Math.fround((r[i * n + j] < 0 ? -1 : 1) * (1 + Math.abs(r[i * n + j])));
      else if (upper ? j > i : j < i) t[i * n + j] = Math.fround(r[i * n + j] / Math.sqrt(n));
    }
  }
  return t;
}

function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    c[i * n + j] = s;
  }
  return c;
}

function naiveTranspose(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const t = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j];
  return t;
}

/** Cholesky–Banachiewicz in f64. */
function naiveCholesky(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j];
    }
  }
  return l;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  if (Number.isNaN(d)) return Infinity;
  return d;
}

const vals = (t: Tensor): Float64Array => Float64Array.from(t.data() as Float32Array);
const identity = (n: number): Float64Array => {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
};

const SIZES = [1, 2, 7, 13, 64, 67, 131];

for (const backend of ['wasm', 'js'] as const) {
  describe(`linalg ops (${backend} backend)`, () => {
    afterAll(() => setBackend('auto'));

    it('cholesky matches the naive factor (lower and upper), zeros elsewhere', () => {
      setBackend(backend);
      for (const dt of ['f32', 'f64'] as const) {
        for (const n of SIZES) {
          const a = spd(n, n + 1);
          const want = naiveCholesky(a, n);
          const l = vals(cholesky(tensor(a, [n, n], dt)));
          expect(maxAbsDiff(l, want), `${dt} lower n=${n}`).toBeLessThan(8 * n * EPS[dt] * 4);
          const u = vals(cholesky(tensor(a, [n, n], dt), { upper: true }));
          expect(maxAbsDiff(u, naiveTranspose(want, n, n)), `${dt} upper n=${n}`).toBeLessThan(8 * n * EPS[dt] * 4);
          for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
            expect(l[i * n + j]).toBe(0);
            expect(u[j * n + i]).toBe(0);
          }
        }
      }
    });

    it('cholesky reads only its triangle and accepts a transposed view', () => {
      setBackend(backend);
      const n = 9;
      const a = spd(n, 5);
      const junk = Float64Array.from(a);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) junk[i * n + j] = 1e6; // garbage above
      const l = vals(cholesky(tensor(junk, [n, n], 'f64')));
      expect(maxAbsDiff(l, naiveCholesky(a, n))).toBeLessThan(1e-12);
      // The transposed view of `junk` has the garbage below: its upper factor reads the clean triangle.
      const u = vals(cholesky(tensor(junk, [n, n], 'f64').transpose(), { upper: true }));
      expect(maxAbsDiff(u, naiveTranspose(naiveCholesky(a, n), n, n))).toBeLessThan(1e-12);
    });

    it('cholesky throws LinAlgError naming the failing leading minor', () => {
      setBackend(backend);
      const a = identity(5);
      a[2 * 5 + 2] = -1;
      expect(() => cholesky(tensor(a, [5, 5], 'f32'))).toThrow(/leading minor 3 of the 5x5 f32 matrix/);
      const b = new Float64Array([1, 2, 2, 1]); // det < 0: the second minor fails
      expect(() => cholesky(tensor(b, [2, 2], 'f64'))).toThrow(LinAlgError);
      expect(() => cholesky(tensor(b, [2, 2], 'f64'))).toThrow(/leading minor 2/);
      expect(() => choleskyInverse(tensor(a, [5, 5], 'f64'))).toThrow(/leading minor 3/);
      const nan = identity(3);
      nan[4] = NaN;
      expect(() => cholesky(tensor(nan, [3, 3], 'f64'))).toThrow(/leading minor 2/);
    });

    it('choleskyInverse(A)·A = I and matches the symmetric inverse', () => {
      setBackend(backend);
      for (const dt of ['f32', 'f64'] as const) {
        for (const n of SIZES) {
          const a = spd(n, 3 * n);
          const inv = vals(choleskyInverse(tensor(a, [n, n], dt)));
          expect(maxAbsDiff(naiveMatmul(inv, a, n, n, n), identity(n)), `${dt} n=${n}`).toBeLessThan(64 * n * EPS[dt] * 8);
          expect(maxAbsDiff(inv, naiveTranspose(inv, n, n))).toBe(0);
        }
      }
    });

    it('solveTriangular solves every (upper, left, transpose, unit) combination', () => {
      setBackend(backend);
      for (const dt of ['f32', 'f64'] as const) {
        for (const n of [1, 5, 67, 130]) {
          for (const upper of [false, true]) for (const left of [true, false]) for (const transpose of [false, true]) for (const unit of [false, true]) {
            const t = tri(n, upper, n * 11 + (upper ? 1 : 0));
            const k = 3;
            const [rows, cols] = left ? [n, k] : [k, n];
            const b = randMat(rows, cols, 77 + n);
            const x = vals(solveTriangular(tensor(t, [n, n], dt), tensor(b, [rows, cols], dt), { upper, left, transpose, unitDiagonal: unit }));
            // Residual with the operator the options describe, built naively.
            const op = new Float64Array(n * n);
            for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
              const src = transpose ? t[j * n + i] : t[i * n + j];
              op[i * n + j] = unit && i === j ? 1 : src;
            }
            const prod = left ? naiveMatmul(op, x, n, n, k) : naiveMatmul(x, op, k, n, n);
            const what = `${dt} n=${n} upper=${upper} left=${left} trans=${transpose} unit=${unit}`;
            expect(maxAbsDiff(prod, b), what).toBeLessThan(64 * n * EPS[dt] * 16);
          }
        }
      }
    });

    it('solveTriangular: vector right-hand sides, views, errors', () => {
      setBackend(backend);
      const n = 6;
      const l = tri(n, false, 4);
      const b = randMat(n, 1, 5);
      const x = vals(solveTriangular(tensor(l, [n, n], 'f64'), tensor(b, [n], 'f64')));
      expect(maxAbsDiff(naiveMatmul(l, x, n, n, 1), b)).toBeLessThan(1e-13);
      // Lᵀ as a view is upper triangular.
      const y = vals(solveTriangular(tensor(l, [n, n], 'f64').transpose(), tensor(b, [n], 'f64'), { upper: true }));
      expect(maxAbsDiff(naiveMatmul(naiveTranspose(l, n, n), y, n, n, 1), b)).toBeLessThan(1e-13);
      const row = vals(solveTriangular(tensor(l, [n, n], 'f64'), tensor(b, [n], 'f64'), { left: false }));
      expect(maxAbsDiff(naiveMatmul(row, l, 1, n, n), b)).toBeLessThan(1e-13);
      const sing = Float64Array.from(l);
      sing[3 * n + 3] = 0;
      expect(() => solveTriangular(tensor(sing, [n, n], 'f64'), tensor(b, [n], 'f64'))).toThrow(/singular \(diagonal entry 3 is 0\)/);
      expect(() => solveTriangular(tensor(l, [n, n], 'f64'), tensor(randMat(5, 2, 1), [5, 2], 'f64'))).toThrow(/T \[6,6\] and B \[5,2\]/);
      expect(() => solveTriangular(tensor(l, [n, n], 'f64'), tensor(b, [n], 'f32'))).toThrow(DTypeError);
      expect(() => solveTriangular(tensor(randMat(2, 3, 1), [2, 3], 'f64'), tensor(b, [n], 'f64'))).toThrow(ShapeError);
    });

    it('triangularInverse(T)·T = I, triangular result', () => {
      setBackend(backend);
      for (const dt of ['f32', 'f64'] as const) {
        for (const n of [1, 3, 64, 131]) {
          for (const upper of [false, true]) for (const unit of [false, true]) {
            const t = tri(n, upper, n + 9);
            const inv = vals(triangularInverse(tensor(t, [n, n], dt), { upper, unitDiagonal: unit }));
            const tt = Float64Array.from(t);
            if (unit) for (let i = 0; i < n; i++) tt[i * n + i] = 1;
            expect(maxAbsDiff(naiveMatmul(inv, tt, n, n, n), identity(n)), `${dt} n=${n} ${upper} ${unit}`).toBeLessThan(64 * n * EPS[dt] * 16);
            for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
              if (upper ? j < i : j > i) expect(Math.abs(inv[i * n + j])).toBe(0);
            }
          }
        }
      }
      expect(() => triangularInverse(tensor([[1, 0], [2, 0]]))).toThrow(LinAlgError);
      expect(triangularInverse(tensor([[0, 0], [2, 0]]), { unitDiagonal: true }).toArray()).toEqual([[1, 0], [-2, 1]]);
    });

    it('syrk = alpha·XᵀX + beta·C (and XXᵀ), symmetric, through views, accumulating in place', () => {
      setBackend(backend);
      for (const dt of ['f32', 'f64'] as const) {
        for (const [rows, f] of [[1, 1], [5, 3], [37, 13], [300, 131], [7, 200]] as const) {
          const x = randMat(rows, f, rows + f);
          const xt = naiveTranspose(x, rows, f);
          const gram = naiveMatmul(xt, x, f, rows, f);
          const c = spd(f, 9);
          const got = vals(syrk(tensor(x, [rows, f], dt), { alpha: 0.5, beta: 2, c: tensor(c, [f, f], dt) }));
          const want = gram.map((g, i) => 0.5 * g + 2 * c[i]);
          const tol = (rows + 4) * EPS[dt] * (rows + 4 * f);
          expect(maxAbsDiff(got, want), `${dt} ${rows}x${f}`).toBeLessThan(tol);
          expect(maxAbsDiff(got, naiveTranspose(got, f, f))).toBe(0);
          // XXᵀ of the transposed view is the same Gram matrix.
          const viaView = vals(syrk(tensor(xt, [f, rows], dt).transpose(), {}));
          expect(maxAbsDiff(viaView, gram), `${dt} view`).toBeLessThan(tol);
          const outer = vals(syrk(tensor(xt, [f, rows], dt), { trans: false }));
          expect(maxAbsDiff(outer, gram), `${dt} trans false`).toBeLessThan(tol);
        }
      }
      // H = XᵀX + H, twice, in place.
      const x = tensor([[1, 2], [3, 4], [5, 6]], undefined, 'f64');
      const h = tensor([[1, 100], [0, 1]], undefined, 'f64'); // upper triangle ignored: C is read as symmetric
      const r1 = syrk(x, { beta: 1, c: h, out: h });
      expect(r1).toBe(h);
      syrk(x, { beta: 1, c: h, out: h });
      expect(h.toArray()).toEqual([[71, 88], [88, 113]]);
      expect(() => syrk(x, { c: tensor([[1]], undefined, 'f64'), beta: 1 })).toThrow(/C \[1,1\] must be \[2,2\] for X \[3,2\]/);
      expect(() => syrk(tensor([1, 2]))).toThrow(ShapeError);
      expect(() => syrk(tensor([[1, 2]], undefined, 'int32'))).toThrow(DTypeError);
    });
  });
}

describe('linalg properties', () => {
  it('cholesky: L·Lᵀ = A for random SPD matrices (f64 and f32)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<DT>('f32', 'f64'), (n, seed, dt) => {
        const a = spd(n, seed);
        const l = vals(cholesky(tensor(a, [n, n], dt)));
        const llt = naiveMatmul(l, naiveTranspose(l, n, n), n, n, n);
        expect(maxAbsDiff(llt, a)).toBeLessThan(16 * n * EPS[dt] * 4);
      }),
      { numRuns: 60 },
    );
  });

  it('choleskyInverse: A⁻¹·A = I for random SPD matrices', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<DT>('f32', 'f64'), (n, seed, dt) => {
        const a = spd(n, seed);
        const inv = vals(choleskyInverse(tensor(a, [n, n], dt)));
        expect(maxAbsDiff(naiveMatmul(inv, a, n, n, n), identity(n))).toBeLessThan(64 * n * EPS[dt] * 8);
      }),
      { numRuns: 60 },
    );
  });
});
