/**
 * Strided iteration shared by the ops: numpy broadcasting of shapes and strides, axis normalisation,
 * and `forEachRow`, which walks several strided operands of one shape as a sequence of 1-D rows
 * after merging dimensions that are laid out back to back (so a contiguous tensor is one row and a
 * kernel's inner loop runs without per-element calls). Not an op: nothing here allocates tensors.
 */
import { ShapeError, describeValue, fmtShape } from '../errors.js';
import type { TypedArray } from '../memory/storage.js';

/**
 * Throws a ShapeError (naming `op` when given) unless `shape` is an array; its entries are the
 * caller's to check (`checkShape`, or a `-1` allowed by reshape).
 * @example
 * checkShapeArray('reshape', 'x'); // ShapeError: reshape: a shape must be an array of dimensions, got string "x"
 */
export function checkShapeArray(op: string | undefined, shape: unknown): asserts shape is readonly unknown[] {
  if (!isListLike(shape)) throw new ShapeError(`${op ? `${op}: ` : ''}a shape must be an array of dimensions, got ${describeValue(shape)}`);
}

/**
 * An array or a typed array (Int32Array shapes and axes are accepted, as they always were).
 * @example
 * isListLike(new Int32Array([2, 3])) === true; isListLike('23') === false
 */
export function isListLike(x: unknown): boolean {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/** Typed arrays whose elements are JS numbers (every dense storage but int64). */
export type NumArray = Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array;

/**
 * The broadcast of two or more shapes (numpy rules: align on the right, sizes equal or 1).
 * @throws ShapeError quoting both shapes, e.g. `cannot broadcast [2,3] with [4]`
 * @example
 * broadcastShapes([2, 1, 3], [4, 1]); // [2, 4, 3]
 */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  let out: number[] = [];
  for (const s of shapes) {
    checkShapeArray('broadcastShapes', s);
    const r = Math.max(out.length, s.length);
    const next = new Array<number>(r);
    for (let i = 0; i < r; i++) {
      const a = out[out.length - r + i] ?? 1;
      const b = s[s.length - r + i] ?? 1;
      if (a !== b && a !== 1 && b !== 1) throw new ShapeError(`cannot broadcast ${fmtShape(out)} with ${fmtShape(s)}`);
      next[i] = a === 1 ? b : a;
    }
    out = next;
  }
  return out;
}

/**
 * Strides that read an operand of `shape`/`strides` as if it had shape `target` (stride 0 on
 * broadcast dimensions). Assumes `broadcastShapes(shape, target)` equals `target`.
 */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] {
  const r = target.length;
  const off = r - shape.length;
  if (off < 0) throw new ShapeError(`cannot broadcast ${fmtShape(shape)} to ${fmtShape(target)}`);
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    const t = target[off + i];
    if (d === t) out[off + i] = strides[i];
    else if (d === 1) out[off + i] = 0;
    else throw new ShapeError(`cannot broadcast ${fmtShape(shape)} to ${fmtShape(target)}`);
  }
  return out;
}

/**
 * Normalises an axis (negative counts from the end) for a tensor of rank `ndim`.
 * @throws ShapeError `axis 3 is out of range for shape [2,3]`
 * @example
 * normalizeAxis(-1, [2, 3]); // 1
 */
export function normalizeAxis(axis: number, shape: readonly number[], rank?: number): number {
  checkShapeArray('normalizeAxis', shape);
  const r = rank ?? shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) {
    throw new ShapeError(`axis ${axis} is out of range for shape ${fmtShape(shape)}`);
  }
  return axis < 0 ? axis + r : axis;
}

/**
 * Normalises a list of axes (or all axes when `undefined`), sorted ascending.
 * @throws ShapeError on an out-of-range or repeated axis
 * @example
 * normalizeAxes([-1, 0], [2, 3, 4]); // [0, 2]
 */
export function normalizeAxes(axes: number | readonly number[] | undefined | null, shape: readonly number[]): number[] {
  checkShapeArray('normalizeAxes', shape);
  if (axes === undefined || axes === null) return shape.map((_, i) => i);
  if (typeof axes !== 'number' && !isListLike(axes)) throw new ShapeError(`axes must be an integer, a list of integers or null, got ${describeValue(axes)}`);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(a, shape));
  const seen = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    if (seen.has(out[i])) throw new ShapeError(`axis ${list[i]} is repeated in [${list.join(',')}] for shape ${fmtShape(shape)}`);
    seen.add(out[i]);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Calls `fn(pos, n, inner)` once per 1-D row of a walk over `shape` in row-major order, for several
 * operands at once: `pos[k]` is operand k's element index of the row start, `inner[k]` its stride
 * along the row, `n` the row length. Dimensions of size 1 are dropped and adjacent dimensions whose
 * strides chain (stride[d] = stride[d+1] * shape[d+1] for every operand) are merged first, so
 * contiguous operands give one row. Nothing is called when the shape has a zero dimension.
 * @example
 * forEachRow([2, 3], [[3, 1], [1, 2]], [0, 0], (pos, n, inner) => console.log(pos, n, inner));
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  fn: (pos: number[], n: number, inner: readonly number[]) => void,
): void {
  const k = strides.length;
  for (const d of shape) if (d === 0) return;
  // Coalesce from the innermost dimension outward.
  const dims: number[] = [];
  const st: number[][] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d];
    if (size === 1) continue;
    const last = dims.length - 1;
    if (last >= 0) {
      let chain = true;
      for (let j = 0; j < k; j++) {
        if (strides[j][d] !== st[last][j] * dims[last]) {
          chain = false;
          break;
        }
      }
      if (chain) {
        // Merging keeps the inner stride of the block: only its length grows.
        dims[last] *= size;
        continue;
      }
    }
    dims.push(size);
    const s = new Array<number>(k);
    for (let j = 0; j < k; j++) s[j] = strides[j][d];
    st.push(s);
  }
  const pos = offsets.slice();
  if (dims.length === 0) {
    fn(pos, 1, new Array<number>(k).fill(0));
    return;
  }
  // dims[0] is the innermost merged block (the row); dims[1..] are outer, innermost first.
  const n = dims[0];
  const inner = st[0];
  const outer = dims.length - 1;
  if (outer === 0) {
    fn(pos, n, inner);
    return;
  }
  const idx = new Array<number>(outer).fill(0);
  const start = offsets.slice();
  for (;;) {
    for (let j = 0; j < k; j++) pos[j] = start[j];
    fn(pos, n, inner);
    let d = 0;
    for (; d < outer; d++) {
      const sd = st[d + 1];
      idx[d]++;
      if (idx[d] < dims[d + 1]) {
        for (let j = 0; j < k; j++) start[j] += sd[j];
        break;
      }
      idx[d] = 0;
      for (let j = 0; j < k; j++) start[j] -= sd[j] * (dims[d + 1] - 1);
    }
    if (d === outer) return;
  }
}

/**
 * Copies the elements of a strided view into `dst` at `dstOffset`, laid out by `dstStrides` (row-major
 * when omitted). Same typed array type on both sides; any dtype, int64 included. Source strides may
 * be negative (used by `flip`).
 * @example
 * copyStrided(src, [2, 2], [1, 2], 0, dst, 0); // a transposed 2x2 copy
 */
export function copyStrided(
  src: TypedArray,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  dst: TypedArray,
  dstOffset = 0,
  dstStrides: readonly number[] = rowMajorStrides(shape),
): void {
  forEachRow(shape, [strides, dstStrides], [offset, dstOffset], (pos, n, inner) => {
    const s = inner[0];
    const ds = inner[1];
    let i = pos[0];
    let o = pos[1];
    if (s === 1 && ds === 1) {
      (dst as Float64Array).set((src as Float64Array).subarray(i, i + n), o);
      return;
    }
    for (let j = 0; j < n; j++, i += s, o += ds) dst[o] = src[i];
  });
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
