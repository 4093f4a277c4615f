/**
 * A fast constructor of tensors from typed arrays for the quantizers. `tensor()` writes element by
 * element through the dtype conversion (right for user data of any type); the quantizers move whole
 * f32/f64/uint8/int32 arrays (16M elements for a 4096x4096 layer), where a typed-array `set` into
 * freshly allocated storage is an order of magnitude faster. Not a public op.
 */
import { ShapeError, fmtShape } from '../errors.js';
import { Tensor, empty, shapeSize } from '../tensor.js';

/** A raw array whose elements `set` copies into the storage of the matching dtype. */
export type RawArray = Float32Array | Float64Array | Uint8Array | Int32Array;

/**
 * A new contiguous tensor of `shape` and `dtype` holding `values` (f64 values into f32 round to
 * nearest, as a cast does).
 * @example
 * fromArray(new Float64Array(6), [2, 3], 'f64').shape; // [2, 3]
 */
export function fromArray(values: RawArray, shape: readonly number[], dtype: 'f32' | 'f64' | 'uint8' | 'int32'): Tensor {
  if (shapeSize(shape) !== values.length) throw new ShapeError(`${values.length} values do not fill shape ${fmtShape(shape)}`);
  const t = empty(shape, dtype);
  // The view is taken after the allocation (growing wasm memory detaches earlier views).
  (t.raw() as RawArray).set(values as never);
  return t;
}
