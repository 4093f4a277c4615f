/**
 * `Ref`: how kernels receive operands. A ref names a Storage and an element offset into it; the
 * JS kernel views the storage as a typed array, the WASM wrapper turns it into a pointer (in place
 * when the storage lives in the wasm heap, through a temporary copy otherwise). Matrices come as a
 * ref plus a row stride and a column stride in elements, so transposed and broadcast views reach
 * the kernels without a copy.
 *
 * Not a tensor: no shape, no dtype; the kernel's name fixes the element type.
 */
import { MemoryError } from '../errors.js';
import { Storage, type TypedArray, type TypedArrayCtor } from '../memory/storage.js';
import type { Tensor } from '../tensor.js';

/** An operand of a kernel: `storage` viewed as the kernel's element type, from element `offset`. */
export interface Ref {
  readonly storage: Storage;
  /** Offset in elements of the kernel's element type. */
  readonly offset: number;
}

/**
 * A ref to a storage at an element offset.
 * @example
 * const r = ref(Storage.from(new Float32Array([1, 2, 3])));
 */
export function ref(storage: Storage, offset = 0): Ref {
  return { storage, offset };
}

/**
 * A ref to a tensor's first element (its storage and offset; use its strides for the layout).
 * @example
 * const r = tensorRef(tensor([[1, 2], [3, 4]]));
 */
export function tensorRef(t: Tensor): Ref {
  return { storage: t.storage, offset: t.offset };
}

/**
 * A ref to a fresh storage holding a copy of a typed array (in the active heap).
 * @example
 * const r = refOf(new Float32Array([1, 2]));
 */
export function refOf(src: ArrayBufferView): Ref {
  return { storage: Storage.from(src), offset: 0 };
}

/**
 * The whole storage of a ref viewed as `ctor` (index it from `r.offset`). Valid until the next
 * allocation, like every storage view.
 * @example
 * const a = view(r, Float32Array); a[r.offset];
 */
export function view<T extends TypedArray>(r: Ref, ctor: TypedArrayCtor<T>): T {
  return r.storage.view(ctor);
}

/**
 * Number of elements spanned by a rows x cols matrix with non-negative strides (0 when empty).
 * @example
 * matrixExtent(2, 3, 3, 1); // 6
 */
export function matrixExtent(rows: number, cols: number, rs: number, cs: number): number {
  if (rows === 0 || cols === 0) return 0;
  if (rs < 0 || cs < 0) throw new MemoryError(`kernel strides must be non-negative, got row stride ${rs} and column stride ${cs}`);
  return (rows - 1) * rs + (cols - 1) * cs + 1;
}
