/**
 * GPTQ column steps on an affine grid (the reference is src/kernels/js/gptq.ts):
 *
 *   w, e: f64 (nb, rows) the block transposed (working values / scaled errors); u: f64 (nb, nb) upper
 *   grid: f64 (4, rows) scale, zero point, lowest and highest code per row; codes: u8 (a1 − a0, rows)
 *
 * For each column t in [a0, a1): c = clamp(nearest(w / s) + z, lo, hi), q = f32((c − z) s),
 * e = (w − q) / u[t, t], w = q, loss += e² (rows in order), then w[k] −= e · u[t, k] for t < k < kEnd.
 * Two rows per f64x2; the loss is summed lane by lane in row order so it equals the reference's.
 * Multiply then subtract in both builds (no fused multiply-add): bit for bit the reference.
 * Not the block GEMMs of GPTQ (gemm.ts) nor the choice of the grid.
 */

/** Encodes block columns [a0, a1) with error feedback to the columns before kEnd; returns the loss. */
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
  return loss;
}
