/**
 * Weighted nearest-centroid search (the reference is src/kernels/js/vq.ts; layouts there):
 *
 *   points: f32 (n, d) contiguous; centroids: f32 (d, k) transposed (coordinate t of centroid c at t·k + c)
 *   weights: f32 (period, d) or 0 (all 1); scales: f32 (ceil(total / per)) or 0 (all 1)
 *   codes: i32 (n) out; dist: f32 (n) out
 *   first: global index of points[0] (threads split the points; weights and scales follow the global index)
 *
 * Four centroids per v128 (d = 2 and 4 unrolled with the point in registers): acc = acc + w_t · (e · e),
 * e = x_t − c_t · s, f32 in the reference's order
 * and without fused multiply-add, so the distances are bit-identical to the reference. Each lane
 * keeps its running minimum with strict <, the lanes are reduced to the lowest index among equal
 * minima, then a scalar tail covers k mod 4 centroids: the result is the reference's first minimum.
 */

// @ts-ignore: decorator
@inline function pick(v: f32, i: i32, bd: f32, bi: i32): bool {
  return v < bd || (v == bd && i < bi);
}

/** codes[i], dist[i] = nearest centroid of point i and its weighted distance (see the file header). */
export function vq_nearest_f32(
  n: i32, d: i32, k: i32, points: usize, centroids: usize, weights: usize, period: i32,
  scales: usize, per: i32, codes: usize, dist: usize, first: i32,
): void {
  const k4 = k & ~3;
  const cRow = <usize>k << 2;
  const one = f32x4.splat(1);
  const four = i32x4.splat(4);
  for (let i = 0; i < n; i++) {
    const g = first + i;
    const x0 = points + ((<usize>i * <usize>d) << 2);
    const w0 = weights ? weights + ((<usize>(g % period) * <usize>d) << 2) : 0;
    const s: f32 = scales ? load<f32>(scales + (<usize>(g / per) << 2)) : 1;
    const sv = f32x4.splat(s);
    let bestV = f32x4.splat(Infinity);
    let bestI = i32x4.splat(0);
    let idx = i32x4(0, 1, 2, 3);
    if (d == 4) {
      // The common case, with the point's coordinates and weights held in registers.
      const x0v = f32x4.splat(load<f32>(x0)), x1v = f32x4.splat(load<f32>(x0, 4));
      const x2v = f32x4.splat(load<f32>(x0, 8)), x3v = f32x4.splat(load<f32>(x0, 12));
      const w0v = weights ? f32x4.splat(load<f32>(w0)) : one, w1v = weights ? f32x4.splat(load<f32>(w0, 4)) : one;
      const w2v = weights ? f32x4.splat(load<f32>(w0, 8)) : one, w3v = weights ? f32x4.splat(load<f32>(w0, 12)) : one;
      for (let j = 0; j < k4; j += 4) {
        const cp = centroids + (<usize>j << 2);
        let e = f32x4.sub(x0v, f32x4.mul(v128.load(cp), sv));
        let acc = f32x4.add(f32x4.splat(0), f32x4.mul(w0v, f32x4.mul(e, e)));
        e = f32x4.sub(x1v, f32x4.mul(v128.load(cp + cRow), sv));
        acc = f32x4.add(acc, f32x4.mul(w1v, f32x4.mul(e, e)));
        e = f32x4.sub(x2v, f32x4.mul(v128.load(cp + 2 * cRow), sv));
        acc = f32x4.add(acc, f32x4.mul(w2v, f32x4.mul(e, e)));
        e = f32x4.sub(x3v, f32x4.mul(v128.load(cp + 3 * cRow), sv));
        acc = f32x4.add(acc, f32x4.mul(w3v, f32x4.mul(e, e)));
        const lt = f32x4.lt(acc, bestV);
        bestV = v128.bitselect(acc, bestV, lt);
        bestI = v128.bitselect(idx, bestI, lt);
        idx = i32x4.add(idx, four);
      }
    } else if (d == 2) {
      const x0v = f32x4.splat(load<f32>(x0)), x1v = f32x4.splat(load<f32>(x0, 4));
      const w0v = weights ? f32x4.splat(load<f32>(w0)) : one, w1v = weights ? f32x4.splat(load<f32>(w0, 4)) : one;
      for (let j = 0; j < k4; j += 4) {
        const cp = centroids + (<usize>j << 2);
        let e = f32x4.sub(x0v, f32x4.mul(v128.load(cp), sv));
        let acc = f32x4.add(f32x4.splat(0), f32x4.mul(w0v, f32x4.mul(e, e)));
        e = f32x4.sub(x1v, f32x4.mul(v128.load(cp + cRow), sv));
        acc = f32x4.add(acc, f32x4.mul(w1v, f32x4.mul(e, e)));
        const lt = f32x4.lt(acc, bestV);
        bestV = v128.bitselect(acc, bestV, lt);
        bestI = v128.bitselect(idx, bestI, lt);
        idx = i32x4.add(idx, four);
      }
    } else {
      for (let j = 0; j < k4; j += 4) {
        let acc = f32x4.splat(0);
        let cp = centroids + (<usize>j << 2);
        for (let t = 0; t < d; t++) {
          const e = f32x4.sub(f32x4.splat(load<f32>(x0 + (<usize>t << 2))), f32x4.mul(v128.load(cp), sv));
          const w = weights ? f32x4.splat(load<f32>(w0 + (<usize>t << 2))) : one;
          acc = f32x4.add(acc, f32x4.mul(w, f32x4.mul(e, e)));
          cp += cRow;
        }
        const lt = f32x4.lt(acc, bestV);
        bestV = v128.bitselect(acc, bestV, lt);
        bestI = v128.bitselect(idx, bestI, lt);
        idx = i32x4.add(idx, four);
      }
    }
    let bd: f32 = Infinity;
    let bi: i32 = 0;
    let v = f32x4.extract_lane(bestV, 0);
    let vi = i32x4.extract_lane(bestI, 0);
    if (pick(v, vi, bd, bi)) { bd = v; bi = vi; }
    v = f32x4.extract_lane(bestV, 1);
    vi = i32x4.extract_lane(bestI, 1);
    if (pick(v, vi, bd, bi)) { bd = v; bi = vi; }
    v = f32x4.extract_lane(bestV, 2);
    vi = i32x4.extract_lane(bestI, 2);
    if (pick(v, vi, bd, bi)) { bd = v; bi = vi; }
    v = f32x4.extract_lane(bestV, 3);
    vi = i32x4.extract_lane(bestI, 3);
    if (pick(v, vi, bd, bi)) { bd = v; bi = vi; }
    for (let j = k4; j < k; j++) {
      let acc: f32 = 0;
      let cp = centroids + (<usize>j << 2);
      for (let t = 0; t < d; t++) {
        const e: f32 = load<f32>(x0 + (<usize>t << 2)) - load<f32>(cp) * s;
        const w: f32 = weights ? load<f32>(w0 + (<usize>t << 2)) : 1;
        acc = acc + w * (e * e);
        cp += cRow;
      }
      if (acc < bd) { bd = acc; bi = j; }
    }
    store<i32>(codes + (<usize>i << 2), bi);
    store<f32>(dist + (<usize>i << 2), bd);
  }
}
