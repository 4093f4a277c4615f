/**
 * Weighted nearest-centroid search and k-means: brute-force checks of the assignment, determinism,
 * a non-increasing objective, empty-cluster re-seeding (a hand-worked example), and degenerate data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestCentroids, weightedObjective } from '../../../src/quantizers/vq/assign.js';
import { kmeans, kmeansPlusPlus } from '../../../src/quantizers/vq/kmeans.js';
import { Rng } from '../../../src/ops/random.js';
import { ValueError } from '../../../src/errors.js';

/** A random point set with weights of one of the supported periods. */
const pointSet = fc
  .record({
    n: fc.integer({ min: 1, max: 40 }),
    d: fc.constantFrom(1, 2, 4, 8),
    k: fc.integer({ min: 1, max: 16 }),
    period: fc.constantFrom<'none' | 'one' | 'each' | 'row'>('none', 'one', 'each', 'row'),
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
    // Few distinct values make ties and duplicate points common.
    levels: fc.constantFrom(0, 3),
  })
  .map(({ n, d, k, period, seed, levels }) => {
    const rng = new Rng(seed);
    const val = () => (levels ? rng.nextInt(levels) - 1 : rng.nextNormal());
    const points = Float64Array.from({ length: n * d }, val);
    const centroids = Float64Array.from({ length: k * d }, val);
    const p = period === 'none' ? 0 : period === 'one' ? 1 : period === 'each' ? n : Math.max(1, Math.min(n, 3));
    const weights = p ? Float64Array.from({ length: p * d }, () => (rng.nextInt(5) === 0 ? 0 : rng.nextF64() * 3)) : null;
    return { n, d, k, points, centroids, weights, seed, levels };
  });

/** Brute-force weighted distance of point i to centroid c, written independently of assign.ts. */
function naiveDist(s: { d: number; points: Float64Array; weights: Float64Array | null }, i: number, cent: ArrayLike<number>, c: number): number {
  let total = 0;
  const p = s.weights ? s.weights.length / s.d : 1;
  for (let t = 0; t < s.d; t++) {
    const w = s.weights ? s.weights[(i % p) * s.d + t] : 1;
    total += w * (s.points[i * s.d + t] - cent[c * s.d + t]) ** 2;
  }
  return total;
}

/** f32 rounding bound of the kernel's distance from point i to centroid c (inputs rounded, f32 sums). */
function f32Tol(s: { d: number; points: Float64Array; weights: Float64Array | null }, i: number, cent: ArrayLike<number>, c: number): number {
  let mag = 0;
  const p = s.weights ? s.weights.length / s.d : 1;
  for (let t = 0; t < s.d; t++) {
    const w = s.weights ? s.weights[(i % p) * s.d + t] : 1;
    mag += w * (Math.abs(s.points[i * s.d + t]) + Math.abs(cent[c * s.d + t])) ** 2;
  }
  return 8 * s.d * 2 ** -24 * mag + 1e-300;
}

/** Asserts that code c of point i is a nearest centroid in f64 up to f32 rounding. */
function expectNearest(s: Parameters<typeof naiveDist>[0], i: number, cent: ArrayLike<number>, k: number, c: number): void {
  const all = Array.from({ length: k }, (_, j) => naiveDist(s, i, cent, j));
  expect(c >= 0 && c < k).toBe(true);
  expect(all[c] - Math.min(...all)).toBeLessThanOrEqual(2 * f32Tol(s, i, cent, c));
}

describe('nearestCentroids', () => {
  it('picks a centroid of minimal weighted distance (f64 brute force, up to f32 rounding; exact ties to the lower index)', () => {
    fc.assert(
      fc.property(pointSet, (s) => {
        const codes = new Int32Array(s.n);
        const dist = new Float64Array(s.n);
        const total = nearestCentroids(s, s.centroids, s.k, codes, { dist });
        let sum = 0;
        for (let i = 0; i < s.n; i++) {
          expectNearest(s, i, s.centroids, s.k, codes[i]);
          const exact = naiveDist(s, i, s.centroids, codes[i]);
          expect(Math.abs(dist[i] - exact)).toBeLessThanOrEqual(f32Tol(s, i, s.centroids, codes[i]));
          sum += dist[i];
          // Small integers and no weights: every distance is exact in f32, so the first minimum wins.
          if (s.levels && !s.weights) {
            const all = Array.from({ length: s.k }, (_, c) => naiveDist(s, i, s.centroids, c));
            expect(codes[i]).toBe(all.indexOf(Math.min(...all)));
          }
        }
        expect(total).toBeCloseTo(sum, 9);
      }),
    );
  });

  it('row scales multiply the centroids (f32 products)', () => {
    // Point 0 uses scale 1 (nearest 1), point 1 scale 10 (centroid 0.5 becomes 5, nearest to 6).
    const codes = new Int32Array(2);
    nearestCentroids({ points: Float64Array.of(1, 6), n: 2, d: 1, weights: null }, Float64Array.of(0.5, 1.2), 2, codes, {
      scales: Float32Array.of(1, 10),
      per: 1,
    });
    expect(Array.from(codes)).toEqual([1, 0]);
  });

  it('rejects mismatched centroids and weights', () => {
    const pts = { points: new Float64Array(4), n: 2, d: 2, weights: null };
    expect(() => nearestCentroids(pts, new Float64Array(3), 2, new Int32Array(2))).toThrow(ValueError);
    expect(() => kmeans({ ...pts, weights: new Float64Array(3) }, { k: 1 })).toThrow(/multiple of d/);
    expect(() => kmeans({ ...pts, weights: Float64Array.of(1, -1) }, { k: 1 })).toThrow(/weight -1/);
    expect(() => kmeans({ points: new Float64Array(0), n: 0, d: 2, weights: null }, { k: 1 })).toThrow(/at least one point/);
  });
});

describe('kmeans', () => {
  it('is deterministic for a seed, never increases the objective, and ends on an E-step', () => {
    fc.assert(
      fc.property(pointSet, fc.integer({ min: 1, max: 12 }), (s, iters) => {
        const a = kmeans(s, { k: s.k, iters, seed: s.seed });
        const scale = weightedObjective(s, new Float64Array(s.d), new Int32Array(s.n)) + 1e-300;
        const b = kmeans(s, { k: s.k, iters, seed: s.seed });
        expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
        expect(Array.from(b.codes)).toEqual(Array.from(a.codes));
        expect(a.iterations).toBeLessThanOrEqual(iters);
        expect(a.objective.length).toBe(a.iterations);
        for (let i = 1; i < a.objective.length; i++) {
          // Exact in real arithmetic; the weighted means are rounded (w·x / w need not be x), hence
          // a slack of 1e-12 relative to Σ w x² (the data's scale: data may start exact, objective 0).
          expect(a.objective[i]).toBeLessThanOrEqual(a.objective[i - 1] + 1e-12 * scale);
        }
        // Codes in range and nearest for the returned centroids; the last objective is theirs.
        for (let i = 0; i < s.n; i++) expectNearest(s, i, a.centroids, s.k, a.codes[i]);
        expect(a.objective.at(-1)!).toBeCloseTo(weightedObjective(s, a.centroids, a.codes), 9);
      }),
    );
  });

  it('k-means++ draws data points, and the first is the seeded uniform draw', () => {
    fc.assert(
      fc.property(pointSet, (s) => {
        const c = kmeansPlusPlus(s, s.k, new Rng(s.seed));
        const first = new Rng(s.seed).nextInt(s.n);
        expect(Array.from(c.subarray(0, s.d))).toEqual(Array.from(s.points.subarray(first * s.d, (first + 1) * s.d)));
        for (let j = 0; j < s.k; j++) {
          const row = Array.from(c.subarray(j * s.d, (j + 1) * s.d));
          const found = Array.from({ length: s.n }, (_, i) => i).some((i) => row.every((v, t) => v === s.points[i * s.d + t]));
          expect(found).toBe(true);
        }
      }),
    );
  });

  it('re-seeds an empty cluster at the worst-served point (hand-worked example)', () => {
    // Points 0, 1, 10, 11; the third initial centroid (1000) gets no points. After the first
    // M-step every point is 0.25 from its centroid, so the tie goes to point 0; then the clusters
    // settle at {0}, {1}, {10, 11}: objectives 1, 0.75, 0.5 (the third E-step changes nothing).
    const p = { points: Float64Array.of(0, 1, 10, 11), n: 4, d: 1, weights: null };
    const r = kmeans(p, { k: 3, init: Float64Array.of(0.5, 10.5, 1000) });
    expect(r.reseeded).toBe(1);
    expect(r.objective).toEqual([1, 0.75, 0.5]);
    expect(Array.from(r.centroids)).toEqual([1, 10.5, 0]);
    expect(Array.from(r.codes)).toEqual([2, 0, 1, 1]);
  });

  it('weights move the centroid to the weighted mean', () => {
    // One cluster: the centroid is Σ w x / Σ w per dimension = (1·0 + 3·4) / 4 = 3.
    const r = kmeans({ points: Float64Array.of(0, 4), n: 2, d: 1, weights: Float64Array.of(1, 3) }, { k: 1 });
    expect(Array.from(r.centroids)).toEqual([3]);
    expect(r.objective.at(-1)).toBe(1 * 9 + 3 * 1);
  });

  it('fewer distinct points than k: exact fit, codes in range, no NaN', () => {
    const pts = Float64Array.of(1, 1, 1, 2, 2, 2, 2, 5);
    const r = kmeans({ points: pts, n: 8, d: 1, weights: null }, { k: 16, seed: 3 });
    expect(r.objective.at(-1)).toBe(0);
    for (const c of r.codes) expect(c >= 0 && c < 16).toBe(true);
    for (const v of r.centroids) expect(Number.isFinite(v)).toBe(true);
    for (let i = 0; i < 8; i++) expect(r.centroids[r.codes[i]]).toBe(pts[i]);
  });

  it('all-zero weights in a dimension keep that coordinate', () => {
    const r = kmeans({ points: Float64Array.of(0, 5, 2, 7), n: 2, d: 2, weights: Float64Array.of(1, 0) }, { k: 1, init: Float64Array.of(9, 9) });
    expect(Array.from(r.centroids)).toEqual([1, 9]);
  });
});
