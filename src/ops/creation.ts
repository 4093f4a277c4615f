/**
 * Creation ops: tensors filled by rule (zeros, ones, full, arange, linspace, eye) and their `*Like`
 * forms. `tensor(data)` and `empty(shape)` live in src/tensor.ts; random tensors in random.ts.
 * Values are converted to the dtype as a cast does (src/ops/cast.ts).
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { checkDenseDType, type DenseDType } from '../dtype/table.js';
import { DEFAULT_FLOAT, DEFAULT_INT } from '../dtype/promote.js';
import { Tensor, checkShape, checkTensor, empty, writeElement } from '../tensor.js';

/** The checks every creation op runs first, so its errors name it rather than the op it calls. */
function checkArgs(op: string, shape: readonly number[], dtype: DenseDType): void {
  checkShape(shape, op);
  checkDenseDType(op, dtype);
}

/**
 * A tensor of zeros.
 * @example
 * zeros([2, 3]);          // f32
 * zeros([4], 'int32');
 */
export function zeros(shape: readonly number[], dtype: DenseDType = DEFAULT_FLOAT): Tensor {
  checkArgs('zeros', shape, dtype);
  return empty(shape, dtype); // storage is allocated zeroed, and 0 is all-zero bits in every dtype
}

/**
 * A tensor of ones.
 * @example
 * ones([3], 'bf16').toArray(); // [1, 1, 1]
 */
export function ones(shape: readonly number[], dtype: DenseDType = DEFAULT_FLOAT): Tensor {
  checkArgs('ones', shape, dtype);
  return full(shape, 1, dtype);
}

/**
 * A tensor with every element `value` (converted to `dtype` as a cast does). The dtype defaults to
 * bool for a boolean value and f32 otherwise.
 * @example
 * full([2, 2], 7, 'int8').toArray(); // [[7, 7], [7, 7]]
 * full([2], true).dtype;             // 'bool'
 */
export function full(shape: readonly number[], value: number | boolean, dtype?: DenseDType): Tensor {
  const dt = dtype ?? (typeof value === 'boolean' ? 'bool' : DEFAULT_FLOAT);
  checkArgs('full', shape, dt);
  return empty(shape, dt).fill(Number(value));
}

/**
 * Zeros with the shape (and by default the dtype) of `t`.
 * @example
 * zerosLike(t).shape === t.shape
 */
export function zerosLike(t: Tensor, dtype?: DenseDType): Tensor {
  checkTensor('zerosLike', t);
  const dt = dtype ?? t.dtype;
  checkDenseDType('zerosLike', dt);
  return zeros(t.shape, dt);
}

/**
 * Ones with the shape (and by default the dtype) of `t`.
 * @example
 * onesLike(zeros([2], 'int8')).toArray(); // [1, 1]
 */
export function onesLike(t: Tensor, dtype?: DenseDType): Tensor {
  checkTensor('onesLike', t);
  const dt = dtype ?? t.dtype;
  checkDenseDType('onesLike', dt);
  return ones(t.shape, dt);
}

/**
 * `value` everywhere, with the shape (and by default the dtype) of `t`.
 * @example
 * fullLike(zeros([2]), 3).toArray(); // [3, 3]
 */
export function fullLike(t: Tensor, value: number | boolean, dtype?: DenseDType): Tensor {
  checkTensor('fullLike', t);
  const dt = dtype ?? t.dtype;
  checkDenseDType('fullLike', dt);
  return full(t.shape, value, dt);
}

/**
 * Evenly spaced values in [start, stop): `arange(n)` is 0..n-1. Element i is `start + i * step`
 * (computed per element, not accumulated). The dtype defaults to int32 when start, stop and step are
 * integers, f32 otherwise. The length is numpy's, `ceil((stop - start) / step)`, so with a fractional
 * step round-off can put the last element at or past `stop`, as in numpy (f64 `arange(1, 1.3, 0.1)`
 * ends with 1.3000000000000003); `linspace` gives exact endpoints.
 * @throws ValueError for a zero or non-finite step
 * @example
 * arange(4).toArray();            // [0, 1, 2, 3]  (int32)
 * arange(1, 2, 0.25).toArray();   // [1, 1.25, 1.5, 1.75]  (f32)
 * arange(5, 0, -2).toArray();     // [5, 3, 1]
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DenseDType): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ValueError(`arange: start, stop and step must be finite and step non-zero, got ${start}, ${stop}, ${step}`);
  }
  const dt = dtype ?? (Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step) ? DEFAULT_INT : DEFAULT_FLOAT);
  checkDenseDType('arange', dt);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const t = empty([n], dt);
  const raw = t.raw();
  for (let i = 0; i < n; i++) writeElement(dt, raw, i, start + i * step);
  return t;
}

/**
 * `num` evenly spaced values from start to stop (inclusive unless `endpoint: false`). Element i is
 * `start + i * step` and, with the endpoint, the last element is exactly `stop` (as numpy).
 * @example
 * linspace(0, 1, 5).toArray();                      // [0, 0.25, 0.5, 0.75, 1]
 * linspace(0, 1, 4, { endpoint: false }).toArray(); // [0, 0.25, 0.5, 0.75]
 */
export function linspace(
  start: number,
  stop: number,
  num: number,
  opts: { endpoint?: boolean; dtype?: DenseDType } = {},
): Tensor {
  checkOptions('linspace', opts);
  const { endpoint = true, dtype = DEFAULT_FLOAT } = opts;
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  checkDenseDType('linspace', dtype);
  const t = empty([num], dtype);
  const raw = t.raw();
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) writeElement(dtype, raw, i, start + i * step);
  if (endpoint && num > 1) writeElement(dtype, raw, num - 1, stop);
  return t;
}

/**
 * An n×m matrix with ones on diagonal `k` (0: main, >0: above, <0: below) and zeros elsewhere.
 * @example
 * eye(2).toArray();                  // [[1, 0], [0, 1]]
 * eye(2, 3, { k: 1 }).toArray();     // [[0, 1, 0], [0, 0, 1]]
 */
export function eye(n: number, m: number = n, opts: { k?: number; dtype?: DenseDType } = {}): Tensor {
  checkOptions('eye', opts);
  const { k = 0, dtype = DEFAULT_FLOAT } = opts;
  if (!Number.isInteger(k)) throw new ValueError(`eye: k must be an integer, got ${k}`);
  for (const d of [n, m]) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`eye: invalid shape ${fmtShape([n, m])}`);
  }
  checkDenseDType('eye', dtype);
  const t = empty([n, m], dtype);
  const raw = t.raw();
  for (let i = 0; i < n; i++) {
    const j = i + k;
    if (j >= 0 && j < m) writeElement(dtype, raw, i * m + j, 1);
  }
  return t;
}
