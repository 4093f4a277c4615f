/**
 * `linear` against an f64 product computed here: y = x · dequantize(q)ᵀ (+ bias), for every
 * quantized dtype, with act-order permutations and AWQ input scales, on adversarial shapes and
 * leading dims; int8 activations within their rounding bound; the dense path; typed errors.
 *
 * Tolerance (f32 activations, u = 2^-24): |y - exact| <= (k + 8) u sum_j mag_j |x_j| / a_j + 2 u |b|,
 * mag = s (2^bits + z) for affine weights (the kernels fold the zero point per group), |w| otherwise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUANT_DTYPES, quantInfo, type QuantDType } from '../../src/dtype/table.js';
import { roundToF16 } from '../../src/dtype/half.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import { actBlocks } from '../../src/kernels/js/quant.js';
import { setBackend } from '../../src/kernels/backend.js';
import { linear } from '../../src/ops/linear.js';
import { dequantize, quantize, type QuantizeOptions } from '../../src/ops/quant.js';
import type { QTensor } from '../../src/qtensor.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { mulberry32, randomF32Data } from '../arbitraries.js';

const U = 2 ** -24;

interface Case {
  dtype: QuantDType;
  out: number;
  inF: number;
  lead: number[];
  group: number | 'channel' | 'tensor';
  perm: boolean;
  inputScale: boolean;
  bias: boolean;
  seed: number;
}

function makeQ(cs: Case): QTensor {
  const next = mulberry32(cs.seed);
  const w = tensor(randomF32Data(cs.out * cs.inF, cs.seed), [cs.out, cs.inF]);
  const perm = cs.perm ? shuffled(cs.inF, next) : undefined;
  const inputScale = cs.inputScale ? Array.from({ length: cs.inF }, () => roundToF16(0.5 + 1.5 * next())) : undefined;
  const facts = quantInfo(cs.dtype);
  const opts: QuantizeOptions = { dtype: cs.dtype, perm, inputScale };
  if (facts.family === 'mx') return quantize(w, opts);
  if (facts.family === 'codebook') {
    const d = [1, 2, 4][cs.seed % 3];
    const cb = tensor(Float32Array.from({ length: 16 * d }, () => next() * 2 - 1), [16, d]);
    return quantize(w, { ...opts, codebook: cb });
  }
  return quantize(w, { ...opts, groupSize: cs.group });
}

function shuffled(n: number, next: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Per logical element (r, c) of q: the magnitude factor of the kernels' rounding bound. */
function magnitudes(q: QTensor): Float64Array {
  const { rows, cols, nGroups } = q.geometry;
  const qp = q.qparams;
  const facts = quantInfo(q.dtype);
  const deq = dequantize(q).data() as Float32Array;
  const s = qp.scales ? (qp.scales.data() as Float32Array) : null;
  const z = qp.zeros ? (qp.zeros.data() as Uint8Array) : null;
  const perm = qp.perm ? (qp.perm.data() as Int32Array) : null;
  const a = qp.inputScale ? (qp.inputScale.data() as Float32Array) : null;
  const mag = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const c = perm ? perm[j] : j;
      if (facts.family !== 'affine') {
        mag[r * cols + c] = Math.abs(deq[r * cols + c]) * 1.000001;
        continue;
      }
      const si = qp.perTensor ? 0 : r * nGroups + Math.floor(j / qp.groupSize);
      const zero = z ? z[si] : 2 ** (q.bits - 1);
      mag[r * cols + c] = (s![si] * (2 ** q.bits + zero)) / (a ? a[c] : 1);
    }
  }
  return mag;
}

function check(cs: Case, activations: 'f32' | 'int8' = 'f32'): void {
  const q = makeQ(cs);
  const rows = cs.lead.reduce((p, d) => p * d, 1);
  const x = tensor(randomF32Data(rows * cs.inF, cs.seed + 5), [...cs.lead, cs.inF]);
  const bias = cs.bias ? tensor(randomF32Data(cs.out, cs.seed + 9), [cs.out]) : undefined;
  const y = linear(x, q, { bias, activations });
  expect(y.shape).toEqual([...cs.lead, cs.out]);
  expect(y.dtype).toBe('f32');
  const deq = dequantize(q).data() as Float32Array;
  const mag = magnitudes(q);
  const xd = x.data() as Float32Array;
  const bd = bias ? (bias.data() as Float32Array) : null;
  const got = y.data() as Float32Array;
  const gs = q.qparams.perTensor ? cs.inF : q.qparams.groupSize;
  const perm = q.qparams.perm ? (q.qparams.perm.data() as Int32Array) : null;
  const a = q.qparams.inputScale ? (q.qparams.inputScale.data() as Float32Array) : null;
  for (let i = 0; i < rows; i++) {
    // int8 bound: activation rounding per block, blocks in stored column order
    const xs = new Float64Array(cs.inF);
    if (activations === 'int8') {
      const bl = actBlocks(cs.inF, gs);
      for (let b = 0; b < bl.start.length; b++) {
        let amax = 0;
        for (let j = bl.start[b]; j < bl.end[b]; j++) {
          const c = perm ? perm[j] : j;
          amax = Math.max(amax, Math.abs(Math.fround(xd[i * cs.inF + c] / (a ? a[c] : 1))));
        }
        for (let j = bl.start[b]; j < bl.end[b]; j++) xs[perm ? perm[j] : j] = (amax / 254) * (a ? a[perm ? perm[j] : j] : 1);
      }
    }
    for (let r = 0; r < cs.out; r++) {
      let want = bd ? bd[r] : 0;
      let bound = bd ? 2 * U * Math.abs(bd[r]) : 0;
      for (let c = 0; c < cs.inF; c++) {
        const xv = xd[i * cs.inF + c];
        want += deq[r * cs.inF + c] * xv;
        bound += (cs.inF + 8) * U * mag[r * cs.inF + c] * Math.abs(xv) * 1.0001 + U * Math.abs(deq[r * cs.inF + c] * xv);
        if (activations === 'int8') bound += Math.abs(deq[r * cs.inF + c]) * xs[c] * 1.0001;
      }
      const g = got[i * cs.out + r];
      if (!(Math.abs(g - want) <= bound + 1e-300)) {
        throw new Error(`linear ${activations} ${JSON.stringify(cs)} [${i},${r}]: ${g} vs ${want}, bound ${bound}`);
      }
    }
  }
  q.dispose();
}

const IN_ADV = [1, 2, 3, 7, 8, 31, 32, 33, 64, 97, 128, 130, 257];

const caseArb = (dtype: QuantDType) =>
  fc.record({
    dtype: fc.constant(dtype),
    out: fc.integer({ min: 1, max: 9 }),
    inF: fc.oneof(fc.constantFrom(...IN_ADV), fc.integer({ min: 1, max: 200 })),
    lead: fc.constantFrom<number[]>([], [1], [3], [2, 3], [7]),
    group: fc.constantFrom<Case['group']>('channel', 'tensor', 32, 64, 5, 128),
    perm: fc.boolean(),
    inputScale: fc.boolean(),
    bias: fc.boolean(),
    seed: fc.nat(),
  });

describe.each(QUANT_DTYPES)('linear with a %s QTensor', (dtype) => {
  it('matches x · dequantize(q)ᵀ (+ bias) with act-order and input scales', () => {
    fc.assert(fc.property(caseArb(dtype), (cs) => check(cs)), { numRuns: 40 });
  });

  it('a real-size layer: 1 and 9 tokens of 1024 features, group 128, act-order and input scales', () => {
    for (const lead of [[1], [9]]) {
      check({ dtype, out: 6, inF: 1024, lead, group: 128, perm: true, inputScale: true, bias: true, seed: 11 });
    }
  });

  if (quantInfo(dtype).family === 'affine') {
    it('int8 activations stay within the activation rounding bound', () => {
      fc.assert(fc.property(caseArb(dtype), (cs) => check(cs, 'int8')), { numRuns: 30 });
    });
  }
});

describe('linear: the JS backend gives the same results', () => {
  it('int4 with act-order, 5 tokens', () => {
    const cs: Case = { dtype: 'int4', out: 5, inF: 96, lead: [5], group: 32, perm: true, inputScale: true, bias: true, seed: 3 };
    setBackend('js');
    try {
      check(cs);
      check(cs, 'int8');
    } finally {
      setBackend('auto');
    }
  });
});

describe('linear with a dense weight', () => {
  it('equals x · Wᵀ + bias (f32 and f64)', () => {
    for (const dt of ['f32', 'f64'] as const) {
      const w = tensor(randomF32Data(5 * 7, 1), [5, 7], dt);
      const x = tensor(randomF32Data(3 * 7, 2), [3, 7], dt);
      const b = tensor(randomF32Data(5, 3), [5], dt);
      const y = linear(x, w, { bias: b });
      expect(y.shape).toEqual([3, 5]);
      expect(y.dtype).toBe(dt);
      const wd = w.data() as Float64Array;
      const xd = x.data() as Float64Array;
      const bd = b.data() as Float64Array;
      const got = y.data() as Float32Array | Float64Array;
      for (let i = 0; i < 3; i++) {
        for (let r = 0; r < 5; r++) {
          let want = bd[r];
          let abs = Math.abs(bd[r]);
          for (let c = 0; c < 7; c++) {
            want += xd[i * 7 + c] * wd[r * 7 + c];
            abs += Math.abs(xd[i * 7 + c] * wd[r * 7 + c]);
          }
          expect(Math.abs(got[i * 5 + r] - want)).toBeLessThanOrEqual(12 * (dt === 'f32' ? U : 2 ** -53) * abs);
        }
      }
    }
  });
});

describe('linear errors', () => {
  const q = quantize(tensor(randomF32Data(4 * 8, 1), [4, 8]), { dtype: 'int4' });
  const nf = quantize(tensor(randomF32Data(4 * 8, 1), [4, 8]), { dtype: 'nf4' });
  const x = (shape: number[]): Tensor => tensor(randomF32Data(shape.reduce((p, d) => p * d, 1), 2), shape);

  it('quotes both shapes when the features do not match', () => {
    expect(() => linear(x([2, 7]), q)).toThrow(ShapeError);
    expect(() => linear(x([2, 7]), q)).toThrow(/7 of x \[2,7\].*in = 8 of weight \[4,8\]/);
    expect(() => linear(x([2, 5]), tensor(randomF32Data(12, 1), [3, 4]))).toThrow(/\[2,5\].*\[3,4\]/);
  });

  it('rejects a bias of the wrong shape, a non-float x, a 0-d x, a weight that is not 2-D', () => {
    expect(() => linear(x([2, 8]), q, { bias: x([3]) })).toThrow(/bias \[3\] must have shape \[4\]/);
    expect(() => linear(tensor([1, 2, 3, 4, 5, 6, 7, 8], [8], 'int32'), q)).toThrow(DTypeError);
    expect(() => linear(tensor(1), q)).toThrow(ShapeError);
    expect(() => linear(x([8]), quantize(tensor(randomF32Data(8, 1), [8]), { dtype: 'int4' }))).toThrow(/2-D/);
  });

  it("activations 'int8' need an affine QTensor and finite inputs", () => {
    expect(() => linear(x([2, 8]), nf, { activations: 'int8' })).toThrow(ValueError);
    expect(() => linear(x([2, 8]), tensor(randomF32Data(32, 1), [4, 8]), { activations: 'int8' })).toThrow(/dense/);
    const bad = x([2, 8]);
    bad.set([1, 3], NaN);
    expect(() => linear(bad, q, { activations: 'int8' })).toThrow(/finite/);
  });

  it('a 1-D x gives a 1-D y', () => {
    expect(linear(x([8]), q).shape).toEqual([4]);
  });
});
