/**
 * Property tests of the quantize triad that loop over the dtype table: every quantized dtype (and
 * any row added later) is checked for nearest rounding, idempotence, code/qparam ranges and bit
 * accounting. The decoding used for the checks is written here from the layout contract, not taken
 * from src/qtensor.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTYPES, QUANT_DTYPES, SCALE_BITS, quantInfo, type QuantDType, type ScaleDType } from '../../src/dtype/table.js';
import { unpackRows } from '../../src/dtype/pack.js';
import { roundToBF16, roundToF16 } from '../../src/dtype/half.js';
import { quantize, dequantize, type QuantizeOptions } from '../../src/ops/quant.js';
import type { QTensor } from '../../src/qtensor.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { mulberry32 } from '../arbitraries.js';

/** A quarter of the global run count per property (there are 4 properties x every dtype). */
const RUNS = Math.max(10, Math.round(Number(process.env.FC_RUNS ?? 100) / 4));

/**
 * Input data: uniform, wide dynamic range, constant rows, zeros and outliers, from a seed. Magnitudes
 * stay below ~1e4 so f16 scales do not overflow (overflow is tested on its own in quant.test.ts).
 */
function makeData(rows: number, cols: number, seed: number, kind: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(rows * cols);
  const mag = 10 ** Math.floor(next() * 6 - 4);
  for (let r = 0; r < rows; r++) {
    const rowKind = (kind + r) % 5;
    const c = (next() * 2 - 1) * mag;
    for (let j = 0; j < cols; j++) {
      const u = next() * 2 - 1;
      out[r * cols + j] =
        rowKind === 0 ? u * mag // uniform
        : rowKind === 1 ? c // constant row
        : rowKind === 2 ? 0 // zeros
        : rowKind === 3 ? (j % 7 === 0 ? 50 * u * mag : u * mag) // outliers
        : Math.sign(u) * mag * 2 ** (u * 10); // wide dynamic range
    }
  }
  return out;
}

const SCALE_DTYPES: ScaleDType[] = ['f16', 'f32', 'bf16'];

/** Options for one dtype from fast-check choices, driven by the table's facts. */
function optionsArb(dtype: QuantDType, cols: number): fc.Arbitrary<QuantizeOptions> {
  const q = quantInfo(dtype);
  const group = fc.oneof(
    fc.constantFrom<'channel' | 'tensor'>('channel', 'tensor'),
    fc.integer({ min: 1, max: Math.max(1, cols + 3) }),
  );
  if (q.blockSize !== undefined) return fc.constant({ dtype });
  if (q.family === 'codebook') {
    return fc
      .record({
        indexBits: fc.integer({ min: 1, max: 6 }),
        dim: fc.integer({ min: 1, max: 4 }),
        seed: fc.nat(),
        scaled: fc.boolean(),
        codebookDtype: fc.constantFrom<'f32' | 'f16' | 'bf16'>('f32', 'f16', 'bf16'),
      })
      .map(({ indexBits, dim, seed, scaled, codebookDtype }) => {
        const next = mulberry32(seed);
        const cb = Array.from({ length: 2 ** indexBits * dim }, () => next() * 2 - 1);
        cb[0] = 1; // max |codebook| = 1 keeps scales in f16 range
        return {
          dtype,
          codebook: tensor(cb, [2 ** indexBits, dim]),
          codebookDtype,
          ...(scaled ? { groupSize: dim * Math.max(1, Math.floor(cols / dim / 2)) } : {}),
        };
      });
  }
  return fc.record({
    dtype: fc.constant(dtype),
    groupSize: group,
    symmetric: q.zeroPoint ? fc.boolean() : fc.constant(true),
    scaleDtype: fc.constantFrom(...SCALE_DTYPES),
  });
}

const caseArb = (dtype: QuantDType) =>
  fc
    .record({ rows: fc.integer({ min: 1, max: 4 }), cols: fc.integer({ min: 1, max: 70 }), seed: fc.nat(), kind: fc.nat(4) })
    .chain((c) => optionsArb(dtype, c.cols).map((opts) => ({ ...c, opts })));

/** Everything the checks need about a QTensor, decoded from the contract. */
function decodeParts(q: QTensor) {
  const { rows, cols, nGroups, codesPerRow } = q.geometry;
  const qp = q.qparams;
  const codes = unpackRows(q.codes.data() as Uint8Array, rows, codesPerRow, q.bits);
  const scales = qp.scales ? (qp.scales.toArray() as number[][]) : null;
  const zeros = qp.zeros ? (qp.zeros.toArray() as number[][]) : null;
  const at = (r: number, j: number) => {
    const g = qp.perTensor ? 0 : Math.floor(j / qp.groupSize);
    const sr = qp.perTensor ? 0 : r;
    return { s: scales ? scales[sr][g] : 1, z: zeros ? zeros[sr][g] : 2 ** (q.bits - 1), g };
  };
  return { rows, cols, nGroups, codes, at };
}

/** The values code c may decode to at a position (all codes of the format). */
function candidates(dtype: QuantDType, bits: number, s: number, z: number): number[] {
  const q = quantInfo(dtype);
  const out: number[] = [];
  for (let c = 0; c <= (q.family === 'affine' ? q.ucodeMax : 2 ** bits - 1); c++) {
    out.push(q.family === 'affine' ? (c - z) * s : q.values![c] * s);
  }
  return out.map(Math.fround).filter(Number.isFinite);
}

function checkNearest(x: Float32Array, q: QTensor, deq: Float32Array): void {
  const fam = quantInfo(q.dtype).family;
  const { rows, cols, codes, at } = decodeParts(q);
  if (fam === 'codebook') {
    const cb = q.qparams.codebook!.toArray() as number[][];
    const d = q.qparams.vectorDim!;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < Math.ceil(cols / d); k++) {
        const { s } = at(r, k * d);
        const dist = (e: number) => {
          let sum = 0;
          for (let t = 0; t < d && k * d + t < cols; t++) sum += (x[r * cols + k * d + t] / s - cb[e][t]) ** 2;
          return sum;
        };
        const chosen = dist(codes[r * Math.ceil(cols / d) + k]);
        for (let e = 0; e < cb.length; e++) expect(chosen).toBeLessThanOrEqual(dist(e) * (1 + 1e-9) + 1e-12);
      }
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const i = r * cols + j;
      const { s, z } = at(r, j);
      const err = Math.abs(x[i] - deq[i]);
      const slack = s * 1e-6 + Math.abs(x[i]) * 2 ** -22;
      const best = Math.min(...candidates(q.dtype, q.bits, s, z).map((v) => Math.abs(x[i] - v)));
      expect(err).toBeLessThanOrEqual(best + slack);
      // Affine: within half a step of every in-range value (clip is 1, so every value is in range).
      if (fam === 'affine') expect(err).toBeLessThanOrEqual(s / 2 + slack);
    }
  }
}

/** Whether every stored value's product (code value times scale) is exact in f32. */
function exactGrid(q: QTensor): boolean {
  const { rows, cols, codes, at } = decodeParts(q);
  const facts = quantInfo(q.dtype);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const { s, z } = at(r, j);
      const c = codes[r * cols + j];
      const v = facts.family === 'affine' ? (c - z) * s : facts.values![c] * s;
      if (Math.fround(v) !== v) return false;
    }
  }
  return true;
}

/** Whether each group is all zeros or holds the largest or the smallest value of its grid. */
function groupsReachGridEnds(q: QTensor, deq: Tensor): boolean {
  const { rows, cols, at } = decodeParts(q);
  const d = deq.data() as Float32Array;
  const hit = new Map<string, boolean>();
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const { s, z, g } = at(r, j);
      const key = `${q.qparams.perTensor ? 0 : r},${g}`;
      const grid = candidates(q.dtype, q.bits, s, z);
      const v = d[r * cols + j];
      const end = v === Math.max(...grid) || v === Math.min(...grid);
      hit.set(key, (hit.get(key) ?? false) || end);
    }
  }
  for (const [key, ok] of hit) {
    if (ok) continue;
    // an all-zero group is a fixed point on its own
    const [sr, g] = key.split(',').map(Number);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const a = at(r, j);
        if ((q.qparams.perTensor ? 0 : r) === sr && a.g === g && d[r * cols + j] !== 0) return false;
      }
    }
  }
  return true;
}

function toTensor(x: Float32Array, rows: number, cols: number): Tensor {
  return tensor(x, [rows, cols], 'f32');
}

describe.each(QUANT_DTYPES)('%s (from the table)', (dtype) => {
  it('dequantize gives the nearest representable value for the stored qparams', () => {
    fc.assert(
      fc.property(caseArb(dtype), ({ rows, cols, seed, kind, opts }) => {
        const x = makeData(rows, cols, seed, kind);
        const q = quantize(toTensor(x, rows, cols), opts);
        const deq = dequantize(q).data() as Float32Array;
        expect(deq.every(Number.isFinite)).toBe(true);
        checkNearest(x, q, deq);
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent: quantizing its own output reproduces the codes (and the values)', () => {
    fc.assert(
      fc.property(caseArb(dtype), ({ rows, cols, seed, kind, opts }) => {
        const x = makeData(rows, cols, seed, kind);
        const q = quantize(toTensor(x, rows, cols), opts);
        const deq = dequantize(q);
        const again = quantize(deq, { dtype, qparams: q.qparams });
        expect([...(again.codes.data() as Uint8Array)]).toEqual([...(q.codes.data() as Uint8Array)]);
        expect([...(dequantize(again).data() as Float32Array)]).toEqual([...(deq.data() as Float32Array)]);
        // With qparams chosen afresh, symmetric formats are fixed points too when their grid is
        // exact in f32 and every group reaches an end of its grid (a coarse scale, e.g. bf16 for
        // int8, can leave the absmax one code short; asymmetric affine can shrink its range by
        // the zero point rounding; a learned codebook has no absmax rule).
        if (q.qparams.symmetric && quantInfo(dtype).family !== 'codebook' && exactGrid(q) && groupsReachGridEnds(q, deq)) {
          const fresh = quantize(deq, opts);
          expect([...(dequantize(fresh).data() as Float32Array)]).toEqual([...(deq.data() as Float32Array)]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps codes, zero points and scales in range', () => {
    fc.assert(
      fc.property(caseArb(dtype), ({ rows, cols, seed, kind, opts }) => {
        const q = quantize(toTensor(makeData(rows, cols, seed, kind), rows, cols), opts);
        const facts = quantInfo(dtype);
        const { codesPerRow, rowBytes } = q.geometry;
        const bytes = q.codes.data() as Uint8Array;
        const used = (codesPerRow * q.bits) % 8;
        for (let r = 0; r < rows; r++) {
          if (used) expect(bytes[r * rowBytes + rowBytes - 1] >> used).toBe(0); // padding bits are 0
        }
        const codes = unpackRows(bytes, rows, codesPerRow, q.bits);
        const limit = facts.family === 'codebook' ? 2 ** q.bits - 1 : facts.ucodeMax;
        expect(Math.max(...codes)).toBeLessThanOrEqual(limit);
        for (const z of (q.qparams.zeros?.data() as Uint8Array | undefined) ?? []) expect(z).toBeLessThanOrEqual(facts.ucodeMax);
        const round = { f16: roundToF16, bf16: roundToBF16, f32: Math.fround, e8m0: (v: number) => 2 ** Math.round(Math.log2(v)) };
        for (const s of (q.qparams.scales?.data() as Float32Array | undefined) ?? []) {
          expect(s).toBeGreaterThan(0);
          expect(round[q.qparams.scaleDtype](s)).toBe(s);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('counts bits per weight from the stored tensors', () => {
    fc.assert(
      fc.property(caseArb(dtype), ({ rows, cols, seed, kind, opts }) => {
        const q = quantize(toTensor(makeData(rows, cols, seed, kind), rows, cols), opts);
        const qp = q.qparams;
        const sb = q.sizeBits();
        // independent of bits.ts: read the sizes of what is actually stored
        const codeBits = q.codes.size * 8;
        const scaleBits = (qp.scales?.size ?? 0) * SCALE_BITS[qp.scaleDtype];
        const zeroBits = (qp.zeros?.size ?? 0) * q.bits;
        const cd = qp.codebookDtype ?? 'f32';
        const cbBits = (qp.codebook?.size ?? 0) * (cd === 'int8' ? 8 : SCALE_BITS[cd]);
        expect(sb.codes).toBe(codeBits);
        expect(sb.scales).toBe(scaleBits);
        expect(sb.zeros).toBe(zeroBits);
        expect(sb.codebook).toBe(cbBits);
        expect(q.bitsPerWeight).toBeCloseTo((codeBits + scaleBits + zeroBits + cbBits) / (rows * cols), 12);
        expect(q.codes.size).toBe(rows * Math.ceil((Math.ceil(cols / (qp.vectorDim ?? 1)) * q.bits) / 8));
        if (quantInfo(dtype).family !== 'codebook') expect(q.bits).toBe(DTYPES[dtype].bits);
      }),
      { numRuns: RUNS },
    );
  });
});
