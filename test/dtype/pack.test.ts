/**
 * Packing: the byte layout the WASM kernels depend on (checked against hand-written bytes and an
 * independent bit-by-bit reference), and pack/unpack identity for every width 1..8.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkBits, packBits, packRows, packedBytes, readCode, unpackBits, unpackRows } from '../../src/dtype/pack.js';
import { ValueError } from '../../src/errors.js';

const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8];

/** Reference packer written from the contract, one bit at a time (no shared code with pack.ts). */
function packBitByBit(codes: number[], bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  codes.forEach((c, j) => {
    for (let b = 0; b < bits; b++) {
      const t = j * bits + b;
      if ((c >> b) & 1) out[t >> 3] |= 1 << (t & 7);
    }
  });
  return out;
}

const codesOf = (bits: number, maxLength = 70) =>
  fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), { maxLength });

describe('layout', () => {
  it('4 bits: code 2i in the low nibble of byte i, 2i+1 in the high nibble', () => {
    expect([...packBits([1, 2, 3], 4)]).toEqual([0x21, 0x03]);
    expect([...packBits([0xf, 0x0, 0xa, 0x5], 4)]).toEqual([0x0f, 0x5a]);
  });

  it('2 bits: code 4i+k in bits 2k..2k+1 of byte i', () => {
    expect([...packBits([3, 0, 1, 2, 1], 2)]).toEqual([0b10_01_00_11, 0b01]);
  });

  it('3 bits: codes straddle byte boundaries, low bits first', () => {
    // 1=001 2=010 3=011 4=100 5=101 -> stream (bit 0 first) 100 010 110 001 101 -> bytes 0xd1 0x58
    expect([...packBits([1, 2, 3, 4, 5], 3)]).toEqual([0xd1, 0x58]);
    // eight 7s fill exactly three bytes
    expect([...packBits([7, 7, 7, 7, 7, 7, 7, 7], 3)]).toEqual([0xff, 0xff, 0xff]);
  });

  it('1 and 8 bits', () => {
    expect([...packBits([1, 0, 1, 1, 0, 0, 0, 0, 1], 1)]).toEqual([0b1101, 0b1]);
    expect([...packBits([0, 255, 17], 8)]).toEqual([0, 255, 17]);
  });

  it('matches the bit-by-bit reference for every width, unused tail bits zero', () => {
    for (const bits of WIDTHS) {
      fc.assert(
        fc.property(codesOf(bits), (codes) => {
          const packed = packBits(codes, bits);
          expect([...packed]).toEqual([...packBitByBit(codes, bits)]);
          const used = codes.length * bits;
          if (used % 8) expect(packed[packed.length - 1] >> (used % 8)).toBe(0);
        }),
      );
    }
  });

  it('rows start on byte boundaries', () => {
    // two rows of three 3-bit codes: 9 bits each -> 2 bytes per row, the second row not shifted
    const bytes = packRows([7, 7, 7, 1, 0, 0], 2, 3, 3);
    expect([...bytes]).toEqual([0xff, 0x01, 0x01, 0x00]);
  });

  it('overwrites a dirty output buffer completely', () => {
    const out = new Uint8Array(3).fill(0xff);
    packBits([1, 2, 3], 3, out);
    expect([...out.subarray(0, 2)]).toEqual([...packBitByBit([1, 2, 3], 3)]);
  });
});

describe('identity', () => {
  it('unpack(pack(codes)) === codes for every width', () => {
    for (const bits of WIDTHS) {
      fc.assert(
        fc.property(codesOf(bits), (codes) => {
          const packed = packBits(codes, bits);
          expect(packed.length).toBe(packedBytes(codes.length, bits));
          expect([...unpackBits(packed, bits, codes.length)]).toEqual(codes);
          codes.forEach((c, j) => expect(readCode(packed, bits, j)).toBe(c));
        }),
      );
    }
  });

  it('row-wise pack/unpack identity for every width', () => {
    for (const bits of WIDTHS) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 23 }), fc.nat(), (rows, cols, seed) => {
          const codes = Array.from({ length: rows * cols }, (_, i) => (i * 2654435761 + seed) % 2 ** bits);
          const bytes = packRows(codes, rows, cols, bits);
          expect(bytes.length).toBe(rows * packedBytes(cols, bits));
          expect([...unpackRows(bytes, rows, cols, bits)]).toEqual(codes);
          for (let r = 0; r < rows; r++) {
            const rb = packedBytes(cols, bits);
            expect([...bytes.subarray(r * rb, (r + 1) * rb)]).toEqual([...packBitByBit(codes.slice(r * cols, (r + 1) * cols), bits)]);
          }
        }),
        { numRuns: 30 },
      );
    }
  });
});

describe('errors', () => {
  it('rejects widths outside 1..8', () => {
    for (const b of [0, 9, 2.5, NaN]) expect(() => checkBits(b)).toThrow(ValueError);
    expect(() => packBits([0], 16)).toThrow(/1 to 8 bits, got 16/);
  });

  it('rejects codes that do not fit, naming the index', () => {
    expect(() => packBits([1, 16], 4)).toThrow(/code 16 at index 1 does not fit in 4 bits/);
    expect(() => packBits([-1], 4)).toThrow(ValueError);
    expect(() => packBits([0.5], 4)).toThrow(ValueError);
    expect(() => packRows([8], 1, 1, 3)).toThrow(/code 8 at index 0/);
  });

  it('rejects short buffers', () => {
    expect(() => unpackBits(new Uint8Array(1), 3, 3)).toThrow(/need 2 bytes, got 1/);
    expect(() => packBits([1, 2, 3], 4, new Uint8Array(1))).toThrow(ValueError);
    expect(() => unpackRows(new Uint8Array(3), 2, 3, 4)).toThrow(ValueError);
    expect(() => readCode(new Uint8Array(1), 3, 2)).toThrow(ValueError);
    expect(() => packRows([1, 2], 2, 2, 4)).toThrow(/do not fill \[2,2\]/);
  });
});
