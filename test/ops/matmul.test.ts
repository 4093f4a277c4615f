/**
 * matmul against a naive f64 implementation of numpy's matmul rules (written here, sharing nothing
 * with src/ops/matmul.ts): vector cases, adversarial sizes (1, primes, non-multiples of the SIMD
 * widths and tile sizes), transposed and sliced views, broadcast batches, dtype promotion, errors,
 * on both backends. Plus an associativity property.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { setBackend, wasmRuntime } from '../../src/kernels/backend.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import { matmul } from '../../src/ops/matmul.js';
import { tensor, type Tensor } from '../../src/tensor.js';
import { mulberry32 } from '../arbitraries.js';

/** Naive numpy matmul on row-major f64 data. */
function naiveMatmul(a: Float64Array, sa: number[], b: Float64Array, sb: number[]): { data: Float64Array; shape: number[]; absSum: Float64Array } {
  const A = sa.length === 1 ? [1, sa[0]] : sa;
  const B = sb.length === 1 ? [sb[0], 1] : sb;
  const m = A[A.length - 2];
  const k = A[A.length - 1];
  const n = B[B.length - 1];
  if (B[B.length - 2] !== k) throw new Error('inner mismatch');
  const ba = A.slice(0, -2);
  const bb = B.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = ba[ba.length - r + i] ?? 1;
    const y = bb[bb.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error('batch mismatch');
    batch.push(Math.max(x, y) === 1 ? 1 : x === 1 ? y : x);
  }
  const nb = batch.reduce((p, q) => p * q, 1);
  const out = new Float64Array(nb * m * n);
  const abs = new Float64Array(nb * m * n);
  const batchOffset = (idx: number[], shape: number[], mat: number): number => {
    let off = 0;
    for (let d = 0; d < shape.length; d++) {
      const i = shape[d] === 1 ? 0 : idx[r - shape.length + d];
      off = off * shape[d] + i;
    }
    return off * mat;
  };
  for (let t = 0; t < nb; t++) {
    const idx: number[] = [];
    let rem = t;
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
    }
    const ao = batchOffset(idx, ba, m * k);
    const bo = batchOffset(idx, bb, k * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let sabs = 0;
        for (let p = 0; p < k; p++) {
          const v = a[ao + i * k + p] * b[bo + p * n + j];
          s += v;
          sabs += Math.abs(v);
        }
        out[t * m * n + i * n + j] = s;
        abs[t * m * n + i * n + j] = sabs;
      }
    }
  }
  const shape = [...batch, ...(sa.length > 1 ? [m] : []), ...(sb.length > 1 ? [n] : [])];
  return { data: out, shape, absSum: abs };
}

function randData(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => Math.fround(next() * 2 - 1));
}

const numel = (s: readonly number[]): number => s.reduce((p, q) => p * q, 1);

/** Checks matmul(a, b) against the naive product of their logical values. */
function check(a: Tensor, b: Tensor, what: string): void {
  const got = matmul(a, b);
  const want = naiveMatmul(Float64Array.from(a.data() as Float32Array), [...a.shape], Float64Array.from(b.data() as Float32Array), [...b.shape]);
  expect(got.shape, what).toEqual(want.shape);
  const f64 = got.dtype === 'f64';
  const k = a.shape[a.ndim - 1];
  const eps = f64 ? 2 ** -52 : 2 ** -23;
  const g = got.data() as Float32Array;
  for (let i = 0; i < want.data.length; i++) {
    const bound = (k + 2) * eps * want.absSum[i] + 1e-300;
    if (!(Math.abs(g[i] - want.data[i]) <= bound)) {
      throw new Error(`${what}[${i}]: ${g[i]} vs ${want.data[i]} (bound ${bound})`);
    }
  }
}

function rt(shape: number[], seed: number, dtype: 'f32' | 'f64' = 'f32'): Tensor {
  return tensor(randData(numel(shape), seed), shape, dtype);
}

const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 1], [7, 1, 5], [3, 5, 7], [13, 17, 11], [4, 8, 16], [9, 33, 31], [65, 3, 129], [37, 300, 19],
];

for (const backend of ['wasm', 'js'] as const) {
  describe(`matmul (${backend} backend)`, () => {
    afterAll(() => setBackend('auto'));

    it('2-D products of adversarial sizes, f32 and f64', () => {
      setBackend(backend);
      for (const [m, k, n] of SIZES) {
        for (const dt of ['f32', 'f64'] as const) check(rt([m, k], m * 7 + k, dt), rt([k, n], n * 3 + k, dt), `${dt} ${m}x${k}x${n}`);
      }
    });

    it('vector cases: 1-D·1-D, 1-D·2-D, 2-D·1-D, 1-D·batched', () => {
      setBackend(backend);
      check(rt([7], 1), rt([7], 2), 'dot');
      const dot = matmul(tensor([1, 2, 3]), tensor([4, 5, 6]));
      expect(dot.shape).toEqual([]);
      expect(dot.item()).toBe(32);
      check(rt([13], 3), rt([13, 5], 4), 'vec x mat');
      check(rt([6, 13], 5), rt([13], 6), 'mat x vec');
      check(rt([5], 7), rt([2, 3, 5, 4], 8), 'vec x batched');
      check(rt([2, 3, 4, 5], 9), rt([5], 10), 'batched x vec');
      check(rt([1, 9], 11), rt([9, 17], 12), 'row matrix (gemv path)');
      check(rt([17, 9], 13), rt([9, 1], 14), 'column matrix (gemv path)');
    });

    it('transposed and sliced views reach the kernel and give the same values', () => {
      setBackend(backend);
      const a = rt([19, 23], 21);
      const b = rt([29, 23], 22);
      check(a, b.transpose(), 'A Bt');
      check(a.transpose(), rt([19, 11], 23), 'At B');
      check(b, a.transpose(), 'B At');
      check(a.transpose(), rt([29, 19], 29).transpose(), 'At Bt');
      const big = rt([40, 50], 24);
      check(big.slice([3, 40, 2], [1, 30]), rt([29, 7], 25), 'strided rows slice');
      check(big.slice([0, 20], [0, 50, 3]), rt([17, 9], 26), 'strided column slice');
      check(rt([9], 27), big.slice([0, 18, 2], [5, 8]), 'vec x sliced');
      check(big.slice(null, [0, 1]).squeeze(1).unsqueeze(0), rt([40, 3], 28), 'row from column view');
      check(rt([6, 40], 29), big.slice(null, [7, 8]), 'matrix x column slice (strided gemv x)');
      check(rt([6, 25], 30), rt([50], 31).slice([0, 50, 2]), 'matrix x strided vector');
      check(rt([50], 32).slice([1, 50, 2]), rt([25, 6], 33), 'strided vector x matrix');
      check(rt([12, 10], 34).transpose(), big.slice([0, 12], [3, 4]), 'transposed matrix x column slice');
      if (backend === 'wasm') {
        // Views are not copied: the only live allocation a product leaves is its output.
        const heap = wasmRuntime().heap;
        const x = a.transpose();
        const y = big.slice([0, 19], [1, 40, 3]);
        const before = heap.stats().used;
        const out = matmul(x, y);
        expect(heap.stats().used - before).toBe(Math.ceil((out.size * 4) / 16) * 16);
        const v = matmul(x, big.slice([0, 19], 5).squeeze());
        expect(heap.stats().used - before).toBe(Math.ceil((out.size * 4) / 16) * 16 + Math.ceil((v.size * 4) / 16) * 16);
      }
    });

    it('batched products broadcast their leading dimensions', () => {
      setBackend(backend);
      check(rt([2, 1, 3, 5], 31), rt([4, 5, 2], 32), 'broadcast batch');
      check(rt([3, 4, 5], 33), rt([5, 6], 34), 'stack x matrix (folded)');
      check(rt([3, 1, 5], 35), rt([5, 6], 36), 'stack of rows x matrix (folded)');
      check(rt([4, 3, 5], 37).transpose(0, 1), rt([5, 6], 38), 'non-foldable stack x matrix');
      check(rt([5, 6], 39), rt([3, 6, 2], 40), 'matrix x stack');
      check(rt([2, 3, 4, 5], 41), rt([2, 3, 5, 7], 42).transpose(2, 3).transpose(2, 3), 'same batches');
      check(rt([1, 4, 5], 43).expand([3, 4, 5]), rt([3, 5, 2], 44), 'expanded (stride 0) batch');
      check(rt([2, 7, 5], 45), rt([2, 5, 1], 46), 'batched gemv');
    });

    it('empty dimensions: k = 0 gives zeros, m = 0 or n = 0 an empty result', () => {
      setBackend(backend);
      const z = matmul(rt([3, 0], 1), rt([0, 4], 2));
      expect(z.shape).toEqual([3, 4]);
      expect(Array.from(z.data() as Float32Array)).toEqual(new Array(12).fill(0));
      expect(matmul(rt([0, 3], 1), rt([3, 4], 2)).shape).toEqual([0, 4]);
      expect(matmul(rt([2, 3], 1), rt([3, 0], 2)).shape).toEqual([2, 0]);
      expect(matmul(rt([0, 2, 3], 1), rt([3, 4], 2)).shape).toEqual([0, 2, 4]);
      expect(matmul(rt([0], 1), rt([0], 2)).item()).toBe(0);
    });

    it('random shapes and layouts match the naive product (property)', () => {
      setBackend(backend);
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 0, max: 12 }),
          fc.integer({ min: 1, max: 12 }),
          fc.boolean(),
          fc.boolean(),
          fc.constantFrom<number[]>([], [1], [2], [2, 1], [1, 3]),
          fc.constantFrom<number[]>([], [1], [2], [3, 1], [1]),
          fc.integer({ min: 0, max: 1e6 }),
          (m, k, n, ta, tb, ba, bb, seed) => {
            const a = ta ? rt([...ba, k, m], seed).transpose(-1, -2) : rt([...ba, m, k], seed);
            const b = tb ? rt([...bb, n, k], seed + 1).transpose(-1, -2) : rt([...bb, k, n], seed + 1);
            const batchOk = (() => {
              const r = Math.max(ba.length, bb.length);
              for (let i = 0; i < r; i++) {
                const x = ba[ba.length - r + i] ?? 1;
                const y = bb[bb.length - r + i] ?? 1;
                if (x !== y && x !== 1 && y !== 1) return false;
              }
              return true;
            })();
            if (!batchOk) {
              expect(() => matmul(a, b)).toThrow(ShapeError);
              return;
            }
            check(a, b, `${[...a.shape]} x ${[...b.shape]}`);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}

describe('matmul dtypes and errors', () => {
  it('promotes mixed floats to f64 and computes other dtypes in f32', () => {
    const a = rt([3, 4], 1);
    const b = rt([4, 2], 2, 'f64');
    const ab = matmul(a, b);
    expect(ab.dtype).toBe('f64');
    check(a, b, 'f32 x f64');
    const i = tensor([[1, 2], [3, 4]], undefined, 'int32');
    const r = matmul(i, i);
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([[7, 10], [15, 22]]);
    const h = tensor([[1.5, 2], [3, 4]], undefined, 'f16');
    const rh = matmul(h, tensor([[2, 0], [0, 2]], undefined, 'bf16'));
    expect(rh.dtype).toBe('f32');
    expect(rh.toArray()).toEqual([[3, 4], [6, 8]]);
    expect(() => matmul(tensor([1, 2], undefined, 'int64'), tensor([1, 2]))).toThrow(DTypeError);
  });

  it('f64 results keep f64 precision', () => {
    // 1 + 2^-40 is not representable in f32.
    const a = tensor([[1 + 2 ** -40, 1]], undefined, 'f64');
    const b = tensor([[1], [2 ** -40]], undefined, 'f64');
    expect(matmul(a, b).item()).toBe(1 + 2 ** -39);
  });

  it('shape errors quote both shapes', () => {
    expect(() => matmul(rt([2, 384], 1), rt([512, 1024], 2))).toThrow('inner dimensions 384 and 512 of [2,384] x [512,1024] must match');
    expect(() => matmul(rt([3], 1), rt([4], 2))).toThrow('[3] x [4]');
    expect(() => matmul(rt([2, 3, 4], 1), rt([5, 4, 2], 2))).toThrow(/batch dimensions \[2\] and \[5\] of \[2,3,4\] x \[5,4,2\]/);
    expect(() => matmul(tensor(3), rt([3], 2))).toThrow(ShapeError);
  });

  it('is associative within rounding (property, f64)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1e6 }),
        (m, k, l, n, seed) => {
          const a = rt([m, k], seed, 'f64');
          const b = rt([k, l], seed + 1, 'f64');
          const c = rt([l, n], seed + 2, 'f64');
          const left = matmul(matmul(a, b), c).data() as Float64Array;
          const right = matmul(a, matmul(b, c)).data() as Float64Array;
          // Entries of |A||B||C| are at most k*l (inputs in [-1, 1]).
          const tol = 4 * (k + l) * k * l * 2 ** -52;
          for (let i = 0; i < left.length; i++) expect(Math.abs(left[i] - right[i])).toBeLessThanOrEqual(tol);
        },
      ),
      { numRuns: 50 },
    );
  });
});
