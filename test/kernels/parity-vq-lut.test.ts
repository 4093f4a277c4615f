/**
 * Parity of vq_matmul_f32 (the LUT matmul of a learned-codebook weight): WASM versus the JS
 * reference bit for bit (same f32 operations in the same order per output), on random and
 * adversarial configurations (1 row, 1 token, 1 column, a partial last vector, ragged last groups,
 * index widths 1..8, row ranges, integer codebooks with scales), plus both versus an f64 product with
 * the weight decoded here independently, within (dim + vpg + nGroups + 2) · 2u · Σ|W x|.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import type { Ref } from '../../src/kernels/ref.js';
import type { VqMatmulArgs } from '../../src/kernels/js/vq-lut.js';
import { Storage } from '../../src/memory/storage.js';
import { wasmRuntime } from '../../src/kernels/backend.js';
import { getThreads, setThreads, threadStats } from '../../src/kernels/threads.js';
import { readRef, refIn, rng } from './helpers.js';

interface Case {
  bits: number;
  dim: number;
  rows: number;
  cols: number;
  /** Vectors per group; 0: one group of the whole row. */
  vpg: number;
  scaled: boolean;
  perTensor: boolean;
  intBook: boolean;
  m: number;
  seed: number;
}

function bytesRef(data: Uint8Array, where: 'js' | 'wasm', pad: number): Ref {
  const padded = new Uint8Array(data.length + pad);
  padded.set(data, pad);
  return { storage: Storage.from(padded, { heap: where === 'wasm' ? wasmRuntime().heap : null }), offset: pad };
}

/** Random data of a case: packed indices (LSB first), codebook, scales, activations, and the indices unpacked. */
function build(c: Case) {
  const next = rng(c.seed);
  const nk = Math.ceil(c.cols / c.dim);
  const rowBytes = Math.ceil((nk * c.bits) / 8);
  const idx = Uint8Array.from({ length: c.rows * nk }, () => Math.floor(next() * 2 ** c.bits));
  const codes = new Uint8Array(c.rows * rowBytes);
  for (let r = 0; r < c.rows; r++) {
    for (let k = 0; k < nk; k++) {
      for (let b = 0; b < c.bits; b++) {
        const bit = k * c.bits + b;
        if ((idx[r * nk + k] >> b) & 1) codes[r * rowBytes + (bit >> 3)] |= 1 << (bit & 7);
      }
    }
  }
  const entries = 2 ** c.bits;
  const book = Float32Array.from({ length: entries * c.dim }, () => (c.intBook ? Math.floor(next() * 256) - 128 : next() * 2 - 1));
  const groupSize = c.vpg === 0 ? c.cols : c.vpg * c.dim;
  const nGroups = c.vpg === 0 ? 1 : Math.ceil(nk / c.vpg);
  const scaleRows = c.perTensor ? 1 : c.rows;
  const scales = Float32Array.from({ length: scaleRows * nGroups }, () => (c.intBook ? next() / 64 : next() * 2 - 0.5));
  const x = Float32Array.from({ length: c.m * c.cols }, () => next() * 2 - 1);
  return { nk, rowBytes, idx, codes, book, groupSize, nGroups, scales, x };
}

/** Runs one backend on rows [r0, r1); outputs outside the range must stay NaN. */
function run(c: Case, d: ReturnType<typeof build>, where: 'js' | 'wasm', r0: number, r1: number): Float32Array {
  const y = refIn(new Float32Array(c.m * c.rows).fill(NaN), where, 3);
  const args: VqMatmulArgs = {
    bits: c.bits, rows: c.rows, cols: c.cols, dim: c.dim,
    codes: bytesRef(d.codes, where, 5), rowBytes: d.rowBytes,
    scales: c.scaled ? refIn(d.scales, where, 1) : null,
    scaleStride: c.perTensor ? 0 : d.nGroups, groupSize: d.groupSize, nGroups: d.nGroups,
    codebook: refIn(d.book, where, 2), m: c.m, x: refIn(d.x, where, 1), rsx: c.cols, y, rsy: c.rows, r0, r1,
  };
  (where === 'js' ? KERNELS.vq_matmul_f32.js : KERNELS.vq_matmul_f32.wasm!)(args);
  return readRef(y, Float32Array, c.m * c.rows);
}

/** Both backends agree bit for bit and match the f64 product of the independently decoded weight. */
function check(c: Case, r0 = 0, r1 = c.rows): void {
  const d = build(c);
  const js = run(c, d, 'js', r0, r1);
  const wasm = run(c, d, 'wasm', r0, r1);
  expect(Array.from(wasm)).toEqual(Array.from(js));
  const vpg = c.vpg === 0 ? d.nk : c.vpg;
  for (let i = 0; i < c.m; i++) {
    for (let r = 0; r < c.rows; r++) {
      const got = js[i * c.rows + r];
      if (r < r0 || r >= r1) {
        expect(Number.isNaN(got)).toBe(true);
        continue;
      }
      let s = 0;
      let a = 0;
      for (let j = 0; j < c.cols; j++) {
        const k = Math.floor(j / c.dim);
        const g = Math.floor(k / vpg);
        const sc = c.scaled ? d.scales[(c.perTensor ? 0 : r * d.nGroups) + g] : 1;
        const w = d.book[d.idx[r * d.nk + k] * c.dim + (j % c.dim)] * sc;
        s += w * d.x[i * c.cols + j];
        a += Math.abs(w * d.x[i * c.cols + j]);
      }
      const bound = (c.dim + vpg + d.nGroups + 2) * 2 ** -23 * a + 1e-30;
      if (!(Math.abs(got - s) <= bound)) throw new Error(`token ${i} row ${r}: ${got} vs f64 ${s}, bound ${bound} (${JSON.stringify(c)})`);
    }
  }
}

const caseArb = fc
  .record({
    bits: fc.integer({ min: 1, max: 8 }),
    dim: fc.constantFrom(1, 2, 3, 4, 8),
    rows: fc.integer({ min: 1, max: 11 }),
    cols: fc.integer({ min: 1, max: 70 }),
    vpgRaw: fc.integer({ min: 0, max: 9 }),
    scaled: fc.boolean(),
    perTensor: fc.boolean(),
    intBook: fc.boolean(),
    m: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer(),
  })
  .map(({ vpgRaw, ...c }): Case => ({ ...c, vpg: c.perTensor ? 0 : vpgRaw, scaled: c.scaled || c.intBook }));

describe('vq_matmul_f32 parity', () => {
  it('wasm equals the js reference bit for bit on random configurations, both near the f64 product', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), fc.nat(), (c, a, b) => {
        check(c);
        const r0 = a % c.rows;
        check(c, r0, r0 + 1 + (b % (c.rows - r0)));
      }),
      { numRuns: 150 },
    );
  });

  it('adversarial shapes: 1x1, partial last vector, ragged last group, index widths 1 and 8, int8 codebook with scales', () => {
    const base: Case = { bits: 8, dim: 4, rows: 1, cols: 1, vpg: 0, scaled: false, perTensor: false, intBook: false, m: 1, seed: 7 };
    const cases: Case[] = [
      base,
      { ...base, bits: 1, dim: 1 },
      { ...base, cols: 7, rows: 5 }, // last vector 3 of 4 columns, rows not a multiple of 4
      { ...base, bits: 1, dim: 8, cols: 65, rows: 9, vpg: 4, scaled: true }, // groups of 4, 4, 1 vectors; last vector 1 column
      { ...base, bits: 8, dim: 2, cols: 37, rows: 6, vpg: 4, scaled: true, intBook: true, m: 2 },
      { ...base, bits: 3, dim: 2, cols: 99, rows: 13, vpg: 5, scaled: true, intBook: true, m: 3 }, // codes straddle bytes
      { ...base, bits: 7, dim: 1, cols: 33, rows: 4, vpg: 0, scaled: true, perTensor: true },
      { ...base, bits: 5, dim: 8, cols: 300, rows: 17, vpg: 2, scaled: true },
      // More rows than one 128-row tile, and 8-bit tables walked in blocks of 32 positions: one group
      // spanning several blocks, and groups of 45 ending inside blocks.
      { ...base, bits: 8, dim: 1, cols: 100, rows: 131, vpg: 0, scaled: true, m: 2 },
      { ...base, bits: 8, dim: 1, cols: 100, rows: 133, vpg: 45, scaled: true, intBook: true },
    ];
    for (const c of cases) check(c);
  });

  it('a many-row GEMV split over ranges gives the same bits as one call', () => {
    const c: Case = { bits: 6, dim: 2, rows: 203, cols: 130, vpg: 8, scaled: true, perTensor: false, intBook: false, m: 1, seed: 3 };
    const d = build(c);
    const whole = run(c, d, 'wasm', 0, c.rows);
    const parts = [run(c, d, 'wasm', 0, 77), run(c, d, 'wasm', 77, 203)];
    const joined = whole.map((_, r) => (r < 77 ? parts[0][r] : parts[1][r]));
    expect(Array.from(joined)).toEqual(Array.from(whole));
    expect(Array.from(whole)).toEqual(Array.from(run(c, d, 'js', 0, c.rows)));
  });

  it('two threads give the same bits as one (rows split into ranges over the shared table)', () => {
    const c: Case = { bits: 8, dim: 2, rows: 2048, cols: 512, vpg: 64, scaled: true, perTensor: false, intBook: false, m: 2, seed: 11 };
    const d = build(c);
    const one = run(c, d, 'wasm', 0, c.rows);
    setThreads(2);
    try {
      expect(getThreads()).toBe(2);
      // A worker descheduled for a whole call leaves every range to this thread (by design), so the
      // call is repeated, each time with the same bits, until a worker has taken part.
      const before = threadStats().workerItems;
      for (let attempt = 0; attempt < 20 && threadStats().workerItems === before; attempt++) {
        expect(Array.from(run(c, d, 'wasm', 0, c.rows))).toEqual(Array.from(one));
      }
      expect(threadStats().workerItems).toBeGreaterThan(before);
    } finally {
      setThreads(1);
    }
  });
});
