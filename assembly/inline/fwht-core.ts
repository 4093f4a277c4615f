/**
 * Fast Walsh–Hadamard transform of one f32 row, in place (the body of assembly/fwht.ts): the same
 * operations, in the same order per element, as the reference src/kernels/js/fwht.ts, so results are
 * bit-identical. Radix-2 stages h = 1 and h = 2 run inside one v128 (lane shuffles), stages h >= 4
 * pair whole vectors; rows shorter than 4 take the scalar loop.
 *
 *   x: f32 (n) at x, n a power of two; signs: f32 (n) or 0 for none; accumulator: f32
 */

// @ts-ignore: decorator
@inline function mulRow(x: usize, s: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), v128.load(s + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(x + o, load<f32>(x + o) * load<f32>(s + o));
  }
}

// @ts-ignore: decorator
@inline function scaleRow(x: usize, scale: f32, n: i32): void {
  const sv = f32x4.splat(scale);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(x + o, load<f32>(x + o) * scale);
  }
}

/** Stages h = 1, 2, 4, ... of the transform of one row. */
// @ts-ignore: decorator
@inline function butterflies(x: usize, n: i32): void {
  if (n < 4) {
    // n = 1: nothing; n = 2: one butterfly
    if (n == 2) {
      const u = load<f32>(x);
      const v = load<f32>(x, 4);
      store<f32>(x, u + v);
      store<f32>(x, u - v, 4);
    }
    return;
  }
  // h = 1 and h = 2 inside each vector of 4
  for (let j = 0; j < n; j += 4) {
    const p = x + (<usize>j << 2);
    let v = v128.load(p);
    let w = i32x4.shuffle(v, v, 1, 0, 3, 2);
    // [x0+x1, x0-x1, x2+x3, x2-x3]
    v = i32x4.shuffle(f32x4.add(v, w), f32x4.sub(v, w), 0, 4, 2, 6);
    w = i32x4.shuffle(v, v, 2, 3, 0, 1);
    // [y0+y2, y1+y3, y0-y2, y1-y3]
    v = i32x4.shuffle(f32x4.add(v, w), f32x4.sub(v, w), 0, 1, 4, 5);
    v128.store(p, v);
  }
  for (let h = 4; h < n; h <<= 1) {
    const hb = <usize>h << 2;
    for (let i = 0; i < n; i += h << 1) {
      const p0 = x + (<usize>i << 2);
      for (let k: usize = 0; k < hb; k += 16) {
        const u = v128.load(p0 + k);
        const v = v128.load(p0 + hb + k);
        v128.store(p0 + k, f32x4.add(u, v));
        v128.store(p0 + hb + k, f32x4.sub(u, v));
      }
    }
  }
}

/** signsOut ⊙ (scale · H (signsIn ⊙ row)), in place. */
// @ts-ignore: decorator
@inline export function fwhtRow(x: usize, n: i32, signsIn: usize, signsOut: usize, scale: f32): void {
  if (signsIn != 0) mulRow(x, signsIn, n);
  butterflies(x, n);
  scaleRow(x, scale, n);
  if (signsOut != 0) mulRow(x, signsOut, n);
}
