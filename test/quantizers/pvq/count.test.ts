import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bigBitLength, pvqBits, pvqCount, pvqCountNumber, pvqCountTable } from '../../../src/dtype/pvq/count.js';
import { ValueError } from '../../../src/errors.js';
import { allCodewords, closedFormCount } from './helpers.js';

describe('pvq counts V(D, K)', () => {
  it('match brute-force enumeration for small D, K', () => {
    for (let D = 1; D <= 5; D++) {
      for (let K = 0; K <= 6; K++) {
        expect(pvqCount(D, K)).toBe(BigInt(allCodewords(D, K).length));
      }
    }
  });

  it('match the closed form Σ 2^i C(D,i) C(K-1,i-1), including beyond 2^64', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (D, K) => {
        const v = pvqCount(D, K);
        // D = 0 with K > 0 is empty; the closed form's sum is empty there too
        expect(v).toBe(D === 0 && K > 0 ? 0n : closedFormCount(D, K));
      }),
      { numRuns: 60 },
    );
    expect(pvqCount(64, 64) > 2n ** 64n).toBe(true);
  });

  it('known values (Fischer 1986 table / Opus: V(2,K) = 4K, V(3,K) = 4K^2 + 2)', () => {
    expect(pvqCount(3, 2)).toBe(18n);
    expect(pvqCount(2, 5)).toBe(20n);
    expect(pvqCount(8, 4)).toBe(2816n);
    for (let K = 1; K < 30; K++) {
      expect(pvqCount(2, K)).toBe(BigInt(4 * K));
      expect(pvqCount(3, K)).toBe(BigInt(4 * K * K + 2));
    }
  });

  it('float64 count equals the BigInt one below 2^53 and refuses above', () => {
    for (const [D, K] of [[8, 4], [16, 10], [32, 12], [64, 7]] as const) {
      expect(BigInt(pvqCountNumber(D, K))).toBe(pvqCount(D, K));
    }
    expect(() => pvqCountNumber(64, 64)).toThrow(ValueError);
  });

  it('table rows agree with pvqCount and carry a float copy only when exact', () => {
    const t = pvqCountTable(6, 9);
    for (let d = 0; d <= 6; d++) for (let k = 0; k <= 9; k++) expect(t.big[d][k]).toBe(pvqCount(d, k));
    expect(t.num).not.toBeNull();
    expect(t.num![6 * 10 + 9]).toBe(Number(pvqCount(6, 9)));
    expect(pvqCountTable(64, 64).num).toBeNull();
  });

  it('index width is the smallest b with 2^b >= V', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 128 }), fc.integer({ min: 0, max: 128 }), (D, K) => {
        const v = pvqCount(D, K);
        const b = pvqBits(D, K);
        expect(2n ** BigInt(b) >= v).toBe(true);
        if (b > 0) expect(2n ** BigInt(b - 1) < v).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(pvqBits(8, 4)).toBe(12);
    expect(pvqBits(5, 0)).toBe(0);
    expect(bigBitLength(0n)).toBe(0);
    expect(bigBitLength(2n ** 100n)).toBe(101);
  });

  it('rejects bad arguments', () => {
    expect(() => pvqCount(-1, 2)).toThrow(ValueError);
    expect(() => pvqCount(2, 1.5)).toThrow(ValueError);
    expect(() => pvqBits(0, 3)).toThrow(ValueError);
  });
});
