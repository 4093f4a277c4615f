/**
 * Parity of pvq_dequant_f32 and pvq_matmul_f32: WASM (u64 enumeration walk) versus the JS reference,
 * bit for bit (same f32 operations in the same order), on random codes of random configurations
 * (index widths from 0 to 64 bits; wider ones run the reference on both backends), plus the matmul
 * versus an f64 product with the dequantized weight.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import type { Ref } from '../../src/kernels/ref.js';
import { Storage } from '../../src/memory/storage.js';
import { wasmRuntime } from '../../src/kernels/backend.js';
import { pvqBits, pvqCount } from '../../src/dtype/pvq/count.js';
import { randArray, readRef, refIn, rng } from './helpers.js';
import { sortedBook } from '../quantizers/pvq/helpers.js';

function bytesRef(data: Uint8Array, where: 'js' | 'wasm', pad: number): Ref {
  const padded = new Uint8Array(data.length + pad);
  padded.set(data, pad);
  return { storage: Storage.from(padded, { heap: where === 'wasm' ? wasmRuntime().heap : null }), offset: pad };
}

/** Random valid records: amplitude codes and indices uniform in range (BigInt), packed LSB first. */
function randomCodes(rows: number, groups: number, ampBits: number, V: bigint, indexBits: number, next: () => number): { codes: Uint8Array; rowBytes: number } {
  const rec = ampBits + indexBits;
  const rowBytes = Math.ceil((groups * rec) / 8);
  const codes = new Uint8Array(rows * rowBytes);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groups; g++) {
      let idx = 0n;
      for (let b = 0; b < indexBits + 8; b += 16) idx = (idx << 16n) | BigInt(Math.floor(next() * 65536));
      idx %= V;
      const a = BigInt(Math.floor(next() * 2 ** ampBits));
      const v = a | (idx << BigInt(ampBits));
      for (let b = 0; b < rec; b++) if ((v >> BigInt(b)) & 1n) codes[r * rowBytes + ((g * rec + b) >> 3)] |= 1 << ((g * rec + b) & 7);
    }
  }
  return { codes, rowBytes };
}

const caseArb = fc.record({
  dim: fc.integer({ min: 1, max: 24 }),
  pulses: fc.integer({ min: 1, max: 40 }),
  ampBits: fc.integer({ min: 0, max: 5 }),
  rows: fc.integer({ min: 1, max: 9 }),
  groups: fc.integer({ min: 1, max: 5 }),
  m: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer(),
});

describe('pvq kernels parity', () => {
  it('wasm equals the js reference bit for bit (dequant and matmul), matmul matches deq · x in f64', () => {
    fc.assert(
      fc.property(caseArb, ({ dim, pulses, ampBits, rows, groups, m, seed }) => {
        const next = rng(seed);
        const cols = dim * groups;
        const V = pvqCount(dim, pulses);
        const indexBits = pvqBits(dim, pulses);
        const { codes, rowBytes } = randomCodes(rows, groups, ampBits, V, indexBits, next);
        const scales = Float32Array.from({ length: rows }, () => next() * 2);
        const levels = Float32Array.from({ length: 2 ** ampBits }, () => next());
        const x = randArray(Float32Array, m * cols, next);
        const run = (where: 'js' | 'wasm') => {
          const w = {
            rows, cols, dim, pulses, ampBits, indexBits,
            codes: bytesRef(codes, where, 3), rowBytes,
            scales: refIn(scales, where, 1), levels: refIn(levels, where, 2),
          };
          const deq = refIn(new Float32Array(rows * cols).fill(NaN), where, 1);
          const out = refIn(new Float32Array(m * rows).fill(NaN), where, 1);
          (where === 'js' ? KERNELS.pvq_dequant_f32.js : KERNELS.pvq_dequant_f32.wasm!)({ ...w, out: deq });
          (where === 'js' ? KERNELS.pvq_matmul_f32.js : KERNELS.pvq_matmul_f32.wasm!)({ ...w, m, x: refIn(x, where, 2), out });
          return { deq: readRef(deq, Float32Array, rows * cols), out: readRef(out, Float32Array, m * rows) };
        };
        const js = run('js');
        const wasm = run('wasm');
        expect(Array.from(wasm.deq)).toEqual(Array.from(js.deq));
        expect(Array.from(wasm.out)).toEqual(Array.from(js.out));
        for (let r = 0; r < rows; r++) {
          if (V <= 4000n) {
            // small codebooks: decode each record independently (brute-force book in the documented order)
            const book = sortedBook(dim, pulses);
            const rec = ampBits + indexBits;
            for (let g = 0; g < groups; g++) {
              let a = 0;
              let idx = 0;
              for (let b = 0; b < rec; b++) {
                const bit = (codes[r * rowBytes + ((g * rec + b) >> 3)] >> ((g * rec + b) & 7)) & 1;
                if (b < ampBits) a += bit << b;
                else idx += bit * 2 ** (b - ampBits);
              }
              const y = book[idx];
              let yy = 0;
              for (const v of y) yy += v * v;
              const gain = Math.fround((scales[r] * levels[a]) / Math.sqrt(yy));
              for (let i = 0; i < dim; i++) expect(js.deq[r * cols + g * dim + i]).toBe(Math.fround(y[i] * gain));
            }
          }
          for (let t = 0; t < m; t++) {
            let s = 0;
            let a = 0;
            for (let j = 0; j < cols; j++) {
              s += js.deq[r * cols + j] * x[t * cols + j];
              a += Math.abs(js.deq[r * cols + j] * x[t * cols + j]);
            }
            expect(Math.abs(js.out[t * rows + r] - s)).toBeLessThanOrEqual((cols + pulses + 4) * 2 ** -23 * a + 1e-30);
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  it('wide rows: records straddling the kernel\'s 8-byte field loads, 64-bit indices, the row\'s last bytes (GEMV and 3 tokens)', () => {
    // (dim, pulses, ampBits): 59-bit indices (dim 16, 46 pulses: the 4-bit-per-weight config), 64-bit
    // indices (dim 12, 127 pulses), ampBits 0 and 7, short records; 1 row and odd row counts.
    for (const [dim, pulses, ampBits, rows, groups] of [[16, 46, 4, 3, 37], [12, 127, 0, 1, 23], [12, 127, 7, 2, 9], [4, 3, 1, 5, 61], [1, 1, 0, 1, 1]] as const) {
      const next = rng(dim * 1000 + pulses);
      const indexBits = pvqBits(dim, pulses);
      const cols = dim * groups;
      const { codes, rowBytes } = randomCodes(rows, groups, ampBits, pvqCount(dim, pulses), indexBits, next);
      const scales = Float32Array.from({ length: rows }, () => next() * 2);
      const levels = Float32Array.from({ length: 2 ** ampBits }, () => next());
      for (const m of [1, 3]) {
        const x = randArray(Float32Array, m * cols, next);
        const run = (where: 'js' | 'wasm') => {
          const w = { rows, cols, dim, pulses, ampBits, indexBits, codes: bytesRef(codes, where, 5), rowBytes, scales: refIn(scales, where, 1), levels: refIn(levels, where, 2) };
          const deq = refIn(new Float32Array(rows * cols).fill(NaN), where, 1);
          const out = refIn(new Float32Array(m * rows).fill(NaN), where, 1);
          (where === 'js' ? KERNELS.pvq_dequant_f32.js : KERNELS.pvq_dequant_f32.wasm!)({ ...w, out: deq });
          (where === 'js' ? KERNELS.pvq_matmul_f32.js : KERNELS.pvq_matmul_f32.wasm!)({ ...w, m, x: refIn(x, where, 2), out });
          return { deq: readRef(deq, Float32Array, rows * cols), out: readRef(out, Float32Array, m * rows) };
        };
        const js = run('js');
        const wasm = run('wasm');
        expect(indexBits).toBeLessThanOrEqual(64);
        expect(Array.from(wasm.deq)).toEqual(Array.from(js.deq));
        expect(Array.from(wasm.out)).toEqual(Array.from(js.out));
        expect(js.out.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it("a token's result does not depend on how many tokens share the call (GEMV path = GEMM path), dims not a multiple of 4", () => {
    for (const [dim, pulses, ampBits] of [[16, 20, 3], [7, 9, 2], [5, 3, 0], [2, 4, 1]] as const) {
      const next = rng(dim * 31 + pulses);
      const rows = 6;
      const groups = 11;
      const cols = dim * groups;
      const indexBits = pvqBits(dim, pulses);
      const { codes, rowBytes } = randomCodes(rows, groups, ampBits, pvqCount(dim, pulses), indexBits, next);
      const scales = Float32Array.from({ length: rows }, () => next() * 2);
      const levels = Float32Array.from({ length: 2 ** ampBits }, () => next());
      const x = randArray(Float32Array, 5 * cols, next);
      for (const where of ['js', 'wasm'] as const) {
        const w = { rows, cols, dim, pulses, ampBits, indexBits, codes: bytesRef(codes, where, 0), rowBytes, scales: refIn(scales, where), levels: refIn(levels, where) };
        const mm = where === 'js' ? KERNELS.pvq_matmul_f32.js : KERNELS.pvq_matmul_f32.wasm!;
        const all = refIn(new Float32Array(5 * rows), where);
        mm({ ...w, m: 5, x: refIn(x, where), out: all });
        const got = readRef(all, Float32Array, 5 * rows);
        for (let t = 0; t < 5; t++) {
          const one = refIn(new Float32Array(rows), where);
          mm({ ...w, m: 1, x: refIn(x.slice(t * cols, (t + 1) * cols), where), out: one });
          expect(Array.from(readRef(one, Float32Array, rows))).toEqual(Array.from(got.subarray(t * rows, (t + 1) * rows)));
        }
      }
    }
  });

  it('indices wider than 64 bits (dim 32, 90 pulses) take the reference on both backends', () => {
    const next = rng(5);
    const dim = 32;
    const pulses = 90;
    const indexBits = pvqBits(dim, pulses);
    expect(indexBits).toBeGreaterThan(64);
    const { codes, rowBytes } = randomCodes(3, 2, 2, pvqCount(dim, pulses), indexBits, next);
    const mk = (where: 'js' | 'wasm') => ({
      rows: 3, cols: 64, dim, pulses, ampBits: 2, indexBits, codes: bytesRef(codes, where, 0), rowBytes,
      scales: refIn(Float32Array.of(1, 2, 3), where), levels: refIn(Float32Array.of(0.1, 0.2, 0.3, 0.4), where),
    });
    const outJ = refIn(new Float32Array(3 * 64), 'js');
    const outW = refIn(new Float32Array(3 * 64), 'wasm');
    KERNELS.pvq_dequant_f32.js({ ...mk('js'), out: outJ });
    KERNELS.pvq_dequant_f32.wasm!({ ...mk('wasm'), out: outW });
    const a = readRef(outJ, Float32Array, 192);
    expect(Array.from(readRef(outW, Float32Array, 192))).toEqual(Array.from(a));
    // each group: Σ|w| / gain = K, i.e. the group's L1/L∞ structure is a pyramid point
    for (let g = 0; g < 6; g++) {
      const grp = a.subarray(g * 32, g * 32 + 32);
      const nz = Array.from(grp).filter((v) => v !== 0).map(Math.abs);
      const unit = Math.min(...nz);
      const l1 = nz.reduce((s, v) => s + v, 0) / unit;
      // the smallest non-zero may itself be k > 1 pulses: the ratio is then K / k, still ≤ K
      expect(l1).toBeLessThanOrEqual(pulses + 1e-3);
    }
  });
});
