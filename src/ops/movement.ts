/**
 * Movement ops: views that change shape, strides and offset without touching the data (reshape when
 * the layout allows, view, transpose, permute, slice with positive steps, narrow, broadcastTo,
 * expand, squeeze, unsqueeze, flatten), and the copies that build new layouts (contiguous, flip,
 * slices with negative steps, concat, stack). Every op works on every dense dtype, int64 included.
 *
 * numpy/torch semantics: `view` never copies and throws ShapeError when the strides cannot express
 * the new shape; `reshape` returns a view when `view` would succeed and a contiguous copy otherwise.
 * Strides stay non-negative (a Tensor invariant), so a negative step or `flip` returns a copy, not a
 * view: writing into it does not change the source.
 */
import { ShapeError, ValueError, DTypeError, describeValue, fmtShape, withOp } from '../errors.js';
import { Tensor, checkTensor, contiguousStrides, empty, shapeSize } from '../tensor.js';
import { broadcastStrides, checkShapeArray, copyStrided, isListLike, normalizeAxes, normalizeAxis } from './strided.js';

/** Checks the arguments of view and reshape, and resolves one `-1` in the target shape. */
function resolveShape(t: Tensor, shape: readonly number[], op: string): number[] {
  checkTensor(op, t);
  checkShapeArray(op, shape);
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid dimension ${d} in ${fmtShape(shape)}`);
    } else known *= d;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || t.size % known !== 0) {
      throw new ShapeError(`cannot ${op} ${fmtShape(t.shape)} (${t.size} elements) to ${fmtShape(shape)}`);
    }
    out[infer] = t.size / known;
  }
  if (shapeSize(out) !== t.size) {
    throw new ShapeError(`cannot ${op} ${fmtShape(t.shape)} (${t.size} elements) to ${fmtShape(shape)}`);
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as `newShape` without copying, or null when
 * impossible (after torch's `computeStride`: each run of dimensions laid out back to back may be
 * split or merged freely).
 */
function viewStrides(shape: readonly number[], strides: readonly number[], newShape: readonly number[]): number[] | null {
  if (shape.length === 0 || shapeSize(shape) === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

/**
 * A view of `t` with a new shape (one entry may be -1), sharing storage. Never copies.
 * @throws ShapeError when the element counts differ or the strides cannot express the shape
 *   (e.g. flattening a transposed matrix): use `reshape` or `contiguous` first.
 * @example
 * view(arange(6), [2, 3]); // shares arange's storage
 */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  const s = resolveShape(t, shape, 'view');
  const st = viewStrides(t.shape, t.strides, s);
  if (!st) {
    throw new ShapeError(
      `cannot view ${fmtShape(t.shape)} with strides ${fmtShape(t.strides)} as ${fmtShape(s)} without a copy; use reshape()`,
    );
  }
  return new Tensor(t.storage, t.dtype, s, st, t.offset);
}

/**
 * `t` with a new shape (one entry may be -1): a view when the layout allows (see `view`), else a
 * contiguous copy (numpy semantics).
 * @example
 * reshape(tensor([[1, 2], [3, 4]]), [-1]).toArray(); // [1, 2, 3, 4]
 */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const s = resolveShape(t, shape, 'reshape');
  const st = viewStrides(t.shape, t.strides, s);
  if (st) return new Tensor(t.storage, t.dtype, s, st, t.offset);
  const c = contiguous(t);
  return new Tensor(c.storage, c.dtype, s, contiguousStrides(s), c.offset);
}

/**
 * Merges axes `startAxis..endAxis` (inclusive, negative from the end) into one, like `reshape`.
 * @example
 * flatten(zeros([2, 3, 4]), 1).shape; // [2, 12]
 */
export function flatten(t: Tensor, startAxis = 0, endAxis = -1): Tensor {
  checkTensor('flatten', t);
  if (t.ndim === 0) return reshape(t, [1]);
  const a = normalizeAxis(startAxis, t.shape);
  const b = normalizeAxis(endAxis, t.shape);
  if (a > b) throw new ShapeError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis} for shape ${fmtShape(t.shape)}`);
  const s = [...t.shape.slice(0, a), shapeSize(t.shape.slice(a, b + 1)), ...t.shape.slice(b + 1)];
  return reshape(t, s);
}

/**
 * A row-major copy of `t` (or `t` itself when it already is one); see `Tensor.contiguous`.
 * @example
 * const t = transpose(tensor([[1, 2, 3], [4, 5, 6]])); // a view, strides [1, 3]
 * contiguous(t).strides;                              // [2, 1]
 */
export function contiguous(t: Tensor): Tensor {
  checkTensor('contiguous', t);
  return t.contiguous();
}

/**
 * A view with the axes reordered: `out.shape[i] = t.shape[axes[i]]`.
 * @throws ShapeError unless `axes` is a permutation of the axes
 * @example
 * permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 */
export function permute(t: Tensor, axes: readonly number[]): Tensor {
  checkTensor('permute', t);
  if (!isListLike(axes)) throw new ShapeError(`permute: axes must be an array of axes, got ${describeValue(axes)}`);
  if (axes.length !== t.ndim) {
    throw new ShapeError(`permute: [${axes.join(',')}] is not a permutation of the axes of shape ${fmtShape(t.shape)}`);
  }
  const norm = normalizeAxes(axes, t.shape);
  if (norm.length !== t.ndim) throw new ShapeError(`permute: [${axes.join(',')}] repeats an axis of shape ${fmtShape(t.shape)}`);
  const ax = axes.map((a) => normalizeAxis(a, t.shape));
  return new Tensor(
    t.storage,
    t.dtype,
    ax.map((a) => t.shape[a]),
    ax.map((a) => t.strides[a]),
    t.offset,
  );
}

/**
 * A transposed view: with no axes, all axes reversed (numpy's `.T`; the matrix transpose for 2-D);
 * with two axes, those two swapped (torch's `transpose(dim0, dim1)`).
 * @example
 * transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray(); // [[1, 4], [2, 5], [3, 6]]
 * transpose(zeros([2, 3, 4]), 0, 2).shape;             // [4, 3, 2]
 */
export function transpose(t: Tensor, axis0?: number, axis1?: number): Tensor {
  checkTensor('transpose', t);
  if (axis0 === undefined && axis1 === undefined) return permute(t, t.shape.map((_, i) => t.ndim - 1 - i));
  if (axis0 === undefined || axis1 === undefined) {
    throw new ValueError(`transpose: give both axes or none, got ${axis0} and ${axis1}`);
  }
  const a = normalizeAxis(axis0, t.shape);
  const b = normalizeAxis(axis1, t.shape);
  const axes = t.shape.map((_, i) => i);
  axes[a] = b;
  axes[b] = a;
  return permute(t, axes);
}

/**
 * The slice of one axis: `null`/`undefined` keeps the whole axis; a number picks one index and drops
 * the axis; `[start, stop, step]` (each optional or null) or `{ start, stop, step }` selects a range
 * with Python semantics (negative start/stop count from the end, out-of-range bounds are clamped,
 * step defaults to 1 and may be negative, stop is exclusive).
 */
export type SliceSpec =
  | null
  | undefined
  | number
  | readonly [start?: number | null, stop?: number | null, step?: number | null]
  | { start?: number | null; stop?: number | null; step?: number | null };

/**
 * Slices `t` with one spec per leading axis (missing trailing specs keep their axes whole). With
 * non-negative steps the result is a view sharing storage; any negative step makes it a copy.
 * @throws ShapeError for more specs than axes or an index out of range; ValueError for step 0
 * @example
 * const t = arange(12).reshape([3, 4]);
 * slice(t, [0, 4, 2], null).toArray(); // rows 0 and 2: [[0, 1, 2, 3], [8, 9, 10, 11]]
 * slice(t, null, -1).toArray();        // last column: [3, 7, 11]
 * slice(t, [null, null, -1]).toArray(); // rows reversed (a copy)
 */
export function slice(t: Tensor, ...specs: SliceSpec[]): Tensor {
  checkTensor('slice', t);
  if (specs.length > t.ndim) {
    throw new ShapeError(`slice: ${specs.length} specs for ${t.ndim} axes of shape ${fmtShape(t.shape)}`);
  }
  const shape: number[] = [];
  const strides: number[] = [];
  const flipAxes: number[] = [];
  let offset = t.offset;
  for (let d = 0; d < t.ndim; d++) {
    const spec = specs[d];
    const n = t.shape[d];
    const st = t.strides[d];
    if (spec === null || spec === undefined) {
      shape.push(n);
      strides.push(st);
      continue;
    }
    if (typeof spec === 'number') {
      const i = spec < 0 ? spec + n : spec;
      if (!Number.isInteger(spec) || i < 0 || i >= n) {
        throw new ShapeError(`slice: index ${spec} is out of range for axis ${d} of shape ${fmtShape(t.shape)}`);
      }
      offset += i * st;
      continue;
    }
    const [startIn, stopIn, stepIn] = Array.isArray(spec)
      ? (spec as readonly (number | null | undefined)[])
      : [(spec as { start?: number | null }).start, (spec as { stop?: number | null }).stop, (spec as { step?: number | null }).step];
    const step = stepIn ?? 1;
    for (const v of [startIn, stopIn, step]) {
      if (v !== null && v !== undefined && !Number.isInteger(v)) {
        throw new ValueError(`slice: bounds and step must be integers, got ${v} on axis ${d}`);
      }
    }
    if (step === 0) throw new ValueError(`slice: step must not be 0 (axis ${d} of shape ${fmtShape(t.shape)})`);
    const { start, len } = sliceRange(n, startIn, stopIn, step);
    if (step > 0) {
      offset += len > 0 ? start * st : 0;
      shape.push(len);
      strides.push(st * step);
    } else {
      // Read the same elements in increasing order, then flip this axis in a copy.
      const first = start + (len - 1) * step;
      offset += len > 0 ? first * st : 0;
      shape.push(len);
      strides.push(st * -step);
      flipAxes.push(shape.length - 1);
    }
  }
  const v = new Tensor(t.storage, t.dtype, shape, strides, offset);
  return flipAxes.length ? flip(v, flipAxes) : v;
}

/** Python's slice.indices(n) followed by the length of the range. */
function sliceRange(n: number, startIn: number | null | undefined, stopIn: number | null | undefined, step: number): { start: number; len: number } {
  let start: number;
  let stop: number;
  if (step > 0) {
    start = startIn === null || startIn === undefined ? 0 : startIn < 0 ? Math.max(0, startIn + n) : Math.min(n, startIn);
    stop = stopIn === null || stopIn === undefined ? n : stopIn < 0 ? Math.max(0, stopIn + n) : Math.min(n, stopIn);
  } else {
    start = startIn === null || startIn === undefined ? n - 1 : startIn < 0 ? Math.max(-1, startIn + n) : Math.min(n - 1, startIn);
    stop = stopIn === null || stopIn === undefined ? -1 : stopIn < 0 ? Math.max(-1, stopIn + n) : Math.min(n - 1, stopIn);
  }
  const len = Math.max(0, Math.ceil((stop - start) / step));
  return { start, len };
}

/**
 * A view of `length` elements of one axis starting at `start` (torch's `narrow`).
 * @example
 * narrow(zeros([4, 8]), 1, 2, 3).shape; // [4, 3]
 */
export function narrow(t: Tensor, axis: number, start: number, length: number): Tensor {
  checkTensor('narrow', t);
  const a = normalizeAxis(axis, t.shape);
  const n = t.shape[a];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new ShapeError(`narrow: [${start}, ${start}+${length}) is out of range for axis ${axis} of shape ${fmtShape(t.shape)}`);
  }
  const shape = [...t.shape];
  shape[a] = length;
  return new Tensor(t.storage, t.dtype, shape, t.strides, t.offset + (length > 0 ? s * t.strides[a] : 0));
}

/**
 * A copy of `t` with the order of elements reversed along `axes` (all axes when omitted).
 * @example
 * flip(tensor([1, 2, 3])).toArray(); // [3, 2, 1]
 */
export function flip(t: Tensor, axes?: number | readonly number[]): Tensor {
  checkTensor('flip', t);
  const ax = withOp('flip', () => normalizeAxes(axes, t.shape));
  const out = empty(t.shape, t.dtype);
  if (out.size === 0) return out;
  const strides = [...t.strides];
  let offset = t.offset;
  for (const a of ax) {
    offset += (t.shape[a] - 1) * t.strides[a];
    strides[a] = -t.strides[a];
  }
  copyStrided(t.raw(), t.shape, strides, offset, out.raw(), 0);
  return out;
}

/**
 * A view of `t` broadcast to `shape` (numpy rules; stride 0 on broadcast dimensions, so writing into
 * it writes the shared element).
 * @throws ShapeError `cannot broadcast [2,3] to [4,3]`
 * @example
 * broadcastTo(tensor([1, 2, 3]), [2, 3]).toArray(); // [[1, 2, 3], [1, 2, 3]]
 */
export function broadcastTo(t: Tensor, shape: readonly number[]): Tensor {
  checkTensor('broadcastTo', t);
  checkShapeArray('broadcastTo', shape);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`broadcastTo: invalid target shape ${fmtShape(shape)}`);
  }
  const target = [...shape];
  const strides = broadcastStrides(t.shape, t.strides, target);
  return new Tensor(t.storage, t.dtype, target, strides, t.offset);
}

/**
 * `broadcastTo` where -1 keeps the size of the aligned dimension of `t` (torch's `expand`).
 * @example
 * expand(zeros([3, 1]), [-1, 4]).shape; // [3, 4]
 */
export function expand(t: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', t);
  checkShapeArray('expand', shape);
  const off = shape.length - t.ndim;
  if (off < 0) throw new ShapeError(`cannot expand ${fmtShape(t.shape)} to ${fmtShape(shape)}: fewer dimensions`);
  const target = shape.map((d, i) => {
    if (d !== -1) return d;
    if (i < off) throw new ShapeError(`expand: -1 is not allowed in a new leading dimension of ${fmtShape(shape)}`);
    return t.shape[i - off];
  });
  return broadcastTo(t, target);
}

/**
 * Removes size-1 axes: all of them, or the given ones (each must have size 1).
 * @example
 * squeeze(zeros([1, 3, 1])).shape;    // [3]
 * squeeze(zeros([1, 3, 1]), 0).shape; // [3, 1]
 */
export function squeeze(t: Tensor, axes?: number | readonly number[]): Tensor {
  checkTensor('squeeze', t);
  const drop = new Set(
    axes === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : withOp('squeeze', () => normalizeAxes(axes, t.shape)),
  );
  for (const a of drop) {
    if (t.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(t.shape)} has size ${t.shape[a]}, not 1`);
  }
  const keep = t.shape.map((_, i) => i).filter((i) => !drop.has(i));
  return new Tensor(
    t.storage,
    t.dtype,
    keep.map((i) => t.shape[i]),
    keep.map((i) => t.strides[i]),
    t.offset,
  );
}

/**
 * Inserts a size-1 axis at `axis` (in [-ndim-1, ndim]; -1 appends).
 * @example
 * unsqueeze(zeros([3]), 0).shape;  // [1, 3]
 * unsqueeze(zeros([3]), -1).shape; // [3, 1]
 */
export function unsqueeze(t: Tensor, axis: number): Tensor {
  checkTensor('unsqueeze', t);
  const a = normalizeAxis(axis, t.shape, t.ndim + 1);
  const shape = [...t.shape];
  const strides = [...t.strides];
  const stride = a < t.ndim ? t.strides[a] * t.shape[a] : 1;
  shape.splice(a, 0, 1);
  strides.splice(a, 0, stride);
  return new Tensor(t.storage, t.dtype, shape, strides, t.offset);
}

/** Throws unless `tensors` is a non-empty array of Tensors (the first argument of concat and stack). */
function checkTensorList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) throw new ValueError(`${op}: the first argument must be an array of tensors, got ${describeValue(tensors)}`);
  if (tensors.length === 0) throw new ValueError(`${op} needs at least one tensor`);
  for (let i = 0; i < tensors.length; i++) checkTensor(op, tensors[i], `tensors[${i}]`);
}

/**
 * Joins tensors of one dtype along an existing axis (a new contiguous tensor). All other dimensions
 * must match.
 * @example
 * concat([zeros([2, 3]), ones([1, 3])], 0).shape; // [3, 3]
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('concat', tensors);
  const first = tensors[0];
  const a = normalizeAxis(axis, first.shape);
  let total = 0;
  for (const t of tensors) {
    if (t.dtype !== first.dtype) throw new DTypeError(`concat: dtypes differ, ${first.dtype} and ${t.dtype}; cast first`);
    const ok = t.ndim === first.ndim && t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) throw new ShapeError(`concat: cannot join ${fmtShape(first.shape)} and ${fmtShape(t.shape)} along axis ${axis}`);
    total += t.shape[a];
  }
  const shape = [...first.shape];
  shape[a] = total;
  const out = empty(shape, first.dtype);
  const dst = out.raw();
  const outStrides = contiguousStrides(shape);
  let at = 0;
  for (const t of tensors) {
    copyStrided(t.raw(), t.shape, t.strides, t.offset, dst, at * outStrides[a], outStrides);
    at += t.shape[a];
  }
  return out;
}

/**
 * Stacks tensors of one shape and dtype along a new axis.
 * @example
 * stack([zeros([3]), ones([3])], 0).shape; // [2, 3]
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('stack', tensors);
  const s = tensors[0].shape;
  for (const t of tensors) {
    if (t.ndim !== s.length || t.shape.some((d, i) => d !== s[i])) {
      throw new ShapeError(`stack: shapes differ, ${fmtShape(s)} and ${fmtShape(t.shape)}`);
    }
  }
  const a = normalizeAxis(axis, s, s.length + 1);
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}
