/**
 * Parity of gemm_f32/f64 and gemv_f32/f64: WASM versus the JS reference, both versus an f64 sum,
 * on random and adversarial shapes and layouts (row-major, transposed, padded, broadcast strides).
 * Tolerance (float sums, relative to the sum of |terms|): |got - exact| <= (k + 2) u sum|alpha a b|
 * + 2 u |beta c|, with u the unit roundoff of the element type (a bound that holds for any
 * summation order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import { matrixExtent } from '../../src/kernels/ref.js';
import { dimArb, expectWithin, readRef, refIn, randArray, rng, unitRoundoff, type FloatCtor } from './helpers.js';

type Layout = 'row' | 'col' | 'padded' | 'bcast';

/** Strides of an r x c matrix in a layout; returns [rs, cs, extent]. */
function strides(r: number, c: number, layout: Layout): [number, number, number] {
  const [rs, cs] = layout === 'row' ? [c, 1] : layout === 'col' ? [1, r] : layout === 'padded' ? [c + 3, 1] : [0, 1];
  return [rs, cs, Math.max(matrixExtent(r, c, rs, cs), 1)];
}

interface Case {
  m: number;
  n: number;
  k: number;
  la: Layout;
  lb: Layout;
  lc: Exclude<Layout, 'bcast'>;
  alpha: number;
  beta: number;
  seed: number;
}

function runGemm(ctor: FloatCtor, cs: Case): void {
  const name = ctor === Float32Array ? 'gemm_f32' : 'gemm_f64';
  const u = unitRoundoff(ctor);
  const next = rng(cs.seed);
  const [rsa, csa, ea] = strides(cs.m, cs.k, cs.la);
  const [rsb, csb, eb] = strides(cs.k, cs.n, cs.lb);
  const [rsc, csc, ec] = strides(cs.m, cs.n, cs.lc);
  const A = randArray(ctor, ea, next);
  const B = randArray(ctor, eb, next);
  const C0 = randArray(ctor, ec, next);
  if (cs.beta === 0) C0.fill(NaN); // beta == 0 must not read C
  // Exact-ish reference in f64 and the error bound per element.
  const want = new Float64Array(ec);
  const bound = new Float64Array(ec);
  for (let i = 0; i < ec; i++) want[i] = C0[i]; // gaps of padded C must stay untouched
  for (let i = 0; i < cs.m; i++) {
    for (let j = 0; j < cs.n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < cs.k; p++) {
        const t = A[i * rsa + p * csa] * B[p * rsb + j * csb];
        s += t;
        abs += Math.abs(cs.alpha * t);
      }
      const q = i * rsc + j * csc;
      const c = cs.beta === 0 ? 0 : cs.beta * C0[q];
      want[q] = cs.alpha * s + c;
      bound[q] = (cs.k + 2) * u * abs + 2 * u * Math.abs(c) + 1e-300;
    }
  }
  const results: Record<string, Float64Array> = {};
  for (const [label, impl, where] of [
    ['js', KERNELS[name].js, 'js'],
    ['wasm', KERNELS[name].wasm!, 'wasm'],
    ['wasm-copy', KERNELS[name].wasm!, 'js'],
  ] as const) {
    const a = refIn(A, where, 1);
    const b = refIn(B, where, 2);
    const c = refIn(C0, where, 3);
    impl({ m: cs.m, n: cs.n, k: cs.k, alpha: cs.alpha, a, rsa, csa, b, rsb, csb, beta: cs.beta, c, rsc, csc });
    results[label] = Float64Array.from(readRef(c, ctor, ec));
    // Unwritten gaps: NaN-filled C with beta 0 keeps NaN in gaps; compare those exactly below.
    expectWithin(results[label], want, bound, `${name} ${label} ${JSON.stringify(cs)}`);
  }
  expect(results['wasm-copy']).toEqual(results['wasm']);
}

const caseArb = (maxDim: number) =>
  fc.record({
    m: dimArb(maxDim),
    n: dimArb(maxDim),
    k: dimArb(maxDim),
    la: fc.constantFrom<Layout>('row', 'col', 'padded', 'bcast'),
    lb: fc.constantFrom<Layout>('row', 'col', 'padded', 'bcast'),
    lc: fc.constantFrom<'row' | 'col' | 'padded'>('row', 'col', 'padded'),
    alpha: fc.constantFrom(1, -2, 0.5),
    beta: fc.constantFrom(0, 1, -0.5),
    seed: fc.nat(),
  });

describe.each([Float32Array, Float64Array] as const)('gemm parity %s', (ctor) => {
  it('random and adversarial shapes and layouts', () => {
    fc.assert(fc.property(caseArb(40), (cs) => runGemm(ctor, cs)), { numRuns: 150 });
  });

  it('shapes crossing the blocking (KC = 256, MC = 128, or 140 on the relaxed build, NC = 2048)', () => {
    const shapes: [number, number, number][] = [
      [130, 37, 300],
      [151, 19, 260],
      [5, 2051, 3],
      [129, 129, 257],
      [64, 64, 512],
    ];
    for (const [m, n, k] of shapes) {
      runGemm(ctor, { m, n, k, la: 'row', lb: 'row', lc: 'row', alpha: 1, beta: 0, seed: m * n + k });
      runGemm(ctor, { m, n, k, la: 'col', lb: 'col', lc: 'padded', alpha: -1, beta: 1, seed: m + n * k });
    }
  });

  it('alpha = 0 and k = 0 scale C by beta', () => {
    runGemm(ctor, { m: 5, n: 7, k: 0, la: 'row', lb: 'row', lc: 'row', alpha: 1, beta: 0.5, seed: 1 });
    runGemm(ctor, { m: 5, n: 7, k: 3, la: 'row', lb: 'row', lc: 'row', alpha: 0, beta: -0.5, seed: 2 });
  });
});

function runGemv(ctor: FloatCtor, m: number, n: number, la: Layout, incx: number, incy: number, alpha: number, beta: number, seed: number): void {
  const name = ctor === Float32Array ? 'gemv_f32' : 'gemv_f64';
  const u = unitRoundoff(ctor);
  const next = rng(seed);
  const [rsa, csa, ea] = strides(m, n, la);
  const A = randArray(ctor, ea, next);
  const X = randArray(ctor, Math.max(matrixExtent(n, 1, incx, 1), 1), next);
  const Y0 = randArray(ctor, Math.max(matrixExtent(m, 1, incy, 1), 1), next);
  if (beta === 0) Y0.fill(NaN);
  const want = Float64Array.from(Y0);
  const bound = new Float64Array(Y0.length);
  for (let i = 0; i < m; i++) {
    let s = 0;
    let abs = 0;
    for (let j = 0; j < n; j++) {
      const t = A[i * rsa + j * csa] * X[j * incx];
      s += t;
      abs += Math.abs(alpha * t);
    }
    const y = beta === 0 ? 0 : beta * Y0[i * incy];
    want[i * incy] = alpha * s + y;
    bound[i * incy] = (n + 2) * u * abs + 2 * u * Math.abs(y) + 1e-300;
  }
  for (const [label, impl, where] of [
    ['js', KERNELS[name].js, 'js'],
    ['wasm', KERNELS[name].wasm!, 'wasm'],
  ] as const) {
    const a = refIn(A, where, 1);
    const x = refIn(X, where);
    const y = refIn(Y0, where, 3);
    impl({ m, n, alpha, a, rsa, csa, x, incx, beta, y, incy });
    expectWithin(Float64Array.from(readRef(y, ctor, Y0.length)), want, bound, `${name} ${label} ${JSON.stringify({ m, n, la, incx, incy, alpha, beta })}`);
  }
}

describe.each([Float32Array, Float64Array] as const)('gemv parity %s', (ctor) => {
  it('random and adversarial shapes, rows or columns contiguous, strided vectors', () => {
    fc.assert(
      fc.property(
        dimArb(70),
        dimArb(70),
        fc.constantFrom<Layout>('row', 'col', 'padded', 'bcast'),
        fc.constantFrom(1, 2),
        fc.constantFrom(1, 3),
        fc.constantFrom(1, -1.5),
        fc.constantFrom(0, 1, 2),
        fc.nat(),
        (m, n, la, incx, incy, alpha, beta, seed) => runGemv(ctor, m, n, la, incx, incy, alpha, beta, seed),
      ),
      { numRuns: 150 },
    );
  });

  it('a long row (4099) and a tall matrix (1031 x 9)', () => {
    runGemv(ctor, 3, 4099, 'row', 1, 1, 1, 0, 7);
    runGemv(ctor, 1031, 9, 'col', 1, 1, 1, 1, 8);
  });

  it('large columns-contiguous products (the column-block path: m n >= 2^20)', () => {
    runGemv(ctor, 1027, 1031, 'col', 1, 1, 1, 0, 9);
    runGemv(ctor, 1024, 1029, 'col', 2, 1, -1.5, 2, 10);
    runGemv(ctor, 262147, 5, 'col', 1, 1, 1, 1, 11);
  });

  // The WASM kernel computes rows four at a time, a quarter of the call's rows apart, and leftover
  // rows alone: each row must come out with the same bits whichever rows share its pass.
  it('contiguous rows: any sub-range of rows gives the bits of the whole call', () => {
    const name = ctor === Float32Array ? 'gemv_f32' : 'gemv_f64';
    const wasm = KERNELS[name].wasm!;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 41 }), dimArb(70), fc.nat(), fc.nat(), fc.nat(), (m, n, u, v, seed) => {
        const r0 = u % m;
        const r1 = r0 + 1 + (v % (m - r0));
        const next = rng(seed);
        const A = randArray(ctor, m * n, next);
        const x = refIn(randArray(ctor, Math.max(n, 1), next), 'wasm');
        const whole = refIn(new ctor(m), 'wasm');
        wasm({ m, n, alpha: 1, a: refIn(A, 'wasm'), rsa: n, csa: 1, x, incx: 1, beta: 0, y: whole, incy: 1 });
        const part = refIn(new ctor(r1 - r0), 'wasm');
        wasm({ m: r1 - r0, n, alpha: 1, a: refIn(A.subarray(r0 * n, r1 * n), 'wasm'), rsa: n, csa: 1, x, incx: 1, beta: 0, y: part, incy: 1 });
        const w = readRef(whole, ctor, m);
        const p = readRef(part, ctor, r1 - r0);
        for (let i = r0; i < r1; i++) {
          if (!Object.is(p[i - r0], w[i])) throw new Error(`${name} ${m}x${n} rows [${r0}, ${r1}): row ${i} is ${p[i - r0]} alone, ${w[i]} in the whole call`);
        }
      }),
      { numRuns: 150 },
    );
  });
});
