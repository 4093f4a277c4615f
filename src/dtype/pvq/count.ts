/**
 * Size of the pyramid codebook P(D, K) = { y in Z^D : Σ|y_i| = K } (Fischer 1986): the codeword count
 * V(D, K) as an exact BigInt, a float64 fast path when V fits in 2^53, the index width
 * ceil(log2 V) and the count tables that the enumeration (index-code.ts) walks. The codebook itself is
 * never stored: everything about it follows from these counts. Not the encoder and not the indexing.
 *
 * Recursion (split on the last coordinate's value y_D = 0, or y_D != 0 with a sign):
 *   V(D, K) = V(D-1, K) + V(D, K-1) + V(D-1, K-1),   V(D, 0) = 1,   V(0, K) = 0 for K > 0.
 * Why: codewords with y_D = 0 are P(D-1, K). For the others, move y_D one step toward 0: this maps
 * them onto P(D, K-1), one-to-one where the new y_D is still non-zero (its sign tells the old one) and
 * two-to-one where it becomes 0 (both signs of y_D = ±1 land there). So they number
 * V(D, K-1) + #{y' in P(D, K-1) : y'_D = 0} = V(D, K-1) + V(D-1, K-1).
 * Closed form (used in tests as an independent check): V(D, K) = Σ_i 2^i C(D, i) C(K-1, i-1).
 */
import { ValueError } from '../../errors.js';

function checkDK(D: number, K: number, what: string): void {
  if (!Number.isSafeInteger(D) || D < 0) throw new ValueError(`${what}: dimension D must be a non-negative integer, got ${D}`);
  if (!Number.isSafeInteger(K) || K < 0) throw new ValueError(`${what}: pulse count K must be a non-negative integer, got ${K}`);
}

/**
 * Exact count tables of the pyramid codebooks P(d, k) for every d <= D and k <= K.
 * `big[d][k]` = V(d, k) as a BigInt; `num` holds the same values as float64 (row d at `d*(K+1)`) when
 * V(D, K) <= 2^53 - 1 (then every entry is exact, since V grows in both arguments), else `null`.
 */
export interface PvqCountTable {
  readonly D: number;
  readonly K: number;
  readonly big: readonly (readonly bigint[])[];
  readonly num: Float64Array | null;
}

const tableCache = new Map<string, PvqCountTable>();
const MAX_CACHED = 64;

/**
 * The count table of P(d, k) for 0 <= d <= D, 0 <= k <= K (cached: an encoder calls it once per group).
 * @example
 * const t = pvqCountTable(3, 2);
 * t.big[3][2] === 18n; t.num![3 * 3 + 2] === 18
 */
export function pvqCountTable(D: number, K: number): PvqCountTable {
  checkDK(D, K, 'pvqCountTable');
  const key = `${D},${K}`;
  const hit = tableCache.get(key);
  if (hit) return hit;
  const big: bigint[][] = [];
  const row0: bigint[] = [1n];
  for (let k = 1; k <= K; k++) row0.push(0n);
  big.push(row0);
  for (let d = 1; d <= D; d++) {
    const prev = big[d - 1];
    const row: bigint[] = [1n];
    for (let k = 1; k <= K; k++) row.push(prev[k] + row[k - 1] + prev[k - 1]);
    big.push(row);
  }
  let num: Float64Array | null = null;
  if (big[D][K] <= BigInt(Number.MAX_SAFE_INTEGER)) {
    num = new Float64Array((D + 1) * (K + 1));
    for (let d = 0; d <= D; d++) for (let k = 0; k <= K; k++) num[d * (K + 1) + k] = Number(big[d][k]);
  }
  const table: PvqCountTable = { D, K, big, num };
  // A small bounded cache: configurations are few (one (D, K) per tensor), tables can be large.
  if (tableCache.size >= MAX_CACHED) tableCache.delete(tableCache.keys().next().value as string);
  tableCache.set(key, table);
  return table;
}

/**
 * V(D, K), the number of integer vectors of dimension D with Σ|y_i| = K, exact.
 * @example
 * pvqCount(3, 2) === 18n; pvqCount(2, 5) === 20n; pvqCount(64, 64) > 2n ** 64n
 */
export function pvqCount(D: number, K: number): bigint {
  checkDK(D, K, 'pvqCount');
  // One row of the recursion at a time: O(D*K) BigInt additions, no table kept.
  let prev: bigint[] = new Array<bigint>(K + 1).fill(0n);
  prev[0] = 1n;
  for (let d = 1; d <= D; d++) {
    const row: bigint[] = [1n];
    for (let k = 1; k <= K; k++) row.push(prev[k] + row[k - 1] + prev[k - 1]);
    prev = row;
  }
  return prev[K];
}

/**
 * V(D, K) as a number, computed in float64 (every intermediate V(d, k) <= V(D, K), so all sums are
 * exact while the result stays below 2^53). Throws when V(D, K) > 2^53 - 1: use `pvqCount` then.
 * @example
 * pvqCountNumber(8, 4) === 2816; pvqCountNumber(64, 64) // throws ValueError
 */
export function pvqCountNumber(D: number, K: number): number {
  checkDK(D, K, 'pvqCountNumber');
  const prev = new Float64Array(K + 1);
  const row = new Float64Array(K + 1);
  prev[0] = 1;
  for (let d = 1; d <= D; d++) {
    row[0] = 1;
    for (let k = 1; k <= K; k++) row[k] = prev[k] + row[k - 1] + prev[k - 1];
    // Monotone growth: once any entry leaves the safe range the final one has too.
    if (row[K] > Number.MAX_SAFE_INTEGER) {
      throw new ValueError(`pvqCountNumber: V(${D}, ${K}) exceeds 2^53 - 1; use pvqCount (BigInt)`);
    }
    prev.set(row);
  }
  return prev[K];
}

/**
 * Bit length of a non-negative BigInt (0n -> 0).
 * @example
 * bigBitLength(255n) === 8
 */
export function bigBitLength(v: bigint): number {
  if (v < 0n) throw new ValueError(`bigBitLength: negative value ${v}`);
  let n = 0;
  // Whole 32-bit words first, then the remaining bits: O(bits / 32) shifts.
  while (v >= 0x100000000n) {
    v >>= 32n;
    n += 32;
  }
  let w = Number(v);
  while (w > 0) {
    w = Math.floor(w / 2);
    n++;
  }
  return n;
}

/**
 * ceil(log2 V(D, K)): the bits of one codeword index (0 when V = 1, i.e. K = 0 or D = 0 and K = 0).
 * Exact, from the BigInt count: an index is in 0..V-1, whose largest value V-1 needs bitLength(V-1) bits.
 * @example
 * pvqBits(8, 4) === 12 // V = 2816, 2^11 < 2816 <= 2^12
 */
export function pvqBits(D: number, K: number): number {
  const v = pvqCount(D, K);
  if (v === 0n) throw new ValueError(`pvqBits: P(${D}, ${K}) is empty (D = 0 with K > 0)`);
  return bigBitLength(v - 1n);
}
