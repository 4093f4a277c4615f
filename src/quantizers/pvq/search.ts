/**
 * Pulse search: the codeword y of the pyramid P(D, K) = { y in Z^D : Σ|y_i| = K } whose direction is
 * nearest to x, i.e. that maximises the correlation <x, y> / ||y||_2. Two searches:
 *
 * - `pvqSearch` (default): the Fischer / Opus-CELT style greedy. Project |x| onto the pyramid
 *   (y_i = floor(K |x_i| / Σ|x|)), then add the missing pulses one at a time, each on the coordinate
 *   that maximises (Rxy + |x_i|)^2 / (Ryy + 2 y_i + 1) (Rxy = Σ|x_i| y_i, Ryy = Σ y_i^2: the squared
 *   correlation after the move); if rounding made the projection overshoot, pulses are removed the same
 *   way. O(D^2) at worst. Near-optimal but NOT always optimal (see the tests for measured rates).
 * - `pvqSearchExact`: provably optimal (up to float64 rounding of the scores). Why it is exact: write
 *   a_i = |x_i| (signs follow x), s(y) = Σ y_i^2 and t(y) = Σ a_i y_i over y >= 0 with Σ y_i = K. The
 *   optimum maximises t / sqrt(s). In the (s, t) plane every codeword is a point and the level curves
 *   t = ρ sqrt(s) are strictly concave, so a point strictly below a chord of the upper concave hull
 *   lies strictly below the curve through the hull's ends: the optimum is a vertex of the upper hull.
 *   Each hull vertex maximises f_c(y) = t(y) - c s(y) for some c > 0, and f_c is separable and concave
 *   per coordinate (marginal gain of a pulse on i: a_i - c (2 y_i + 1), decreasing), so its maximiser
 *   over the simplex is the greedy choice of the K best marginal gains. We enumerate the hull by
 *   slope bisection (Eisner–Severance): between vertices A, B take c = slope(A, B), maximise f_c; a
 *   point with s strictly between s_A and s_B is a new vertex (or a harmless collinear point) and both
 *   halves are searched again. s is an integer, so this ends after at most K^2 steps.
 *
 * Conventions shared by both: ties are broken toward the lowest coordinate index; a pulse gets the sign
 * of x_i (+ for x_i = ±0); x = 0 (all zeros) gives the canonical codeword y = [K, 0, ..., 0]; K = 0 gives
 * y = 0; a non-finite x_i throws. Not the indexing (src/dtype/pvq/index-code.ts) nor the gain (amplitude.ts).
 */
import { ValueError } from '../../errors.js';

function prepare(x: ArrayLike<number>, K: number, out: Int32Array | undefined, what: string): { a: Float64Array; y: Int32Array; sum: number } {
  const D = x.length;
  if (D < 1) throw new ValueError(`${what}: group dimension must be at least 1, got ${D}`);
  if (!Number.isSafeInteger(K) || K < 0 || K > 0x7fffffff) throw new ValueError(`${what}: pulse count K must be an integer in 0..2^31-1, got ${K}`);
  const y = out ?? new Int32Array(D);
  if (y.length !== D) throw new ValueError(`${what}: output has length ${y.length}, expected ${D}`);
  const a = new Float64Array(D);
  let sum = 0;
  for (let i = 0; i < D; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) throw new ValueError(`${what}: x[${i}] = ${v} is not finite`);
    a[i] = Math.abs(v);
    sum += a[i];
  }
  y.fill(0);
  return { a, y, sum };
}

function applySigns(x: ArrayLike<number>, y: Int32Array): Int32Array {
  for (let i = 0; i < y.length; i++) if (x[i] < 0) y[i] = -y[i];
  return y;
}

/**
 * Greedy pulse search (projection + greedy pulses, CELT style): a codeword of P(x.length, K) close to
 * the direction of x. Deterministic; see the file header for the conventions.
 * @example
 * pvqSearch(Float32Array.of(0.9, -0.1, 0.4), 4) // Int32Array [3, 0, 1]
 */
export function pvqSearch(x: ArrayLike<number>, K: number, out?: Int32Array): Int32Array {
  const { a, y, sum } = prepare(x, K, out, 'pvqSearch');
  const D = a.length;
  if (K === 0) return y;
  if (sum === 0) {
    y[0] = K;
    return y;
  }
  // Projection onto the pyramid Σ y = K, rounded down: at most D-1 pulses short (plus float slack).
  const scale = K / sum;
  let pulses = 0;
  let rxy = 0;
  let ryy = 0;
  for (let i = 0; i < D; i++) {
    const yi = Math.floor(a[i] * scale);
    y[i] = yi;
    pulses += yi;
    rxy += a[i] * yi;
    ryy += yi * yi;
  }
  // Rounding of K*a_i/sum can overshoot by a pulse or so: take back the pulse whose removal keeps the
  // best correlation.
  while (pulses > K) {
    let best = -1;
    let bn = 0;
    let bd = 1;
    for (let i = 0; i < D; i++) {
      if (y[i] === 0) continue;
      const n = rxy - a[i];
      const num = n * n;
      const den = ryy - 2 * y[i] + 1;
      // den = 0 only if y becomes 0, which needs K = 0 (excluded above)
      if (best < 0 || num * bd > bn * den) {
        best = i;
        bn = num;
        bd = den;
      }
    }
    rxy -= a[best];
    ryy -= 2 * y[best] - 1;
    y[best]--;
    pulses--;
  }
  while (pulses < K) {
    let best = 0;
    let bn = -1;
    let bd = 1;
    for (let i = 0; i < D; i++) {
      const n = rxy + a[i];
      const num = n * n;
      const den = ryy + 2 * y[i] + 1;
      // strict '>' keeps the lowest index on ties
      if (num * bd > bn * den) {
        best = i;
        bn = num;
        bd = den;
      }
    }
    rxy += a[best];
    ryy += 2 * y[best] + 1;
    y[best]++;
    pulses++;
  }
  return applySigns(x, y);
}

/** Maximiser of Σ a_i y_i - c Σ y_i^2 over y >= 0, Σ y = K: the K best marginal gains (greedy). */
function maxPenalised(a: Float64Array, K: number, c: number, y: Int32Array): void {
  y.fill(0);
  const D = a.length;
  for (let p = 0; p < K; p++) {
    let best = 0;
    let bg = -Infinity;
    for (let i = 0; i < D; i++) {
      const g = a[i] - c * (2 * y[i] + 1);
      if (g > bg) {
        bg = g;
        best = i;
      }
    }
    y[best]++;
  }
}

interface HullPoint {
  y: Int32Array;
  s: number;
  t: number;
}

function point(a: Float64Array, y: Int32Array): HullPoint {
  let s = 0;
  let t = 0;
  for (let i = 0; i < y.length; i++) {
    s += y[i] * y[i];
    t += a[i] * y[i];
  }
  return { y: y.slice(), s, t };
}

/** Indices sorted by decreasing a, ties by increasing index. */
function order(a: Float64Array): number[] {
  return Array.from(a.keys()).sort((i, j) => a[j] - a[i] || i - j);
}

/**
 * Exact pulse search: the codeword of P(x.length, K) with the largest correlation <x, y>/||y||
 * (within float64 rounding of the scores), by enumerating the upper hull of (Σy², Σ|x|y) as the file
 * header explains. Ties between equally good codewords go to the one found first (smallest Σy²).
 * Cost grows with the number of hull vertices (at most K^2 greedy solves of O(K·D)): meant for checking
 * the greedy search and for small groups.
 * @example
 * pvqSearchExact(Float32Array.of(1, 0.45), 3) // Int32Array [2, 1]
 */
export function pvqSearchExact(x: ArrayLike<number>, K: number, out?: Int32Array): Int32Array {
  const { a, y, sum } = prepare(x, K, out, 'pvqSearchExact');
  const D = a.length;
  if (K === 0) return y;
  if (sum === 0) {
    y[0] = K;
    return y;
  }
  const ord = order(a);
  // Left end: smallest Σy² (pulses spread evenly), the extra pulses on the largest a.
  const q = Math.floor(K / D);
  const r = K - q * D;
  y.fill(q);
  for (let j = 0; j < r; j++) y[ord[j]]++;
  const left = point(a, y);
  // Right end: largest Σ a y (every pulse on a maximal a), spread evenly over the ties for the smallest Σy².
  const amax = a[ord[0]];
  let m = 0;
  while (m < D && a[ord[m]] === amax) m++;
  y.fill(0);
  const qm = Math.floor(K / m);
  for (let j = 0; j < m; j++) y[ord[j]] = qm + (j < K - qm * m ? 1 : 0);
  const right = point(a, y);

  const found: HullPoint[] = [left];
  if (right.s !== left.s) found.push(right);
  const stack: [HullPoint, HullPoint][] = right.s > left.s ? [[left, right]] : [];
  const work = new Int32Array(D);
  while (stack.length > 0) {
    const [A, B] = stack.pop() as [HullPoint, HullPoint];
    const c = (B.t - A.t) / (B.s - A.s);
    maxPenalised(a, K, c, work);
    const C = point(a, work);
    // s is an integer: requiring it strictly inside (s_A, s_B) bounds the recursion.
    if (C.s > A.s && C.s < B.s) {
      found.push(C);
      stack.push([A, C], [C, B]);
    }
  }
  let best = found[0];
  for (let j = 1; j < found.length; j++) {
    const P = found[j];
    // compare t²/s without division; ties keep the smaller Σy²
    const lhs = P.t * P.t * best.s;
    const rhs = best.t * best.t * P.s;
    if (lhs > rhs || (lhs === rhs && P.s < best.s)) best = P;
  }
  y.set(best.y);
  return applySigns(x, y);
}

/**
 * The correlation <x, y> / ||y||_2 of x with codeword y (0 for y = 0), in float64: the score both
 * searches maximise, and the optimal gain for the direction y/||y||.
 * @example
 * pvqCorrelation(Float32Array.of(3, 4), Int32Array.of(1, 1)) // 7 / Math.SQRT2
 */
export function pvqCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new ValueError(`pvqCorrelation: x has length ${x.length} but y has length ${y.length}`);
  let xy = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i] * y[i];
    yy += y[i] * y[i];
  }
  return yy === 0 ? 0 : xy / Math.sqrt(yy);
}
