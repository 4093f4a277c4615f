/**
 * Naive, independent reference implementations for the tensor tests: index arithmetic, numpy
 * broadcasting and reductions written as plain loops over flat row-major arrays, with no code shared
 * with src/ops. Not a test file.
 */

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The multi-index of flat row-major position `i`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** The flat row-major position of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + idx[d];
  return p;
}

/** numpy's broadcast result shape, or null when the shapes do not broadcast. */
export function naiveBroadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
    const y = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Reads a flat row-major array of `shape` at an index of the (larger) broadcast shape `out`. */
export function readBroadcast(data: ArrayLike<number>, shape: readonly number[], idx: readonly number[]): number {
  const off = idx.length - shape.length;
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d] + (shape[d] === 1 ? 0 : idx[off + d]);
  return data[p];
}

/** Elementwise f over broadcast operands, as f64 numbers. */
export function naiveBinary(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  f: (x: number, y: number) => number,
): { shape: number[]; data: number[] } {
  const shape = naiveBroadcastShape(aShape, bShape);
  if (!shape) throw new Error('shapes do not broadcast');
  const data: number[] = [];
  for (let i = 0; i < numel(shape); i++) {
    const idx = unravel(i, shape);
    data.push(f(readBroadcast(a, aShape, idx), readBroadcast(b, bShape, idx)));
  }
  return { shape, data };
}

/**
 * Reduces a flat row-major array over `axes` (sorted, distinct): for each output position, `f` gets
 * the reduced elements in row-major order.
 */
export function naiveReduce(
  data: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  keepdims: boolean,
  f: (values: number[]) => number,
): { shape: number[]; data: number[] } {
  const red = new Set(axes);
  const kept = shape.map((d, i) => (red.has(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: numel(kept) }, () => []);
  for (let i = 0; i < numel(shape); i++) {
    const idx = unravel(i, shape).map((v, d) => (red.has(d) ? 0 : v));
    groups[ravel(idx, kept)].push(data[i]);
  }
  return {
    shape: keepdims ? kept : shape.filter((_, i) => !red.has(i)),
    data: groups.map(f),
  };
}

/** Whether two numbers are equal, treating NaN as equal to NaN and distinguishing nothing else. */
export function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
