/**
 * Test helpers for the PVQ tests: brute-force enumeration of the pyramid P(D, K) (by recursion on the
 * first coordinate, independent of the library's counting and indexing), the closed-form count and a
 * seeded generator. Not a test file.
 */
import { mulberry32 } from '../../arbitraries.js';

export { mulberry32 };

/** Every y in Z^D with Σ|y_i| = K (any order). */
export function allCodewords(D: number, K: number): Int32Array[] {
  const out: Int32Array[] = [];
  const y = new Int32Array(D);
  const rec = (i: number, left: number): void => {
    if (i === D - 1) {
      y[i] = left;
      out.push(y.slice());
      if (left > 0) {
        y[i] = -left;
        out.push(y.slice());
      }
      return;
    }
    for (let v = -left; v <= left; v++) {
      y[i] = v;
      rec(i + 1, left - Math.abs(v));
    }
  };
  if (D === 0) return K === 0 ? [new Int32Array(0)] : [];
  rec(0, K);
  return out;
}

/** Rank of a coordinate value in the documented index order 0 < +1 < -1 < +2 < -2 < ... */
export const valueRank = (v: number): number => (v === 0 ? 0 : 2 * Math.abs(v) - (v > 0 ? 1 : 0));

/** Lexicographic comparison in the documented index order (coordinate 0 most significant). */
export function lexCompare(a: Int32Array, b: Int32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return valueRank(a[i]) - valueRank(b[i]);
  return 0;
}

/** Every codeword of P(D, K) in index order: book[i] is the codeword of index i, by brute force. */
export function sortedBook(D: number, K: number): Int32Array[] {
  return allCodewords(D, K).sort(lexCompare);
}

function binom(n: number, k: number): bigint {
  if (k < 0 || k > n || n < 0) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** V(D, K) by the closed form Σ_i 2^i C(D, i) C(K-1, i-1) (choose the i non-zero positions, split K into i positive parts, pick signs). */
export function closedFormCount(D: number, K: number): bigint {
  if (K === 0) return 1n;
  let v = 0n;
  for (let i = 1; i <= Math.min(D, K); i++) v += 2n ** BigInt(i) * binom(D, i) * binom(K - 1, i - 1);
  return v;
}

/** Standard normal samples (Box-Muller on mulberry32). */
export function gaussian(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-300);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

/** A random codeword of P(D, K): K pulses dropped on random coordinates with random signs per coordinate. */
export function randomCodeword(D: number, K: number, rnd: () => number): Int32Array {
  const y = new Int32Array(D);
  for (let p = 0; p < K; p++) y[Math.floor(rnd() * D)]++;
  for (let i = 0; i < D; i++) if (rnd() < 0.5) y[i] = -y[i];
  return y;
}

/** Correlation <x, y>/||y|| in float64 (independent of the library's pvqCorrelation). */
export function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let xy = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i] * y[i];
    yy += y[i] * y[i];
  }
  return yy === 0 ? 0 : xy / Math.sqrt(yy);
}
