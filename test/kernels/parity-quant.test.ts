/**
 * Parity of the packed-weight kernels (qdequant_f32, qmatmul_f32, qmatmul_i8) for every quantized
 * dtype: JS reference and WASM (both qmatmul paths: fused GEMV and slab GEMM) against a naive decode
 * written here from the storage contract (unpackRows + the formulas of src/qtensor.ts), on random
 * and adversarial shapes (in = 1, primes, non-multiples of 4/16/32 and of the group, ragged last
 * group, out = 1), every granularity, symmetric or not, VQ codebooks of dim 1/2/4/8.
 *
 * Tolerances (u = 2^-24):
 * - qdequant_f32: bit-exact (JS and WASM).
 * - qmatmul_f32: |got - exact| <= (k + 8) u sum_j mag_j with mag_j = s_g (c_j + z_g) |x_j| (affine,
 *   the WASM kernel folds the zero point per group) or |w_j x_j| (table formats).
 * - qmatmul_i8: WASM bit-identical to JS; JS within the activation rounding of the exact product:
 *   |got - exact| <= sum_j |w_j| xs_b / 2 (+ the float bound above), xs_b = amax_b / 127.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantInfo, QUANT_DTYPES, type QuantDType } from '../../src/dtype/table.js';
import { unpackRows } from '../../src/dtype/pack.js';
import { KERNELS } from '../../src/kernels/table.js';
import { actBlocks } from '../../src/kernels/js/quant.js';
import { qmatmulF32WasmPath } from '../../src/kernels/wasm/quant.js';
import { qweightArgs } from '../../src/kernels/qweight.js';
import { Storage } from '../../src/memory/storage.js';
import { getThreads, setThreads, threadStats } from '../../src/kernels/threads.js';
import { quantize, type QuantizeOptions } from '../../src/ops/quant.js';
import type { QTensor } from '../../src/qtensor.js';
import { tensor } from '../../src/tensor.js';
import { randomF32Data } from '../arbitraries.js';
import { rng } from './helpers.js';

const U = 2 ** -24;

interface Case {
  dtype: QuantDType;
  n: number;
  k: number;
  m: number;
  group: number | 'channel' | 'tensor';
  symmetric: boolean;
  indexBits: number;
  vectorDim: number;
  seed: number;
  /** Codebook entries cut to bf16 (low 16 bits zero): the table loop's two-plane gather. */
  bf16Codebook?: boolean;
}

/** Naive decode from the storage contract: codes, per-element value and its magnitude factor. */
function naive(q: QTensor): { w: Float64Array; mag: Float64Array } {
  const { rows, cols, codesPerRow, nGroups } = q.geometry;
  const qp = q.qparams;
  const facts = quantInfo(q.dtype);
  const codes = unpackRows(q.codes.data() as Uint8Array, rows, codesPerRow, q.bits);
  const scales = qp.scales ? (qp.scales.data() as Float32Array) : null;
  const zeros = qp.zeros ? (qp.zeros.data() as Uint8Array) : null;
  const cb = qp.codebook ? (qp.codebook.data() as Float32Array) : null;
  const d = qp.vectorDim ?? 1;
  const w = new Float64Array(rows * cols);
  const mag = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const g = qp.perTensor ? 0 : Math.floor(j / qp.groupSize);
      const si = qp.perTensor ? 0 : r * nGroups + g;
      const s = scales ? scales[si] : 1;
      let v: number;
      if (facts.family === 'affine') {
        const c = codes[r * codesPerRow + j];
        const z = zeros ? zeros[si] : 2 ** (q.bits - 1);
        v = Math.fround((c - z) * s);
        mag[r * cols + j] = s * (c + z);
      } else if (facts.family === 'codebook') {
        const c = codes[r * codesPerRow + Math.floor(j / d)];
        v = Math.fround(cb![c * d + (j % d)] * s);
        mag[r * cols + j] = Math.abs(v);
      } else {
        v = Math.fround(facts.values![codes[r * codesPerRow + j]] * s);
        mag[r * cols + j] = Math.abs(v);
      }
      w[r * cols + j] = v;
    }
  }
  return { w, mag };
}

function makeQ(cs: Case): QTensor {
  const x = tensor(randomF32Data(cs.n * cs.k, cs.seed), [cs.n, cs.k]);
  const opts: QuantizeOptions = { dtype: cs.dtype };
  const facts = quantInfo(cs.dtype);
  if (facts.family === 'affine') {
    return quantize(x, { ...opts, groupSize: cs.group, symmetric: cs.symmetric, scaleDtype: 'f32' });
  }
  if (facts.family === 'lut') return quantize(x, { ...opts, groupSize: cs.group, scaleDtype: cs.symmetric ? 'f16' : 'f32' });
  if (facts.family === 'mx') return quantize(x, opts);
  const next = rng(cs.seed + 1);
  const entries = 2 ** cs.indexBits;
  const cbData = Float32Array.from({ length: entries * cs.vectorDim }, () => next() * 2 - 1);
  if (cs.bf16Codebook) {
    // spread over many binades, so the exponent byte varies as well as the mantissa's top bits
    for (let e = 0; e < cbData.length; e++) cbData[e] *= 2 ** ((e % 13) - 6);
    new Uint32Array(cbData.buffer).forEach((b, e, u) => (u[e] = b & 0xffff0000));
  }
  const codebook = tensor(cbData, [entries, cs.vectorDim]);
  // groups must hold whole vectors: round a numeric group up to a multiple of vectorDim
  const group = typeof cs.group === 'number' ? Math.ceil(cs.group / cs.vectorDim) * cs.vectorDim : undefined;
  return quantize(x, { ...opts, codebook, ...(group !== undefined && cs.symmetric ? { groupSize: group } : {}) });
}

function f32Ref(data: Float32Array): { storage: Storage; offset: number } {
  return { storage: Storage.from(data), offset: 0 };
}

function run(cs: Case): void {
  const q = makeQ(cs);
  const { n, k, m } = cs;
  const { w, mag } = naive(q);
  // dequantize kernel: bit-exact
  for (const impl of ['js', 'wasm'] as const) {
    const out = f32Ref(new Float32Array(n * k).fill(NaN));
    KERNELS.qdequant_f32[impl]!({ ...qweightArgs(q), out, r0: 0, r1: n });
    const got = out.storage.view(Float32Array);
    for (let i = 0; i < n * k; i++) {
      if (got[i] !== w[i]) throw new Error(`qdequant ${impl} ${JSON.stringify(cs)} [${i}]: ${got[i]} vs ${w[i]}`);
    }
  }
  // activations with a padded row stride
  const rsx = k + 3;
  const rsy = n + 2;
  const xd = randomF32Data(m * rsx, cs.seed + 7);
  const want = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      let b = 0;
      for (let j = 0; j < k; j++) {
        s += w[r * k + j] * xd[i * rsx + j];
        b += mag[r * k + j] * Math.abs(xd[i * rsx + j]);
      }
      want[i * n + r] = s;
      bound[i * n + r] = (k + 8) * U * b + 1e-300;
    }
  }
  const runF32 = (label: string, f: (a: Parameters<typeof KERNELS.qmatmul_f32.js>[0]) => void): void => {
    const y = f32Ref(new Float32Array(m * rsy).fill(NaN));
    f({ ...qweightArgs(q), m, x: f32Ref(xd), rsx, y, rsy, r0: 0, r1: n });
    const got = y.storage.view(Float32Array);
    for (let i = 0; i < m; i++) {
      for (let r = 0; r < n; r++) {
        const g = got[i * rsy + r];
        const e = want[i * n + r];
        if (!(Math.abs(g - e) <= bound[i * n + r])) {
          throw new Error(`qmatmul_f32 ${label} ${JSON.stringify(cs)} [${i},${r}]: ${g} vs ${e}, bound ${bound[i * n + r]}`);
        }
      }
      // padding columns of y stay untouched
      for (let r = n; r < rsy && i < m - 1; r++) expect(Number.isNaN(got[i * rsy + r])).toBe(true);
    }
  };
  runF32('js', KERNELS.qmatmul_f32.js);
  runF32('wasm', KERNELS.qmatmul_f32.wasm!);
  runF32('wasm-gemv', (a) => qmatmulF32WasmPath(a, 'gemv'));
  runF32('wasm-gemm', (a) => qmatmulF32WasmPath(a, 'gemm'));

  if (quantInfo(cs.dtype).family !== 'affine') return;
  // int8 activations: WASM bits = JS bits; JS within the activation rounding of the exact product
  const ys: Float32Array[] = [];
  for (const impl of ['js', 'wasm'] as const) {
    const y = f32Ref(new Float32Array(m * rsy));
    KERNELS.qmatmul_i8[impl]!({ ...qweightArgs(q), m, x: f32Ref(xd), rsx, y, rsy, r0: 0, r1: n });
    ys.push(y.storage.view(Float32Array).slice());
  }
  expect(ys[1], `qmatmul_i8 wasm vs js ${JSON.stringify(cs)}`).toEqual(ys[0]);
  const gs = q.qparams.perTensor ? k : q.qparams.groupSize;
  const blocks = actBlocks(k, gs);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) {
      let act = 0;
      for (let b = 0; b < blocks.start.length; b++) {
        let amax = 0;
        for (let j = blocks.start[b]; j < blocks.end[b]; j++) amax = Math.max(amax, Math.abs(xd[i * rsx + j]));
        for (let j = blocks.start[b]; j < blocks.end[b]; j++) act += Math.abs(w[r * k + j]) * (amax / 127 / 2) * (1 + 1e-6);
      }
      const g = ys[0][i * rsy + r];
      const e = want[i * n + r];
      const lim = act + 2 * bound[i * n + r] + 4 * U * Math.abs(e);
      if (!(Math.abs(g - e) <= lim)) throw new Error(`qmatmul_i8 ${JSON.stringify(cs)} [${i},${r}]: ${g} vs ${e}, bound ${lim}`);
    }
  }
  q.dispose();
}

const ADV_K = [1, 2, 3, 5, 7, 8, 13, 16, 31, 32, 33, 37, 63, 64, 65, 97, 128, 131, 160, 257];
const ADV_N = [1, 2, 3, 4, 5, 7, 9];

const caseArb = (dtype: QuantDType) =>
  fc
    .record({
      n: fc.oneof(fc.constantFrom(...ADV_N), fc.integer({ min: 1, max: 12 })),
      k: fc.oneof(fc.constantFrom(...ADV_K), fc.integer({ min: 1, max: 300 })),
      m: fc.constantFrom(1, 2, 3, 6, 9),
      groupKind: fc.constantFrom('channel', 'tensor', 'num32', 'num'),
      groupNum: fc.integer({ min: 1, max: 300 }),
      symmetric: fc.boolean(),
      indexBits: fc.integer({ min: 1, max: 6 }),
      vectorDim: fc.constantFrom(1, 2, 4, 8),
      seed: fc.nat(),
    })
    .map(({ groupKind, groupNum, ...r }): Case => {
      const group =
        groupKind === 'num32' ? 32 * Math.max(1, Math.ceil(Math.min(groupNum, r.k) / 32)) : groupKind === 'num' ? groupNum : groupKind;
      return { ...r, dtype, group: group as Case['group'] };
    });

describe.each(QUANT_DTYPES)('quant kernels parity %s', (dtype) => {
  it('random and adversarial shapes and granularities', () => {
    fc.assert(fc.property(caseArb(dtype), (cs) => run(cs)), { numRuns: 60 });
  });

  it('real-size rows: k = 4096 in groups of 128, and k = 4099 per channel', () => {
    run({ dtype, n: 5, k: 4096, m: 1, group: 128, symmetric: false, indexBits: 4, vectorDim: 4, seed: 3 });
    run({ dtype, n: 3, k: 4099, m: 7, group: 'channel', symmetric: true, indexBits: 8, vectorDim: 2, seed: 4 });
  });

  it('many tokens: the int8 tiles over several column slices, an odd token out of the 2-token tiles, a ragged last group', () => {
    // 37 tokens of k = 4133: the general int8 tiles (ragged last group) over five column slices;
    // n = 9: two 4-row quads and a leftover row
    run({ dtype, n: 9, k: 4133, m: 37, group: 128, symmetric: false, indexBits: 4, vectorDim: 4, seed: 8 });
  });
});

describe('16-entry codebooks of bf16 values (two byte planes gathered, as for fp4)', () => {
  it('random and adversarial shapes, per-group scales of 32 (one chunk) and others', () => {
    const arb = caseArb('codebook').map((cs): Case => ({ ...cs, indexBits: 4, vectorDim: 1, bf16Codebook: true }));
    fc.assert(fc.property(arb, (cs) => run(cs)), { numRuns: 60 });
    run({ dtype: 'codebook', n: 9, k: 4096, m: 1, group: 32, symmetric: true, indexBits: 4, vectorDim: 1, seed: 31, bf16Codebook: true });
    run({ dtype: 'codebook', n: 6, k: 4099, m: 2, group: 128, symmetric: true, indexBits: 4, vectorDim: 1, seed: 32, bf16Codebook: true });
  });
});

describe('quant kernels on several threads', () => {
  it('give bit-identical results for any thread count (gemv, gemm, int8, dequantize)', () => {
    const n = 203;
    const k = 4096;
    const q = quantize(tensor(randomF32Data(n * k, 5), [n, k]), { dtype: 'int4', groupSize: 128 });
    const run1 = (): Float32Array[] => {
      const outs: Float32Array[] = [];
      for (const m of [1, 9]) {
        const x = f32Ref(randomF32Data(m * k, 6));
        for (const f of [KERNELS.qmatmul_f32.wasm!, KERNELS.qmatmul_i8.wasm!]) {
          const y = f32Ref(new Float32Array(m * n));
          f({ ...qweightArgs(q), m, x, rsx: k, y, rsy: n, r0: 0, r1: n });
          outs.push(y.storage.view(Float32Array).slice());
        }
      }
      const out = f32Ref(new Float32Array(n * k));
      KERNELS.qdequant_f32.wasm!({ ...qweightArgs(q), out, r0: 0, r1: n });
      outs.push(out.storage.view(Float32Array).slice());
      return outs;
    };
    const one = run1();
    setThreads(2);
    try {
      expect(getThreads()).toBe(2);
      const two = run1();
      expect(threadStats().workerItems).toBeGreaterThan(0); // the calls were split (a worker still starting leaves its share to this thread)
      for (let i = 0; i < one.length; i++) expect(two[i]).toEqual(one[i]);
    } finally {
      setThreads(1);
    }
    q.dispose();
  });
});

describe('int8 tiles of qmatmul_i8 (many tokens)', () => {
  it('span several column slices and token blocks, with an odd token and a leftover row', () => {
    // k = 4096 in groups of 128: four 1024-column slices; 151 tokens: a full 128-token block, then
    // eleven pairs and an odd token (and for qgemm_f32 a full token block of MC = 128 or 140, then a
    // short one); n = 9: two quads and a leftover row
    for (const dtype of ['int4', 'int3', 'int8'] as const) {
      run({ dtype, n: 9, k: 4096, m: 151, group: 128, symmetric: false, indexBits: 4, vectorDim: 4, seed: 21 });
    }
    // groups of 32 (32 per slice) and symmetric codes
    run({ dtype: 'int4', n: 5, k: 2048, m: 10, group: 32, symmetric: true, indexBits: 4, vectorDim: 4, seed: 22 });
  });

  it('whole 32-column chunks with a ragged last group take the general tile (k below the group, k not a multiple of it)', () => {
    // k = 64 in one group of 128, k = 96 in groups of 64, k = 160 in groups of 96 (not whole chunks)
    for (const dtype of ['int4', 'int2', 'int8'] as const) {
      run({ dtype, n: 4, k: 64, m: 6, group: 128, symmetric: false, indexBits: 4, vectorDim: 4, seed: 23 });
      run({ dtype, n: 8, k: 96, m: 5, group: 64, symmetric: true, indexBits: 4, vectorDim: 4, seed: 24 });
      run({ dtype, n: 4, k: 160, m: 4, group: 96, symmetric: false, indexBits: 4, vectorDim: 4, seed: 25 });
    }
  });

  it('take any u8 zero point (4-bit zeros past 15 leave the tiles): bit-identical to the reference', () => {
    const n = 8;
    const k = 256;
    const m = 6;
    const q = quantize(tensor(randomF32Data(n * k, 31), [n, k]), { dtype: 'int4', groupSize: 64, scaleDtype: 'f32' });
    const w = qweightArgs(q);
    const zeros = Uint8Array.from(q.qparams.zeros!.data() as Uint8Array);
    zeros[5] = 200;
    zeros[17] = 255;
    const args = { ...w, zeros: { storage: Storage.from(zeros), offset: 0 } };
    const x = f32Ref(randomF32Data(m * k, 32));
    const ys = (['js', 'wasm'] as const).map((impl) => {
      const y = f32Ref(new Float32Array(m * n));
      KERNELS.qmatmul_i8[impl]!({ ...args, m, x, rsx: k, y, rsy: n, r0: 0, r1: n });
      return y.storage.view(Float32Array).slice();
    });
    expect(ys[1]).toEqual(ys[0]);
    q.dispose();
  });
});
