/**
 * WASM side of the nearest-centroid kernel (assembly/vq.ts): marshals `Ref`s into pointers and
 * splits the points over threads, passing each range its global index so weights and scales follow
 * the point, not the range (every point's result is computed by the same operations whatever the
 * split). Same signature and meaning as src/kernels/js/vq.ts.
 */
import { wasmRuntime } from '../backend.js';
import type { VqNearestArgs } from '../js/vq.js';
import { MIN_WORK_PER_THREAD, parallelRows } from '../threads.js';
import { Marshal } from './runtime.js';

/**
 * `vq_nearest_f32` on the WASM backend.
 * @example
 * vqNearestF32Wasm({ n, d, k, points, centroids, period: 1, per: 1, codes, dist });
 */
export function vqNearestF32Wasm(g: VqNearestArgs): void {
  if (g.n === 0) return;
  const rt = wasmRuntime();
  const mm = new Marshal(rt);
  try {
    const points = mm.in(g.points, 4, g.n * g.d);
    const cent = mm.in(g.centroids, 4, g.k * g.d);
    const weights = g.weights ? mm.in(g.weights, 4, g.period * g.d) : 0;
    const scales = g.scales ? mm.in(g.scales, 4, Math.ceil(g.n / g.per)) : 0;
    const codes = mm.inout(g.codes, 4, g.n);
    const dist = mm.inout(g.dist, 4, g.n);
    parallelRows(
      'vq_nearest_f32',
      g.n,
      (r0, r1) => [r1 - r0, g.d, g.k, points + r0 * g.d * 4, cent, weights, g.period, scales, g.per, codes + r0 * 4, dist + r0 * 4, r0],
      { minRowsPerThread: MIN_WORK_PER_THREAD / Math.max(1, g.k * g.d) },
    );
    mm.commit();
  } finally {
    mm.release();
  }
}
