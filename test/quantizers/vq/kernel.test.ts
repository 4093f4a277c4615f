/**
 * Parity of vq_nearest_f32: WASM (4 centroids per v128, lane reduction, scalar tail) versus the JS
 * reference bit for bit (same f32 operations in the same order), also split over 2 threads; and the
 * reference versus an f64 brute force written here: the chosen centroid is within f32 rounding of
 * the true minimum, and exact ties go to the lower index.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KERNELS } from '../../../src/kernels/table.js';
import { setThreads } from '../../../src/kernels/threads.js';
import { wasmRuntime } from '../../../src/kernels/backend.js';
import { Storage } from '../../../src/memory/storage.js';
import type { Ref } from '../../../src/kernels/ref.js';
import { Rng } from '../../../src/ops/random.js';

afterAll(() => setThreads(1));

function refIn(data: Float32Array | Int32Array, where: 'wasm' | 'js', pad: number): Ref {
  const padded = new (data.constructor as Float32ArrayConstructor)(data.length + pad);
  padded.set(data, pad);
  return { storage: Storage.from(padded, { heap: where === 'wasm' ? wasmRuntime().heap : null }), offset: pad };
}

const caseArb = fc.record({
  n: fc.integer({ min: 0, max: 40 }),
  d: fc.constantFrom(1, 2, 3, 4, 8),
  k: fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 13, 16, 64),
  period: fc.integer({ min: 1, max: 5 }),
  per: fc.integer({ min: 1, max: 6 }),
  weighted: fc.boolean(),
  scaled: fc.boolean(),
  levels: fc.constantFrom(0, 3),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function data(c: Case) {
  const rng = new Rng(c.seed);
  const val = () => Math.fround(c.levels ? rng.nextInt(c.levels) - 1 : rng.nextNormal());
  return {
    points: Float32Array.from({ length: c.n * c.d }, val),
    centroids: Float32Array.from({ length: c.k * c.d }, val), // (d, k)
    weights: c.weighted ? Float32Array.from({ length: c.period * c.d }, () => Math.fround(rng.nextInt(4) === 0 ? 0 : rng.nextF64() * 2)) : null,
    scales: c.scaled ? Float32Array.from({ length: Math.ceil(c.n / c.per) }, () => Math.fround(0.25 + rng.nextF64())) : null,
  };
}

function run(where: 'js' | 'wasm', c: Case, x: ReturnType<typeof data>) {
  const codes = refIn(new Int32Array(c.n), where, 1);
  const dist = refIn(new Float32Array(c.n), where, 2);
  const fn = where === 'js' ? KERNELS.vq_nearest_f32.js : KERNELS.vq_nearest_f32.wasm!;
  fn({
    n: c.n,
    d: c.d,
    k: c.k,
    points: refIn(x.points, where, 3),
    centroids: refIn(x.centroids, where, 1),
    ...(x.weights ? { weights: refIn(x.weights, where, 2) } : {}),
    period: c.period,
    ...(x.scales ? { scales: refIn(x.scales, where, 1) } : {}),
    per: c.per,
    codes,
    dist,
  });
  return {
    codes: Array.from(codes.storage.view(Int32Array).slice(1, 1 + c.n)),
    dist: Array.from(dist.storage.view(Float32Array).slice(2, 2 + c.n)),
  };
}

describe('vq_nearest_f32', () => {
  it('wasm equals the js reference bit for bit', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const x = data(c);
        expect(run('wasm', c, x)).toEqual(run('js', c, x));
      }),
    );
  });

  // Small calls stay on one thread; this one is split, and each range must index weights and scales
  // by the global point index.
  it('a call split over 2 threads gives the same bytes (weights and scales follow the global point index)', () => {
    const c: Case = { n: 5000, d: 4, k: 64, period: 7, per: 3, weighted: true, scaled: true, levels: 0, seed: 5 };
    const x = data(c);
    const want = run('js', c, x);
    setThreads(2);
    expect(run('wasm', c, x)).toEqual(want);
    setThreads(1);
  });

  it('the reference picks the f64 minimum up to f32 rounding, ties to the lower index', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const x = data(c);
        const got = run('js', c, x);
        for (let i = 0; i < c.n; i++) {
          const s = x.scales ? x.scales[Math.floor(i / c.per)] : 1;
          const w0 = (i % c.period) * c.d;
          const exact = Array.from({ length: c.k }, (_, j) => {
            let acc = 0;
            let mag = 0;
            for (let t = 0; t < c.d; t++) {
              const w = x.weights ? x.weights[w0 + t] : 1;
              const e = x.points[i * c.d + t] - x.centroids[t * c.k + j] * s;
              acc += w * e * e;
              mag += w * (Math.abs(x.points[i * c.d + t]) + Math.abs(x.centroids[t * c.k + j] * s)) ** 2;
            }
            return { acc, tol: 8 * c.d * 2 ** -24 * mag + 1e-30 };
          });
          const min = Math.min(...exact.map((e) => e.acc));
          const chosen = exact[got.codes[i]];
          expect(chosen.acc - min).toBeLessThanOrEqual(2 * chosen.tol);
          expect(Math.abs(got.dist[i] - chosen.acc)).toBeLessThanOrEqual(chosen.tol);
          // With integer data every distance is exact: the first minimum wins.
          if (c.levels && !x.weights && !x.scales) expect(got.codes[i]).toBe(exact.findIndex((e) => e.acc === min));
        }
      }),
    );
  });
});
