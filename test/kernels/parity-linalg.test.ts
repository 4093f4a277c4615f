/**
 * Parity of cholesky, trsm, tri_inv, syrk and cholesky_inverse (f32 and f64): WASM (blocked) versus
 * the JS reference (unblocked), both versus an f64 computation, on adversarial sizes (1, primes,
 * sizes around the blocks NB = 128 and NBT = 64) and layouts (row-major, column-major, padded).
 * Test matrices are well conditioned by construction (kappa <= ~3), so forward errors are bounded by
 * C (n + 2) u |scale| with u the unit roundoff; the constant C is stated per kernel.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import type { Ref } from '../../src/kernels/ref.js';
import { dimArb, expectWithin, readRef, refIn, rng, unitRoundoff, type FloatCtor } from './helpers.js';

type Layout = 'row' | 'col' | 'padded';
type Where = 'js' | 'wasm';
const LAYOUTS: Layout[] = ['row', 'col', 'padded'];

/** A logical r x c matrix (row-major f64) stored in a layout: ref, strides, and a reader back. */
function place(ctor: FloatCtor, M: Float64Array, r: number, c: number, layout: Layout, where: Where) {
  const [rs, cs] = layout === 'row' ? [c, 1] : layout === 'col' ? [1, r] : [c + 2, 1];
  const ext = r === 0 || c === 0 ? 1 : (r - 1) * rs + (c - 1) * cs + 1;
  const data = new ctor(ext).fill(NaN); // gaps must never be read
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[i * rs + j * cs] = M[i * c + j];
  const ref: Ref = refIn(data, where, 1);
  const read = (): Float64Array => {
    const raw = readRef(ref, ctor, ext);
    const out = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = raw[i * rs + j * cs];
    return out;
  };
  return { ref, rs, cs, read };
}

const rand = (n: number, next: () => number): Float64Array => Float64Array.from({ length: n }, () => next() * 2 - 1);

/** SPD A = M M^T / n + I (kappa <= ~3), rounded to the element type. */
function spd(ctor: FloatCtor, n: number, next: () => number): Float64Array {
  const M = rand(n * n, next);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += M[i * n + p] * M[j * n + p];
      A[i * n + j] = A[j * n + i] = s / Math.max(n, 1) + (i === j ? 1 : 0);
    }
  }
  return Float64Array.from(new ctor(A));
}

/** f64 lower Cholesky factor (row-major), or the failing minor. */
function cholRef(A: Float64Array, n: number): Float64Array | number {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let p = 0; p < j; p++) d -= L[j * n + p] ** 2;
    if (!(d > 0)) return j + 1;
    L[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let p = 0; p < j; p++) s -= L[i * n + p] * L[j * n + p];
      L[i * n + j] = s / L[j * n + j];
    }
  }
  return L;
}

const transpose = (M: Float64Array, r: number, c: number): Float64Array => {
  const T = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) T[j * r + i] = M[i * c + j];
  return T;
};

/** f64 solve of L X = B (L lower n x n, B n x m) by substitution. */
function solveLowerRef(L: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let v = X[i * m + c];
      for (let p = 0; p < i; p++) v -= L[i * n + p] * X[p * m + c];
      X[i * m + c] = v / L[i * n + i];
    }
  }
  return X;
}

const IMPLS = ['js', 'wasm'] as const;
const sfx = (ctor: FloatCtor) => (ctor === Float32Array ? 'f32' : 'f64');
const SIZES = [0, 1, 2, 3, 5, 7, 13, 31, 63, 64, 65, 127, 128, 129, 200, 261];

describe.each([Float32Array, Float64Array] as const)('linalg parity %s', (ctor) => {
  const u = unitRoundoff(ctor);
  const chol = KERNELS[`cholesky_${sfx(ctor)}`];
  const trsm = KERNELS[`trsm_${sfx(ctor)}`];
  const triInv = KERNELS[`tri_inv_${sfx(ctor)}`];
  const syrk = KERNELS[`syrk_${sfx(ctor)}`];
  const cinv = KERNELS[`cholesky_inverse_${sfx(ctor)}`];

  it('cholesky, lower and upper, every layout; |L - L64| <= 10 (n + 2) u sqrt(A_ii)', () => {
    for (const n of SIZES) {
      const next = rng(n + 11);
      const A = spd(ctor, n, next);
      const L = cholRef(A, n) as Float64Array;
      const U = transpose(L, n, n);
      const bound = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) bound[i * n + j] = 10 * (n + 2) * u * Math.sqrt(Math.max(A[i * n + i], A[j * n + j]));
      for (const upper of [false, true]) {
        for (const layout of LAYOUTS) {
          for (const impl of IMPLS) {
            // Poison the triangle that must not be read.
            const Ain = Float64Array.from(A);
            for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (upper ? i > j : j > i) Ain[i * n + j] = NaN;
            const a = place(ctor, Ain, n, n, layout, impl);
            const info = chol[impl]!({ n, a: a.ref, rsa: a.rs, csa: a.cs, upper });
            expect(info, `${impl} n=${n}`).toBe(0);
            expectWithin(a.read(), upper ? U : L, bound, `cholesky ${impl} n=${n} upper=${upper} ${layout}`);
          }
        }
      }
    }
  });

  it('cholesky reports the failing leading minor (inside and beyond the first block, NaN too)', () => {
    for (const [n, k] of [
      [1, 0],
      [5, 3],
      [40, 39],
      [200, 150],
      [300, 129],
    ] as const) {
      const A = spd(ctor, n, rng(n * 7 + k));
      const L = cholRef(A, n) as Float64Array;
      let s = 0;
      for (let p = 0; p < k; p++) s += L[k * n + p] ** 2;
      const bad = Float64Array.from(A);
      bad[k * n + k] = s - 0.5; // the pivot at step k is -0.5
      const nan = Float64Array.from(A);
      nan[k * n + k] = NaN;
      for (const impl of IMPLS) {
        for (const upper of [false, true]) {
          for (const M of [bad, nan]) {
            const a = place(ctor, M, n, n, 'row', impl);
            expect(chol[impl]!({ n, a: a.ref, rsa: a.rs, csa: a.cs, upper }), `${impl} n=${n} k=${k}`).toBe(k + 1);
          }
        }
      }
    }
  });

  it('trsm: every side / triangle / transpose / unit combination; |X - X64| <= 10 (n + 2) u max|X|', () => {
    fc.assert(
      fc.property(
        fc.oneof(dimArb(40), fc.constantFrom(64, 65, 130)),
        dimArb(40),
        fc.constantFrom<'left' | 'right'>('left', 'right'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(1, -0.5),
        fc.constantFrom<Layout>(...LAYOUTS),
        fc.constantFrom<Layout>(...LAYOUTS),
        fc.nat(),
        (size, other, side, upper, trans, unit, alpha, lt, lb, seed) => {
          const next = rng(seed);
          const [m, n] = side === 'left' ? [size, other] : [other, size];
          // Diagonally dominant triangle: |T_ii| in [size/2 + 1, size + 1], off-diagonal in [-1, 1].
          const T = rand(size * size, next);
          for (let i = 0; i < size; i++) {
            T[i * size + i] = (next() < 0.5 ? -1 : 1) * (size / 2 + 1 + (next() * size) / 2);
            for (let j = 0; j < size; j++) if (upper ? i > j : j > i) T[i * size + j] = NaN;
          }
          const Tr = Float64Array.from(new ctor(T));
          const B = Float64Array.from(new ctor(rand(m * n, next)));
          // f64 reference: reduce to a lower left solve on op(T) (or its transpose for right side).
          const Tclean = Tr.map((v, idx) => (Number.isNaN(v) ? 0 : unit && idx % (size + 1) === 0 ? 1 : v));
          const opT = trans ? transpose(Tclean, size, size) : Tclean;
          const M = side === 'left' ? opT : transpose(opT, size, size); // M Y = C
          const C = side === 'left' ? B.map((v) => v * alpha) : transpose(B, m, n).map((v) => v * alpha);
          const cols = side === 'left' ? n : m;
          const Mlower = upper === (trans !== (side === 'right')) ? M : null;
          let Y: Float64Array;
          if (Mlower) Y = solveLowerRef(M, size, C, cols);
          else {
            // Upper M: reverse rows and columns to make it lower.
            const R = new Float64Array(size * size);
            for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) R[i * size + j] = M[(size - 1 - i) * size + (size - 1 - j)];
            const Cr = new Float64Array(size * cols);
            for (let i = 0; i < size; i++) for (let c = 0; c < cols; c++) Cr[i * cols + c] = C[(size - 1 - i) * cols + c];
            const Yr = solveLowerRef(R, size, Cr, cols);
            Y = new Float64Array(size * cols);
            for (let i = 0; i < size; i++) for (let c = 0; c < cols; c++) Y[i * cols + c] = Yr[(size - 1 - i) * cols + c];
          }
          const X = side === 'left' ? Y : transpose(Y, size, cols);
          let maxX = 0;
          for (const v of X) maxX = Math.max(maxX, Math.abs(v));
          const bound = new Float64Array(m * n).fill(10 * (size + 2) * u * maxX + 1e-300);
          for (const impl of IMPLS) {
            const t = place(ctor, Tr, size, size, lt, impl);
            const b = place(ctor, B, m, n, lb, impl);
            trsm[impl]!({ side, upper, trans, unit, m, n, alpha, t: t.ref, rst: t.rs, cst: t.cs, b: b.ref, rsb: b.rs, csb: b.cs });
            expectWithin(b.read(), X, bound, `trsm ${impl} ${JSON.stringify({ m, n, side, upper, trans, unit, lt, lb })}`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tri_inv, lower and upper, unit or not; |X - T^-1| <= 10 (n + 2) u max|T^-1|', () => {
    for (const n of SIZES) {
      for (const upper of [false, true]) {
        for (const unit of [false, true]) {
          const next = rng(n * 3 + (upper ? 1 : 0));
          const T = rand(n * n, next);
          for (let i = 0; i < n; i++) {
            T[i * n + i] = n / 2 + 1 + next();
            for (let j = 0; j < n; j++) if (upper ? i > j : j > i) T[i * n + j] = NaN;
          }
          const Tr = Float64Array.from(new ctor(T));
          const clean = Tr.map((v, idx) => (Number.isNaN(v) ? 0 : unit && idx % (n + 1) === 0 ? 1 : v));
          const I = new Float64Array(n * n);
          for (let i = 0; i < n; i++) I[i * n + i] = 1;
          // Upper inverse = transpose of the lower inverse of the transpose.
          const want = upper ? transpose(solveLowerRef(transpose(clean, n, n), n, I, n), n, n) : solveLowerRef(clean, n, I, n);
          let mx = 0;
          for (const v of want) mx = Math.max(mx, Math.abs(v));
          const bound = new Float64Array(n * n).fill(10 * (n + 2) * u * mx + 1e-300);
          for (const impl of IMPLS) {
            const t = place(ctor, Tr, n, n, 'row', impl);
            const x = place(ctor, new Float64Array(n * n).fill(NaN), n, n, n % 2 ? 'col' : 'padded', impl);
            triInv[impl]!({ n, t: t.ref, rst: t.rs, cst: t.cs, upper, unit, x: x.ref, rsx: x.rs, csx: x.cs });
            expectWithin(x.read(), want, bound, `tri_inv ${impl} n=${n} upper=${upper} unit=${unit}`);
          }
        }
      }
    }
  });

  it('syrk: symmetric result, |C - C64| <= (k + 2) u sum|alpha a a| + 2 u |beta c|', () => {
    fc.assert(
      fc.property(
        fc.oneof(dimArb(40), fc.constantFrom(127, 129, 200)),
        fc.oneof(dimArb(40), fc.constantFrom(257, 513)), // 257 and 513 cross syrk's packed depth (KS: 256 f64, 512 f32)
        fc.constantFrom(1, -1, 0.25),
        fc.constantFrom(0, 1, 0.5),
        fc.boolean(),
        fc.constantFrom<Layout>(...LAYOUTS),
        fc.nat(),
        (n, k, alpha, beta, hessian, lc, seed) => {
          const next = rng(seed);
          // hessian: A = X^T for X (k, n) row-major (strides swapped), the GPTQ layout.
          const X = Float64Array.from(new ctor(rand(n * k, next)));
          const A = hessian ? transpose(X, k, n) : X; // logical n x k
          const Cin = Float64Array.from(new ctor(rand(n * n, next)));
          for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) Cin[i * n + j] = beta === 0 ? NaN : Cin[j * n + i];
          if (beta === 0) for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) Cin[i * n + j] = NaN;
          const want = new Float64Array(n * n);
          const bound = new Float64Array(n * n);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              let abs = 0;
              for (let p = 0; p < k; p++) {
                s += A[i * k + p] * A[j * k + p];
                abs += Math.abs(alpha * A[i * k + p] * A[j * k + p]);
              }
              const c = beta === 0 ? 0 : beta * Cin[Math.max(i, j) * n + Math.min(i, j)];
              want[i * n + j] = alpha * s + c;
              bound[i * n + j] = (k + 2) * u * abs + 2 * u * Math.abs(c) + 1e-300;
            }
          }
          for (const impl of IMPLS) {
            const a = hessian ? place(ctor, X, k, n, 'row', impl) : place(ctor, A, n, k, 'row', impl);
            const [rsa, csa] = hessian ? [a.cs, a.rs] : [a.rs, a.cs];
            const c = place(ctor, Cin, n, n, lc, impl);
            syrk[impl]!({ n, k, alpha, a: a.ref, rsa, csa, beta, c: c.ref, rsc: c.rs, csc: c.cs });
            const got = c.read();
            expectWithin(got, want, bound, `syrk ${impl} ${JSON.stringify({ n, k, alpha, beta, hessian, lc })}`);
            for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(got[j * n + i]).toBe(got[i * n + j]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('cholesky_inverse: |A^-1 - inv64| <= 20 (n + 2) u max|A^-1|, symmetric; failing minor reported', () => {
    for (const n of SIZES) {
      const A = spd(ctor, n, rng(n + 5));
      const L = cholRef(A, n) as Float64Array;
      const I = new Float64Array(n * n);
      for (let i = 0; i < n; i++) I[i * n + i] = 1;
      const W = solveLowerRef(L, n, I, n);
      const want = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = Math.max(i, j); p < n; p++) s += W[p * n + i] * W[p * n + j];
        want[i * n + j] = s;
      }
      let mx = 0;
      for (const v of want) mx = Math.max(mx, Math.abs(v));
      const bound = new Float64Array(n * n).fill(20 * (n + 2) * u * mx + 1e-300);
      const Ain = Float64Array.from(A);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) Ain[i * n + j] = 7; // upper is not read... then overwritten
      for (const impl of IMPLS) {
        const a = place(ctor, Ain, n, n, n % 2 ? 'padded' : 'col', impl);
        expect(cinv[impl]!({ n, a: a.ref, rsa: a.rs, csa: a.cs })).toBe(0);
        const got = a.read();
        expectWithin(got, want, bound, `cholesky_inverse ${impl} n=${n}`);
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(got[j * n + i]).toBe(got[i * n + j]);
      }
    }
    const notPd = new Float64Array([1, 2, 2, 1]);
    for (const impl of IMPLS) {
      const a = place(ctor, notPd, 2, 2, 'row', impl);
      expect(cinv[impl]!({ n: 2, a: a.ref, rsa: a.rs, csa: a.cs })).toBe(2);
    }
  });
});
