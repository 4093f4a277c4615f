/**
 * GPTQ column steps on a scalar grid (the reference is src/kernels/js/gptq.ts):
 *
 *   w, e: f64 (nb, rows) the block transposed (working values / scaled errors); u: f64 (nb, nb) upper
 *   codes: u8 (a1 − a0, rows)
 *   affine: grid f64 (4, rows) scale, zero point, lowest and highest code per row;
 *           c = clamp(nearest(w / s) + z, lo, hi), q = f32((c − z) s)
 *   table:  grid f64 (3, rows) scale, lowest and highest usable index per row; table f64 (4, nv) the
 *           distinct values ascending, their codes, the nv − 1 midpoints and the tie step (0 or 1);
 *           k = #(midpoints < w / s) (+ the tie step on a midpoint), clamped, q = f32(value[k] s);
 *           the count by comparisons, two rows per f64x2, the rest of a row scalar
 *
 * For each column t in [a0, a1): e = (w − q) / u[t, t], w = q, loss += e² (rows in order), then
 * w[k] −= e · u[t, k] for t < k < kEnd. Affine columns take two rows per f64x2; the loss is summed
 * in row order so it equals the reference's, and the feedback multiplies then subtracts in both
 * builds (no fused multiply-add).
 * Not the block GEMMs of GPTQ (gemm.ts) nor the choice of the grid.
 */

/** w[k] −= e[t] · u[t, k] for the columns t < k < kEnd, two rows per f64x2 (in place). */
// @ts-ignore: decorator
@inline function feedback(t: i32, kEnd: i32, rows: i32, nb: i32, w: usize, et: usize, u: usize): void {
  const rowBytes = <usize>rows << 3;
  for (let k = t + 1; k < kEnd; k++) {
    const uk = f64x2.splat(load<f64>(u + ((<usize>t * <usize>nb + <usize>k) << 3)));
    const wk = w + <usize>k * rowBytes;
    let j = 0;
    for (; j + 4 <= rows; j += 4) {
      const o = <usize>j << 3;
      v128.store(wk + o, f64x2.sub(v128.load(wk + o), f64x2.mul(v128.load(et + o), uk)));
      v128.store(wk + o, f64x2.sub(v128.load(wk + o, 16), f64x2.mul(v128.load(et + o, 16), uk)), 16);
    }
    for (; j < rows; j++) {
      const o = <usize>j << 3;
      store<f64>(wk + o, load<f64>(wk + o) - load<f64>(et + o) * f64x2.extract_lane(uk, 0));
    }
  }
}

/** Encodes block columns [a0, a1) on an affine grid with feedback to the columns before kEnd; returns the loss. */
export function gptq_affine_f64(rows: i32, nb: i32, a0: i32, a1: i32, kEnd: i32, w: usize, e: usize, u: usize, grid: usize, codes: usize, loss: f64): f64 {
  const rowBytes = <usize>rows << 3;
  const gz = grid + rowBytes;
  const glo = gz + rowBytes;
  const ghi = glo + rowBytes;
  for (let t = a0; t < a1; t++) {
    const wt = w + <usize>t * rowBytes;
    const et = e + <usize>t * rowBytes;
    const ct = codes + <usize>(t - a0) * <usize>rows;
    const d = load<f64>(u + ((<usize>t * <usize>nb + <usize>t) << 3));
    const dv = f64x2.splat(d);
    let r = 0;
    for (; r + 2 <= rows; r += 2) {
      const o = <usize>r << 3;
      const x = v128.load(wt + o);
      const s = v128.load(grid + o);
      const z = v128.load(gz + o);
      const q0 = f64x2.add(f64x2.nearest(f64x2.div(x, s)), z);
      // min/max keep a NaN, which the saturating conversion turns into code 0, as in the reference.
      const ci = i32x4.trunc_sat_f64x2_s_zero(f64x2.min(f64x2.max(q0, v128.load(glo + o)), v128.load(ghi + o)));
      const c = f64x2.convert_low_i32x4_s(ci);
      const q = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.mul(f64x2.sub(c, z), s)));
      const ev = f64x2.div(f64x2.sub(x, q), dv);
      v128.store(et + o, ev);
      v128.store(wt + o, q);
      const e0 = f64x2.extract_lane(ev, 0);
      const e1 = f64x2.extract_lane(ev, 1);
      loss += e0 * e0;
      loss += e1 * e1;
      store<u8>(ct + <usize>r, <u8>i32x4.extract_lane(ci, 0));
      store<u8>(ct + <usize>r + 1, <u8>i32x4.extract_lane(ci, 1));
    }
    for (; r < rows; r++) {
      const o = <usize>r << 3;
      const x = load<f64>(wt + o);
      const s = load<f64>(grid + o);
      const z = load<f64>(gz + o);
      const cf = min(max(nearest(x / s) + z, load<f64>(glo + o)), load<f64>(ghi + o));
      const ci = cf == cf ? <i32>cf : 0; // within [lo, hi] unless NaN
      const q = <f64><f32>((<f64>ci - z) * s);
      const ev = (x - q) / d;
      store<f64>(et + o, ev);
      store<f64>(wt + o, q);
      loss += ev * ev;
      store<u8>(ct + <usize>r, <u8>ci);
    }
    feedback(t, kEnd, rows, nb, w, et, u);
  }
  return loss;
}

/** Encodes block columns [a0, a1) on a table grid with feedback to the columns before kEnd; returns the loss. */
export function gptq_table_f64(rows: i32, nb: i32, a0: i32, a1: i32, kEnd: i32, w: usize, e: usize, u: usize, grid: usize, table: usize, nv: i32, codes: usize, loss: f64): f64 {
  const rowBytes = <usize>rows << 3;
  const nvBytes = <usize>nv << 3;
  const values = table;
  const vcodes = table + nvBytes;
  const mids = vcodes + nvBytes;
  const ties = mids + nvBytes;
  for (let t = a0; t < a1; t++) {
    const wt = w + <usize>t * rowBytes;
    const et = e + <usize>t * rowBytes;
    const ct = codes + <usize>(t - a0) * <usize>rows;
    const d = load<f64>(u + ((<usize>t * <usize>nb + <usize>t) << 3));
    let r = 0;
    // Two rows at a time: the index is the count of midpoints below w / s, by comparisons (a
    // binary search's branches are mispredicted on random data); the rest per row.
    for (; r + 2 <= rows; r += 2) {
      const o = <usize>r << 3;
      const v = f64x2.div(v128.load(wt + o), v128.load(grid + o));
      let cnt = i64x2.splat(0);
      for (let m = 0; m < nv - 1; m++) cnt = i64x2.sub(cnt, f64x2.gt(v, f64x2.splat(load<f64>(mids + (<usize>m << 3)))));
      loss = tableRow(r, <i32>i64x2.extract_lane(cnt, 0), f64x2.extract_lane(v, 0), rows, nv, wt, et, ct, grid, values, vcodes, mids, ties, d, loss);
      loss = tableRow(r + 1, <i32>i64x2.extract_lane(cnt, 1), f64x2.extract_lane(v, 1), rows, nv, wt, et, ct, grid, values, vcodes, mids, ties, d, loss);
    }
    for (; r < rows; r++) {
      const o = <usize>r << 3;
      const v = load<f64>(wt + o) / load<f64>(grid + o);
      let a = 0;
      for (let m = 0; m < nv - 1; m++) a += <i32>(v > load<f64>(mids + (<usize>m << 3)));
      loss = tableRow(r, a, v, rows, nv, wt, et, ct, grid, values, vcodes, mids, ties, d, loss);
    }
    feedback(t, kEnd, rows, nb, w, et, u);
  }
  return loss;
}

/** One row of a table column: a = the count of midpoints below v = w / s; returns the loss. */
// @ts-ignore: decorator
@inline function tableRow(r: i32, a: i32, v: f64, rows: i32, nv: i32, wt: usize, et: usize, ct: usize, grid: usize, values: usize, vcodes: usize, mids: usize, ties: usize, d: f64, loss: f64): f64 {
  const o = <usize>r << 3;
  const rowBytes = <usize>rows << 3;
  let k = a;
  if (a < nv - 1 && v == load<f64>(mids + (<usize>a << 3))) k += <i32>load<f64>(ties + (<usize>a << 3));
  const kLo = <i32>load<f64>(grid + rowBytes + o);
  const kHi = <i32>load<f64>(grid + 2 * rowBytes + o);
  k = k < kLo ? kLo : k > kHi ? kHi : k;
  const x = load<f64>(wt + o);
  const q = <f64><f32>(load<f64>(values + (<usize>k << 3)) * load<f64>(grid + o));
  const ev = (x - q) / d;
  store<f64>(et + o, ev);
  store<f64>(wt + o, q);
  store<u8>(ct + <usize>r, <u8>load<f64>(vcodes + (<usize>k << 3)));
  return loss + ev * ev;
}
