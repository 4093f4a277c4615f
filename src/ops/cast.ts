/**
 * Casts and copies between dense dtypes: `astype`, `clone`, and `assign` (an in-place write through a
 * view). Not quantization: quantized dtypes are built by src/ops/quant (scales, zero points).
 *
 * Cast rules (every pair of dense dtypes, int64 included):
 * - into f32/f64: the nearest value, ties to even (IEEE); int64 goes through an f64 first.
 * - into f16/bf16: round to nearest even from the source value; bf16 from a value that is not an f32
 *   (an f64, an integer beyond 2^24) rounds to f32 first, as torch and ml_dtypes do (see
 *   src/dtype/half.ts).
 * - into an integer dtype: truncate toward zero, then saturate at the dtype's [min, max]; ±Inf
 *   saturate, NaN becomes 0. Integer sources saturate too (int32 300 → int8 127), unlike numpy's wrap.
 * - into bool: `x !== 0` (NaN is true, as in numpy and torch).
 */
import { DTYPES, checkDenseDType, type DenseDType } from '../dtype/table.js';
import { ValueError, describeValue, withOp } from '../errors.js';
import { toBF16Bits, toF16Bits } from '../dtype/half.js';
import type { TypedArray } from '../memory/storage.js';
import { Tensor, checkTensor, empty, writeElement } from '../tensor.js';
import { isHalf } from './operand.js';
import { broadcastStrides, copyStrided, forEachRow, type NumArray } from './strided.js';

type CastLoop = (a: NumArray, ia: number, sa: number, o: TypedArray, io: number, n: number) => void;

const PLAIN: CastLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia];
};
const TO_BOOL: CastLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia] !== 0 ? 1 : 0;
};
const TO_F16: CastLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = toF16Bits(a[ia]);
};
const TO_BF16: CastLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = toBF16Bits(a[ia]);
};
const TO_INT64: CastLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) writeElement('int64', o, io + k, a[ia]);
};
function saturating(min: number, max: number): CastLoop {
  return (a, ia, sa, o, io, n) => {
    for (let k = 0; k < n; k++, ia += sa) {
      const v = a[ia];
      // NaN fails both comparisons and the truncation keeps it NaN, so it is tested first.
      o[io + k] = v !== v ? 0 : v <= min ? min : v >= max ? max : Math.trunc(v);
    }
  };
}

/** The loop converting numbers of dtype `from` into raw elements of dtype `to`. */
function castLoop(from: DenseDType, to: DenseDType): CastLoop {
  const ti = DTYPES[to].dense;
  const fi = DTYPES[from].dense;
  if (ti.kind === 'bool') return TO_BOOL;
  if (ti.kind === 'float') {
    if (isHalf(to)) return to === 'f16' ? TO_F16 : TO_BF16;
    return PLAIN;
  }
  if (ti.array === 'BigInt64Array') return TO_INT64;
  // An integer source whose range fits needs no checks; anything else saturates.
  if (fi.kind !== 'float' && fi.min >= ti.min && fi.max <= ti.max && fi.array !== 'BigInt64Array') return PLAIN;
  return saturating(ti.min, ti.max);
}

/** Source elements as numbers: f16/bf16 decoded, int64 converted, others the raw view. */
function sourceNumbers(src: Tensor): { data: NumArray; strides: readonly number[]; offset: number } {
  if (isHalf(src.dtype)) return { data: src.data() as Float32Array, strides: rowMajor(src.shape), offset: 0 };
  if (DTYPES[src.dtype].dense.array === 'BigInt64Array') {
    const big = src.data() as BigInt64Array;
    const f = new Float64Array(big.length);
    for (let i = 0; i < big.length; i++) f[i] = Number(big[i]);
    return { data: f, strides: rowMajor(src.shape), offset: 0 };
  }
  return { data: src.raw() as NumArray, strides: src.strides, offset: src.offset };
}

function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Writes `src` (already of `dst`'s shape, any strides) into `dst` converted to `dst.dtype`.
 * Same-dtype copies move raw elements (f16/bf16 bits are copied, never re-rounded).
 */
function castInto(src: Tensor, dst: Tensor): void {
  if (src.dtype === dst.dtype) {
    copyStrided(src.raw(), dst.shape, src.strides, src.offset, dst.raw(), dst.offset, dst.strides);
    return;
  }
  const loop = castLoop(src.dtype, dst.dtype);
  const s = sourceNumbers(src);
  const o = dst.raw();
  forEachRow(dst.shape, [s.strides, dst.strides], [s.offset, dst.offset], (pos, n, inner) => {
    if (inner[1] === 1) {
      loop(s.data, pos[0], inner[0], o, pos[1], n);
      return;
    }
    // A strided destination (assign into a view): one element per call keeps the loops simple.
    for (let k = 0; k < n; k++) loop(s.data, pos[0] + k * inner[0], 0, o, pos[1] + k * inner[1], 1);
  });
}

/**
 * `t` converted to `dtype` (a new contiguous tensor), or `t` itself when the dtype already matches;
 * use `clone` for a copy. See the header for the rounding and saturation rules.
 * @throws DTypeError for an unknown or non-dense dtype
 * @example
 * astype(tensor([1.7, -1.7, 300, NaN]), 'int8').toArray(); // [1, -1, 127, 0]
 * astype(tensor([1 + 2 ** -11]), 'f16').item();             // 1 (tie to even)
 */
export function astype(t: Tensor, dtype: DenseDType): Tensor {
  checkTensor('astype', t);
  checkDenseDType('astype', dtype);
  if (t.dtype === dtype) return t;
  const out = empty(t.shape, dtype);
  castInto(t, out);
  return out;
}

/**
 * A contiguous copy of `t` with storage of its own (same dtype).
 * @example
 * const c = clone(t); c.set([0], 9); // t is unchanged
 */
export function clone(t: Tensor): Tensor {
  checkTensor('clone', t);
  const out = empty(t.shape, t.dtype);
  copyStrided(t.raw(), t.shape, t.strides, t.offset, out.raw(), 0);
  return out;
}

/**
 * Writes `src` into `dst` in place, broadcasting `src` to `dst`'s shape and casting to its dtype;
 * returns `dst`. `dst` is usually a view (a slice), so the write lands in the tensor it views. A source
 * sharing `dst`'s storage is copied first, so overlapping views are safe.
 * @throws ShapeError when `src` does not broadcast to `dst.shape`
 * @example
 * const t = zeros([3, 4]);
 * assign(t.slice(1), tensor([1, 2, 3, 4])); // row 1 of t is now 1..4
 * assign(t.slice(null, [0, 4, 2]), 7);       // columns 0 and 2 are 7
 */
export function assign(dst: Tensor, src: Tensor | number): Tensor {
  checkTensor('assign', dst, 'the destination');
  if (typeof src === 'number') return dst.fill(src);
  if (!(src instanceof Tensor)) throw new ValueError(`assign: the source must be a tensor or a number, got ${describeValue(src)}`);
  const strides = withOp('assign', () => broadcastStrides(src.shape, src.strides, dst.shape));
  let s = new Tensor(src.storage, src.dtype, dst.shape, strides, src.offset);
  if (src.storage === dst.storage) s = clone(s);
  castInto(s, dst);
  return dst;
}
