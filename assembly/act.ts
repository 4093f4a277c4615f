/**
 * Activation kernels of the Llama forward pass, in f32 with a SIMD exp (the reference, which defines
 * every bit, is src/kernels/js/act.ts):
 *
 *   causal_softmax_f32: rows [r0, r1) of scores s (row i at s + 4 (i - r0) rs): columns j <= i
 *     (and < cols) become exp(s_j - max) / sum, the rest 0
 *   swiglu_f32: g[i] = g[i] / (1 + exp(-g[i])) * u[i] for i < n
 *
 * exp(x) (Cephes' expf scheme): k = nearest(x log2 e), r = x - k C1 - k C2 (C1 + C2 = ln 2, C1 with
 * few bits), e^r by a degree-7 polynomial, times 2^k built in the exponent bits. Within 2 ulps of
 * e^x for x in [LO, HI]; 0 below LO (where e^x is subnormal in f32), +Inf above HI (from 88.37,
 * a little before f32 overflows at 88.72), NaN for NaN. Every step is one IEEE f32 operation, so
 * a JS reference rounding each step with Math.fround gives the same bits. Sums run in four lanes
 * (element j in lane j mod 4 up to the last multiple of 4), then (l0 + l1) + (l2 + l3), then the
 * tail in order.
 */

const LOG2E: f32 = 1.44269504088896341;
const C1: f32 = 0.693359375;
const C2: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
/** Below: e^x < 2^-126 (subnormal): 0. */
const LO: f32 = -87.33654;
/** Above: k would reach 128, an exponent f32 does not have: +Inf. */
const HI: f32 = 88.37;

// @ts-ignore: decorator
@inline function expv(x: v128): v128 {
  const k = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(k, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(C2)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  // 2^k for k in [-126, 127] (lanes outside [LO, HI] are replaced below; NaN gives k = 0)
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  let y = f32x4.mul(p, scale);
  y = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(LO)));
  return v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(HI)));
}

// @ts-ignore: decorator
@inline function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

export function causal_softmax_f32(s: usize, r0: i32, r1: i32, cols: i32, rs: i32): void {
  for (let i = r0; i < r1; i++) {
    const row = s + ((<usize>(i - r0) * <usize>rs) << 2);
    const n = min(i, cols - 1) + 1;
    let mv = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= n; j += 4) mv = f32x4.max(mv, v128.load(row + (<usize>j << 2)));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; j < n; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
    const mm = f32x4.splat(m);
    let sv = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      const e = expv(f32x4.sub(v128.load(p), mm));
      v128.store(p, e);
      sv = f32x4.add(sv, e);
    }
    let sum = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
    for (; j < n; j++) {
      const p = row + (<usize>j << 2);
      const e = exps(load<f32>(p) - m);
      store<f32>(p, e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    const iv = f32x4.splat(inv);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = row + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), iv));
    }
    for (; j < n; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, load<f32>(p) * inv);
    }
    for (j = n; j < cols; j++) store<f32>(row + (<usize>j << 2), 0);
  }
}

export function swiglu_f32(g: usize, u: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(g + o);
    v128.store(g + o, f32x4.mul(f32x4.div(x, f32x4.add(one, expv(f32x4.neg(x)))), v128.load(u + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(g + o);
    store<f32>(g + o, (x / (1 + exps(-x))) * load<f32>(u + o));
  }
}
