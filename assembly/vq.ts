/**
 * The VQ family: weighted nearest-centroid search (encoding) and the LUT matmul of a codebook weight
 * (below, after vq_nearest_f32).
 *
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

/*
 * LUT matmul of a learned-codebook weight (the reference and the layouts are in
 * src/kernels/js/vq-lut.ts): per token, vq_lut_f32 tabulates every codebook entry's dot product with
 * every vector position of x, then vq_gather_f32 sums the gathered entries of each output row. Same
 * f32 operations in the same order as the reference (no fused multiply-add), so the results are
 * bit-identical to it.
 */

/**
 * lut[kk · e + c] = Σ_{t < dk} x[kk·d + t] · book[c, t] for the nk = ceil(cols / d) vector positions,
 * four entries per v128. bookT: the codebook transposed to (d, e) so one load reads four entries.
 */
export function vq_lut_f32(cols: i32, d: i32, e: i32, x: usize, bookT: usize, lut: usize): void {
  const nk = (cols + d - 1) / d;
  const e4 = e & ~3;
  const eRow = <usize>e << 2;
  for (let kk = 0; kk < nk; kk++) {
    const dk = min(d, cols - kk * d);
    const xk = x + (<usize>(kk * d) << 2);
    const out = lut + <usize>kk * eRow;
    for (let c = 0; c < e4; c += 4) {
      let acc = f32x4.splat(0);
      let bp = bookT + (<usize>c << 2);
      for (let t = 0; t < dk; t++) {
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(xk + (<usize>t << 2))), v128.load(bp)));
        bp += eRow;
      }
      v128.store(out + (<usize>c << 2), acc);
    }
    for (let c = e4; c < e; c++) {
      let acc: f32 = 0;
      let bp = bookT + (<usize>c << 2);
      for (let t = 0; t < dk; t++) {
        acc = acc + load<f32>(xk + (<usize>t << 2)) * load<f32>(bp);
        bp += eRow;
      }
      store<f32>(out + (<usize>c << 2), acc);
    }
  }
}

/** Index kk of a row: a 2-byte window when it fits in the row (bits + shift <= 15), else the last byte. */
// @ts-ignore: decorator
@inline function vqCode(row: usize, kk: i32, bits: i32, mask: i32, rowBytes: i32): usize {
  if (bits == 8) return <usize>load<u8>(row + <usize>kk);
  if (bits == 4) return <usize>((<i32>load<u8>(row + <usize>(kk >> 1)) >> ((kk & 1) << 2)) & 15);
  const t = kk * bits;
  const p = t >> 3;
  const w: i32 = p + 1 < rowBytes ? <i32>load<u16>(row + <usize>p) : <i32>load<u8>(row + <usize>p);
  return <usize>((w >> (t & 7)) & mask);
}

/** Rows per tile: their running sums live in the state scratch while the table is walked in blocks. */
const VQ_TILE: i32 = 128;
/** Table bytes per block: the entries of a block of vector positions stay in L1 while a tile's rows gather from them. */
const VQ_BLOCK_BYTES: i32 = 32768;

/**
 * Sums lut[kk][code(r, kk)] for kk in [k0, k1) into the running sums state[r − t0] of rows [t0, t1),
 * four rows in flight. Inlined once per index width so the decode folds to constants.
 */
// @ts-ignore: decorator
@inline function vqGatherBlock(
  bits: i32, codes: usize, rowBytes: i32, lut: usize, k0: i32, k1: i32, t0: i32, t1: i32, state: usize,
): void {
  const mask = (1 << bits) - 1;
  const eRow = <usize>4 << bits;
  const l0 = lut + <usize>k0 * eRow;
  let r = t0;
  for (; r + 4 <= t1; r += 4) {
    const c0 = codes + <usize>r * <usize>rowBytes;
    const c1 = c0 + <usize>rowBytes;
    const c2 = c1 + <usize>rowBytes;
    const c3 = c2 + <usize>rowBytes;
    const sp = state + (<usize>(r - t0) << 2);
    let s0 = load<f32>(sp), s1 = load<f32>(sp, 4), s2 = load<f32>(sp, 8), s3 = load<f32>(sp, 12);
    let lk = l0;
    for (let kk = k0; kk < k1; kk++) {
      s0 = s0 + load<f32>(lk + (vqCode(c0, kk, bits, mask, rowBytes) << 2));
      s1 = s1 + load<f32>(lk + (vqCode(c1, kk, bits, mask, rowBytes) << 2));
      s2 = s2 + load<f32>(lk + (vqCode(c2, kk, bits, mask, rowBytes) << 2));
      s3 = s3 + load<f32>(lk + (vqCode(c3, kk, bits, mask, rowBytes) << 2));
      lk += eRow;
    }
    store<f32>(sp, s0);
    store<f32>(sp, s1, 4);
    store<f32>(sp, s2, 8);
    store<f32>(sp, s3, 12);
  }
  for (; r < t1; r++) {
    const c0 = codes + <usize>r * <usize>rowBytes;
    const sp = state + (<usize>(r - t0) << 2);
    let s0 = load<f32>(sp);
    let lk = l0;
    for (let kk = k0; kk < k1; kk++) {
      s0 = s0 + load<f32>(lk + (vqCode(c0, kk, bits, mask, rowBytes) << 2));
      lk += eRow;
    }
    store<f32>(sp, s0);
  }
}

/**
 * y[r] (one token, y at output 0) = Σ_g scale[r, g] · Σ_{kk in g} lut[kk][code(r, kk)] for rows
 * [r0, r1). Rows go in tiles of VQ_TILE; within a tile the table is walked in blocks of vector
 * positions (cut at group ends) that fit in L1, every row of the tile gathering from the block before
 * the next is touched. Each row's sums still run kk ascending, so the order is the reference's.
 * state: scratch of 2 · VQ_TILE f32 (running group sums, then the outputs).
 */
export function vq_gather_f32(
  bits: i32, nk: i32, codes: usize, rowBytes: i32, scales: usize, scaleStride: i32, vpg: i32, nGroups: i32,
  lut: usize, y: usize, r0: i32, r1: i32, state: usize,
): void {
  const block = max(1, VQ_BLOCK_BYTES >> (bits + 2));
  const sums = state;
  const accs = state + (<usize>VQ_TILE << 2);
  for (let t0 = r0; t0 < r1; t0 += VQ_TILE) {
    const t1 = min(r1, t0 + VQ_TILE);
    memory.fill(sums, 0, <usize>(t1 - t0) << 2);
    memory.fill(accs, 0, <usize>(t1 - t0) << 2);
    let g = 0;
    let gEnd = min(nk, vpg);
    for (let k0 = 0; k0 < nk; ) {
      const k1 = min(gEnd, k0 + block);
      if (bits == 8) vqGatherBlock(8, codes, rowBytes, lut, k0, k1, t0, t1, sums);
      else if (bits == 4) vqGatherBlock(4, codes, rowBytes, lut, k0, k1, t0, t1, sums);
      else vqGatherBlock(bits, codes, rowBytes, lut, k0, k1, t0, t1, sums);
      k0 = k1;
      if (k0 == gEnd) {
        // Group done: acc = acc + scale · s, then a fresh sum.
        for (let r = t0; r < t1; r++) {
          const sp = sums + (<usize>(r - t0) << 2);
          const ap = accs + (<usize>(r - t0) << 2);
          const sc: f32 = scales ? load<f32>(scales + ((<usize>r * <usize>scaleStride + <usize>g) << 2)) * load<f32>(sp) : load<f32>(sp);
          store<f32>(ap, load<f32>(ap) + sc);
          store<f32>(sp, 0);
        }
        g++;
        gEnd = min(nk, gEnd + vpg);
      }
    }
    memory.copy(y + (<usize>t0 << 2), accs, <usize>(t1 - t0) << 2);
  }
}
