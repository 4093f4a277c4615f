import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  packPvqIndices,
  pvqDecodeIndex,
  pvqEncodeIndex,
  pvqEncodeIndexNumber,
  readIndexBits,
  readIndexBitsNumber,
  unpackPvqIndices,
  writeIndexBits,
} from '../../../src/dtype/pvq/index-code.js';
import { pvqCount, pvqCountTable, type PvqCountTable } from '../../../src/dtype/pvq/count.js';
import { ValueError } from '../../../src/errors.js';
import { mulberry32, randomCodeword, sortedBook } from './helpers.js';

/** The same counts with the float copy dropped, forcing the BigInt paths. */
function bigOnly(D: number, K: number): PvqCountTable {
  const t = pvqCountTable(D, K);
  return { D: t.D, K: t.K, big: t.big, num: null };
}

describe('pvq codeword index', () => {
  it('is the documented lexicographic order (a bijection onto 0..V-1) for every small D, K', () => {
    for (let D = 1; D <= 5; D++) {
      for (let K = 0; K <= 5; K++) {
        const all = sortedBook(D, K);
        const big = bigOnly(D, K);
        all.forEach((y, j) => {
          expect(pvqEncodeIndex(y)).toBe(BigInt(j));
          expect(pvqEncodeIndex(y, big)).toBe(BigInt(j));
          expect(Array.from(pvqDecodeIndex(j, D, K))).toEqual(Array.from(y));
          expect(Array.from(pvqDecodeIndex(BigInt(j), D, K, undefined, big))).toEqual(Array.from(y));
        });
      }
    }
    expect(Array.from(pvqDecodeIndex(3n, 2, 1))).toEqual([-1, 0]);
  });

  it('round-trips random codes with indices far beyond 2^53 (BigInt path)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 160 }), fc.integer({ min: 0, max: 160 }), fc.integer(), (D, K, seed) => {
        const y = randomCodeword(D, K, mulberry32(seed));
        const idx = pvqEncodeIndex(y);
        expect(idx >= 0n && idx < pvqCount(D, K)).toBe(true);
        expect(Array.from(pvqDecodeIndex(idx, D, K))).toEqual(Array.from(y));
      }),
      { numRuns: 80 },
    );
  });

  it('decode then encode is the identity on random indices (big D, K)', () => {
    const D = 128;
    const K = 96;
    const V = pvqCount(D, K);
    expect(V > 2n ** 200n).toBe(true);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: V - 1n }), (i) => {
        const y = pvqDecodeIndex(i, D, K);
        expect(y.reduce((s, v) => s + Math.abs(v), 0)).toBe(K);
        expect(pvqEncodeIndex(y)).toBe(i);
      }),
      { numRuns: 50 },
    );
    expect(pvqEncodeIndex(pvqDecodeIndex(V - 1n, D, K))).toBe(V - 1n);
  });

  it('number fast path equals the BigInt path below 2^53', () => {
    const rnd = mulberry32(7);
    for (let n = 0; n < 200; n++) {
      const D = 1 + Math.floor(rnd() * 32);
      const K = Math.floor(rnd() * 12);
      const y = randomCodeword(D, K, rnd);
      expect(BigInt(pvqEncodeIndexNumber(y))).toBe(pvqEncodeIndex(y, bigOnly(D, K)));
    }
    expect(() => pvqEncodeIndexNumber(randomCodeword(64, 64, rnd))).toThrow(ValueError);
  });

  it('rejects out-of-range indices and non-integer codes', () => {
    expect(() => pvqDecodeIndex(18, 3, 2)).toThrow(ValueError);
    expect(() => pvqDecodeIndex(-1n, 3, 2)).toThrow(ValueError);
    expect(() => pvqEncodeIndex([0.5, 1])).toThrow(ValueError);
  });
});

describe('pvq index bit streams', () => {
  it('write/read round trip at arbitrary offsets and widths up to 300 bits, without touching neighbours', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 40 }), fc.integer(), (bits, pos, seed) => {
        const r = mulberry32(seed);
        let v = 0n;
        for (let b = 0; b < bits; b++) if (r() < 0.5) v |= 1n << BigInt(b);
        const buf = new Uint8Array(Math.ceil((pos + bits) / 8) + 2).map(() => Math.floor(r() * 256));
        const before = buf.slice();
        writeIndexBits(buf, pos, v, bits);
        expect(readIndexBits(buf, pos, bits)).toBe(v);
        // every bit outside [pos, pos+bits) unchanged
        for (let t = 0; t < buf.length * 8; t++) {
          if (t >= pos && t < pos + bits) continue;
          expect((buf[t >> 3] >> (t & 7)) & 1).toBe((before[t >> 3] >> (t & 7)) & 1);
        }
        if (bits <= 53) {
          writeIndexBits(buf, pos, Number(v), bits);
          expect(readIndexBitsNumber(buf, pos, bits)).toBe(Number(v));
        }
      }),
    );
  });

  it('bit layout is least significant first (stream bit t = bit t&7 of byte t>>3)', () => {
    const buf = new Uint8Array(2);
    writeIndexBits(buf, 3, 5n, 4);
    expect(buf[0]).toBe(0b0010_1000);
    writeIndexBits(buf, 6, 0b111, 3);
    expect(Array.from(buf)).toEqual([0b1110_1000, 0b0000_0001]);
  });

  it('pack/unpack a stream of indices', () => {
    const ind = [0n, 4095n, 17n, 2048n, 1n];
    const bytes = packPvqIndices(ind, 12);
    expect(bytes.length).toBe(8);
    expect(unpackPvqIndices(bytes, 12, 5)).toEqual(ind);
    expect(() => writeIndexBits(new Uint8Array(2), 0, 4096n, 12)).toThrow(ValueError);
    expect(() => writeIndexBits(new Uint8Array(1), 4, 1n, 5)).toThrow(ValueError);
    expect(() => unpackPvqIndices(bytes, 12, 6)).toThrow(ValueError);
  });
});
