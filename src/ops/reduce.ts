/**
 * Reductions over one axis, several axes or the whole tensor, with `keepdims`: sum, prod, mean,
 * variance, std, max, min, argmax, argmin, norm, any, all. Not elementwise ops and not matmul.
 *
 * How: the input is walked once in its logical row-major order (`forEachRow`) next to an f64
 * accumulator laid out like the output, with stride 0 on the reduced axes. So every reduction
 * accumulates in f64, whatever the input dtype (f32 and f16 sums are accumulated in f64 and rounded
 * once into the result; bf16 results are rounded through f32, as every conversion to bf16 here,
 * src/dtype/half.ts), and each output's elements are added in row-major order: a sum
 * equals the plain sequential f64 loop, independent of strides.
 *
 * Result dtypes: sum and prod keep float dtypes and give int32 for integers and bool (exact in the
 * f64 accumulator up to 2^53, then wrapped to int32; prod of integers wraps exactly via Math.imul);
 * mean, variance, std and norm give the float dtype (f32 for integer inputs); max and min keep the
 * dtype; argmax and argmin give int32 indices; any and all give bool.
 * NaN: sum/prod/mean/variance propagate it by arithmetic; max, min, argmax and argmin propagate it
 * like numpy (the first NaN wins). max/min/argmax/argmin of an empty axis throw ValueError; the sum
 * of nothing is 0, the product 1, the mean NaN.
 */
import { ShapeError, ValueError, checkOptions, describeValue, fmtShape, withOp } from '../errors.js';
import { DEFAULT_INT, floatDType, isFloatDType, isIntDType } from '../dtype/promote.js';
import type { DenseDType } from '../dtype/table.js';
import { Tensor, checkTensor, contiguousStrides, empty, shapeSize } from '../tensor.js';
import { reshape } from './movement.js';
import { numOperand, storeF64, type NumOperand } from './operand.js';
import { forEachRow, normalizeAxes, normalizeAxis, type NumArray } from './strided.js';

/** Axes to reduce: one, several, or all (undefined/null). Negative axes count from the end. */
export type Axes = number | readonly number[] | null | undefined;

/** Options of every reduction. */
export interface ReduceOptions {
  /** Keep reduced axes as size-1 dimensions (default false). */
  keepdims?: boolean;
}

/**
 * One row of the walk: input `a` from `ia` by `sa`, accumulator `acc` from `io` by `so` (0 when the
 * whole row reduces into one output), `aux` laid out like `acc` (the mean for variance, the scale for
 * the scaled 2-norm).
 */
type AccLoop = (a: NumArray, ia: number, sa: number, acc: Float64Array, io: number, so: number, n: number, aux: Float64Array) => void;

const SUM: AccLoop = (a, ia, sa, acc, io, so, n) => {
  if (so === 0) {
    let s = acc[io];
    for (let k = 0; k < n; k++, ia += sa) s += a[ia];
    acc[io] = s;
  } else for (let k = 0; k < n; k++, ia += sa, io += so) acc[io] += a[ia];
};
const SUMABS: AccLoop = (a, ia, sa, acc, io, so, n) => {
  if (so === 0) {
    let s = acc[io];
    for (let k = 0; k < n; k++, ia += sa) s += Math.abs(a[ia]);
    acc[io] = s;
  } else for (let k = 0; k < n; k++, ia += sa, io += so) acc[io] += Math.abs(a[ia]);
};
const SUMSQ: AccLoop = (a, ia, sa, acc, io, so, n) => {
  if (so === 0) {
    let s = acc[io];
    for (let k = 0; k < n; k++, ia += sa) s += a[ia] * a[ia];
    acc[io] = s;
  } else for (let k = 0; k < n; k++, ia += sa, io += so) acc[io] += a[ia] * a[ia];
};
/** Σ (x - aux)^2: aux is the mean (variance) or, negated to 0, unused. */
const SUMSQDEV: AccLoop = (a, ia, sa, acc, io, so, n, aux) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) {
    const d = a[ia] - aux[io];
    acc[io] += d * d;
  }
};
/** Σ (x / aux)^2: aux is a per-output scale (the max |x|) that keeps f64 squares in range. */
const SUMSQSCALED: AccLoop = (a, ia, sa, acc, io, so, n, aux) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) {
    const d = a[ia] / aux[io];
    acc[io] += d * d;
  }
};
const PROD: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) acc[io] *= a[ia];
};
const PROD_INT: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) acc[io] = Math.imul(acc[io], a[ia]);
};
const MAX: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) {
    const v = a[ia];
    // Once the accumulator is NaN neither test passes again, so the first NaN sticks.
    if (v > acc[io] || v !== v) acc[io] = v;
  }
};
const MIN: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) {
    const v = a[ia];
    if (v < acc[io] || v !== v) acc[io] = v;
  }
};
const MAXABS: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) {
    const v = Math.abs(a[ia]);
    if (v > acc[io] || v !== v) acc[io] = v;
  }
};
const MINABS: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) {
    const v = Math.abs(a[ia]);
    if (v < acc[io] || v !== v) acc[io] = v;
  }
};
const ANY: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) if (a[ia] !== 0) acc[io] = 1;
};
const ALL: AccLoop = (a, ia, sa, acc, io, so, n) => {
  for (let k = 0; k < n; k++, ia += sa, io += so) if (a[ia] === 0) acc[io] = 0;
};

/** Shapes and strides of one reduction. */
interface Plan {
  axes: number[];
  /** Output shape (reduced axes dropped, or kept as 1 with keepdims). */
  outShape: number[];
  /** Strides into the accumulator for each input axis (0 on reduced axes). */
  accStrides: number[];
  outSize: number;
  /** Elements reduced into each output. */
  count: number;
}

/** `keepdims` of a reduction's options, checked (plain-JS callers can pass anything). */
function keepdimsOf(op: string, opts: ReduceOptions): boolean {
  checkOptions(op, opts);
  const { keepdims = false } = opts;
  if (typeof keepdims !== 'boolean') throw new ValueError(`${op}: keepdims must be a boolean, got ${describeValue(keepdims)}`);
  return keepdims;
}

/** The entry of every reduction but argmax/argmin: checks the arguments and lays out the walk. */
function plan(op: string, t: Tensor, axis: Axes, opts: ReduceOptions): Plan {
  checkTensor(op, t);
  const keepdims = keepdimsOf(op, opts);
  const axes = withOp(op, () => normalizeAxes(axis, t.shape));
  const red = new Set(axes);
  const kept = t.shape.map((d, i) => (red.has(i) ? 1 : d));
  const accStrides = contiguousStrides(kept).map((s, i) => (red.has(i) ? 0 : s));
  const outShape = keepdims ? kept : t.shape.filter((_, i) => !red.has(i));
  let count = 1;
  for (const a of axes) count *= t.shape[a];
  return { axes, outShape, accStrides, outSize: shapeSize(outShape), count };
}

/** Walks `A` (of shape `shape`) into a fresh accumulator. */
function walk(A: NumOperand, shape: readonly number[], p: Plan, loop: AccLoop, init: number, aux?: Float64Array): Float64Array {
  const acc = new Float64Array(p.outSize);
  if (init !== 0) acc.fill(init);
  const x = aux ?? acc;
  forEachRow(shape, [A.strides, p.accStrides], [A.offset, 0], (pos, n, inner) =>
    loop(A.data, pos[0], inner[0], acc, pos[1], inner[1], n, x),
  );
  return acc;
}

function finish(p: Plan, dtype: DenseDType, values: Float64Array): Tensor {
  const out = empty(p.outShape, dtype);
  storeF64(out, values);
  return out;
}

function emptyCheck(op: string, t: Tensor, p: Plan): void {
  if (p.count === 0 && p.outSize > 0) {
    throw new ValueError(`${op} of an empty axis: shape ${fmtShape(t.shape)} along axes [${p.axes.join(',')}]`);
  }
}

/** Integer sums and products are returned as int32 (the default integer); floats keep their dtype. */
const sumDType = (d: DenseDType): DenseDType => (isFloatDType(d) ? d : DEFAULT_INT);

/**
 * Sum over `axis` (all axes by default), accumulated in f64.
 * @example
 * sum(tensor([[1, 2], [3, 4]])).item();           // 10
 * sum(tensor([[1, 2], [3, 4]]), 0).toArray();     // [4, 6]
 * sum(tensor([[1, 2], [3, 4]]), 1, { keepdims: true }).shape; // [2, 1]
 */
export function sum(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('sum', t, axis, opts);
  return finish(p, sumDType(t.dtype), walk(numOperand(t, 'sum'), t.shape, p, SUM, 0));
}

/**
 * Product over `axis` (all by default); integer products wrap exactly in int32.
 * @example
 * prod(tensor([1, 2, 3, 4])).item(); // 24
 */
export function prod(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('prod', t, axis, opts);
  const loop = isIntDType(t.dtype) || t.dtype === 'bool' ? PROD_INT : PROD;
  return finish(p, sumDType(t.dtype), walk(numOperand(t, 'prod'), t.shape, p, loop, 1));
}

/**
 * Mean over `axis` (all by default); f32 for integer inputs, NaN for an empty reduction.
 * @example
 * mean(tensor([1, 2, 3, 4]), 0).item(); // 2.5
 */
export function mean(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('mean', t, axis, opts);
  const acc = walk(numOperand(t, 'mean'), t.shape, p, SUM, 0);
  for (let i = 0; i < acc.length; i++) acc[i] /= p.count;
  return finish(p, floatDType(t.dtype), acc);
}

/** Options of `variance` and `std`. */
export interface VarianceOptions extends ReduceOptions {
  /**
   * Subtracted from the element count in the divisor (numpy's `ddof`, torch's `correction`): 0 (the
   * default, numpy's) is the population variance, 1 the unbiased sample variance. A divisor of 0 or
   * less gives Inf or NaN.
   */
  correction?: number;
}

function varianceAcc(op: string, t: Tensor, p: Plan, correction: number): Float64Array {
  if (!Number.isFinite(correction)) throw new ValueError(`${op}: correction must be finite, got ${correction}`);
  const A = numOperand(t, op);
  const m = walk(A, t.shape, p, SUM, 0);
  for (let i = 0; i < m.length; i++) m[i] /= p.count;
  // Two passes (mean, then squared deviations) avoid the cancellation of E[x^2] - E[x]^2.
  const acc = walk(A, t.shape, p, SUMSQDEV, 0, m);
  const div = Math.max(p.count - correction, 0);
  for (let i = 0; i < acc.length; i++) acc[i] /= div;
  return acc;
}

/**
 * Variance over `axis` (all by default): Σ(x - mean)² / (N - correction), two-pass in f64. Named
 * `variance` because `var` is a JS keyword.
 * @example
 * variance(tensor([1, 2, 3, 4])).item();                     // 1.25
 * variance(tensor([1, 2, 3, 4]), null, { correction: 1 }).item(); // 1.6666666269302368 (f32)
 */
export function variance(t: Tensor, axis?: Axes, opts: VarianceOptions = {}): Tensor {
  const p = plan('variance', t, axis, opts);
  return finish(p, floatDType(t.dtype), varianceAcc('variance', t, p, opts.correction ?? 0));
}

/**
 * Standard deviation: √variance (same options).
 * @example
 * std(tensor([1, 3])).item(); // 1
 */
export function std(t: Tensor, axis?: Axes, opts: VarianceOptions = {}): Tensor {
  const p = plan('std', t, axis, opts);
  const acc = varianceAcc('std', t, p, opts.correction ?? 0);
  for (let i = 0; i < acc.length; i++) acc[i] = Math.sqrt(acc[i]);
  return finish(p, floatDType(t.dtype), acc);
}

/**
 * Maximum over `axis` (all by default), same dtype; NaN propagates.
 * @throws ValueError for an empty axis
 * @example
 * max(tensor([[1, 5], [3, 2]]), 1).toArray(); // [5, 3]
 */
export function max(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('max', t, axis, opts);
  emptyCheck('max', t, p);
  return finish(p, t.dtype, walk(numOperand(t, 'max'), t.shape, p, MAX, -Infinity));
}

/**
 * Minimum over `axis` (all by default), same dtype; NaN propagates.
 * @throws ValueError for an empty axis
 * @example
 * min(tensor([3, -1, 2])).item(); // -1
 */
export function min(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('min', t, axis, opts);
  emptyCheck('min', t, p);
  return finish(p, t.dtype, walk(numOperand(t, 'min'), t.shape, p, MIN, Infinity));
}

/**
 * Whether any element over `axis` is non-zero (NaN counts) → bool.
 * @example
 * any(tensor([0, 0, 1])).item(); // 1
 */
export function any(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('any', t, axis, opts);
  return finish(p, 'bool', walk(numOperand(t, 'any'), t.shape, p, ANY, 0));
}

/**
 * Whether every element over `axis` is non-zero → bool (true for an empty axis).
 * @example
 * all(tensor([1, 2, 0])).item(); // 0
 */
export function all(t: Tensor, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  const p = plan('all', t, axis, opts);
  return finish(p, 'bool', walk(numOperand(t, 'all'), t.shape, p, ALL, 1));
}

/**
 * Vector norm over `axis` (all elements by default, like torch's `linalg.vector_norm`, not a matrix
 * norm): ord 2 (default) √Σx², ord 1 Σ|x|, Infinity max|x|, -Infinity min|x|, any other p > 0
 * (Σ|x|^p)^(1/p). f64 inputs use a scaled 2-norm (divide by max|x| first) so the squares cannot
 * overflow or underflow; other dtypes cannot overflow the f64 accumulator.
 * @throws ValueError for ord <= 0 (other than -Infinity) or NaN
 * @example
 * norm(tensor([3, 4])).item();              // 5
 * norm(tensor([[3, -4]]), 1, 1).toArray();  // [7]
 * norm(tensor([3, -4]), Infinity).item();   // 4
 */
export function norm(t: Tensor, ord = 2, axis?: Axes, opts: ReduceOptions = {}): Tensor {
  if (!(ord > 0 || ord === -Infinity)) throw new ValueError(`norm: ord must be > 0, Infinity or -Infinity, got ${ord}`);
  const p = plan('norm', t, axis, opts);
  const A = numOperand(t, 'norm');
  const dt = floatDType(t.dtype);
  if (ord === Infinity) return finish(p, dt, walk(A, t.shape, p, MAXABS, 0));
  if (ord === -Infinity) return finish(p, dt, walk(A, t.shape, p, MINABS, Infinity));
  if (ord === 1) return finish(p, dt, walk(A, t.shape, p, SUMABS, 0));
  if (ord === 2) {
    if (t.dtype !== 'f64') {
      const acc = walk(A, t.shape, p, SUMSQ, 0);
      for (let i = 0; i < acc.length; i++) acc[i] = Math.sqrt(acc[i]);
      return finish(p, dt, acc);
    }
    const scale = walk(A, t.shape, p, MAXABS, 0);
    const acc = walk(A, t.shape, p, SUMSQSCALED, 0, scale);
    for (let i = 0; i < acc.length; i++) {
      const s = scale[i];
      // 0, Inf or NaN scales are the answer themselves (x/0 and Inf/Inf would give NaN).
      acc[i] = s > 0 && s < Infinity ? s * Math.sqrt(acc[i]) : s;
    }
    return finish(p, dt, acc);
  }
  const values = numOperand(t, 'norm');
  const acc = new Float64Array(p.outSize);
  forEachRow(t.shape, [values.strides, p.accStrides], [values.offset, 0], (pos, n, inner) => {
    let ia = pos[0];
    let io = pos[1];
    for (let k = 0; k < n; k++, ia += inner[0], io += inner[1]) acc[io] += Math.abs(values.data[ia]) ** ord;
  });
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i] ** (1 / ord);
  return finish(p, dt, acc);
}

/** Options of `argmax` and `argmin`. */
export type ArgOptions = ReduceOptions;

function argReduce(op: string, t: Tensor, axis: number | null | undefined, opts: ArgOptions, isMax: boolean): Tensor {
  checkTensor(op, t);
  const keepdims = keepdimsOf(op, opts);
  if (axis === undefined || axis === null) {
    // Over all elements: the index into the flattened (row-major) tensor.
    if (t.size === 0) throw new ValueError(`${op} of an empty axis: shape ${fmtShape(t.shape)} along all axes`);
    const flat = argReduce(op, reshape(t, [t.size]), 0, {}, isMax);
    return keepdims ? reshape(flat, t.shape.map(() => 1)) : flat;
  }
  if (typeof axis !== 'number') throw new ShapeError(`${op} takes one axis, or null for all of them, got ${Array.isArray(axis) ? `[${(axis as readonly number[]).join(',')}]` : describeValue(axis)}`);
  const a = withOp(op, () => normalizeAxis(axis, t.shape));
  const n = t.shape[a];
  const kept = t.shape.filter((_, i) => i !== a);
  if (n === 0 && shapeSize(kept) > 0) {
    throw new ValueError(`${op} of an empty axis: shape ${fmtShape(t.shape)} along axis ${axis}`);
  }
  const outShape = keepdims ? t.shape.map((d, i) => (i === a ? 1 : d)) : kept;
  const out = empty(outShape, DEFAULT_INT);
  const o = out.raw() as Int32Array;
  const A = numOperand(t, op);
  const sAxis = A.strides[a];
  const keptStrides = A.strides.filter((_, i) => i !== a);
  forEachRow(kept, [keptStrides, contiguousStrides(kept)], [A.offset, 0], (pos, m, inner) => {
    const x = A.data;
    for (let j = 0; j < m; j++) {
      let ia = pos[0] + j * inner[0];
      let best = x[ia];
      let bi = 0;
      if (best === best) {
        ia += sAxis;
        for (let i = 1; i < n; i++, ia += sAxis) {
          const v = x[ia];
          if (v !== v) {
            bi = i;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            bi = i;
          }
        }
      }
      o[pos[1] + j] = bi;
    }
  });
  return out;
}

/**
 * Index of the maximum along `axis` (of the flattened tensor when omitted) → int32; the first
 * maximum wins, and the first NaN wins over everything (numpy).
 * @example
 * argmax(tensor([[1, 5], [7, 2]]), 1).toArray(); // [1, 0]
 * argmax(tensor([[1, 5], [7, 2]])).item();       // 2
 */
export function argmax(t: Tensor, axis?: number | null, opts: ArgOptions = {}): Tensor {
  return argReduce('argmax', t, axis, opts, true);
}

/**
 * Index of the minimum along `axis` (of the flattened tensor when omitted) → int32; the first
 * minimum wins, and the first NaN wins over everything (numpy).
 * @example
 * argmin(tensor([3, 1, 1])).item(); // 1
 */
export function argmin(t: Tensor, axis?: number | null, opts: ArgOptions = {}): Tensor {
  return argReduce('argmin', t, axis, opts, false);
}
