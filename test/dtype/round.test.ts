/**
 * roundHalfEven against its definition, written independently of the implementation: the integer at
 * the smaller distance from v (floor or ceil, compared exactly with BigInt arithmetic on the
 * doubles' bits), the even one on a tie. Adversarial inputs: the doubles next to every half-integer
 * and integer in a range, around 2^52 (where the spacing reaches 1) and beyond, ±0, ±Inf, NaN.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalfEven } from '../../src/dtype/round.js';

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** v as an exact rational m / 2^e with BigInt m (finite v). */
function exact(v: number): { m: bigint; e: bigint } {
  f64[0] = v;
  const bits = u64[0];
  const neg = bits >> 63n === 1n;
  const be = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = be === 0 ? frac : frac | (1n << 52n);
  const e = BigInt((be === 0 ? 1 : be) - 1075); // v = mant · 2^e
  const m = neg ? -mant : mant;
  return e >= 0n ? { m: m << e, e: 0n } : { m, e: -e };
}

/** The definition: nearest integer, ties to even (by exact comparison of distances). */
function definition(v: number): number {
  if (!Number.isFinite(v)) return v;
  const { m, e } = exact(v);
  const one = 1n << e;
  // floor of m / 2^e (BigInt division truncates toward zero)
  let fl = m / one;
  if (m < 0n && fl * one !== m) fl -= 1n;
  const below = m - fl * one; // v − floor(v), in units of 2^-e
  const above = one - below;
  let r: bigint;
  if (below === 0n) r = fl;
  else if (below < above) r = fl;
  else if (below > above) r = fl + 1n;
  else r = fl % 2n === 0n ? fl : fl + 1n;
  return Number(r);
}

function neighbours(v: number, k: number): number[] {
  f64[0] = v;
  const base = u64[0];
  const out: number[] = [];
  for (let d = -k; d <= k; d++) {
    u64[0] = BigInt.asUintN(64, base + BigInt(d));
    out.push(f64[0]);
  }
  return out;
}

describe('roundHalfEven', () => {
  it('matches worked values', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, -0.49999999999999994, 2.4, -2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, 0, -2, -2, 0, 0, 2, -3,
    ]);
    expect(roundHalfEven(Infinity)).toBe(Infinity);
    expect(roundHalfEven(-Infinity)).toBe(-Infinity);
    expect(roundHalfEven(NaN)).toBeNaN();
    expect(Object.is(roundHalfEven(-0.25), 0)).toBe(true); // documented: +0, not -0
  });

  it('equals the definition next to every half-integer and integer, and near 2^52', () => {
    const probes: number[] = [];
    for (let k = -400; k <= 400; k++) probes.push(...neighbours(k / 2, 3));
    for (const big of [2 ** 51, 2 ** 52, 2 ** 53, 2 ** 60]) {
      for (const c of [big - 1.5, big - 1, big - 0.5, big, big + 0.5, big + 1, big + 1.5]) probes.push(...neighbours(c, 2), ...neighbours(-c, 2));
    }
    probes.push(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE);
    for (const v of probes) expect(roundHalfEven(v), `v = ${v}`).toBe(definition(v) + 0);
  });

  it('equals the definition on random doubles and on multiples of 1/2', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) => roundHalfEven(v) === definition(v)),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (k) => roundHalfEven(k / 2) === definition(k / 2)),
      { numRuns: 5000 },
    );
  });
});
