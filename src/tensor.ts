/**
 * Tensor: a dense dtype, a shape, strides and an offset (in elements) over a Storage. Views (reshape,
 * transpose, slice, expand, ...) share the storage; `contiguous()` copies only when needed.
 * This file holds the type, its element access and the constructors of data. The ops live in
 * src/ops/ as free functions (tree-shakeable); the few methods here that call them (views, `astype`,
 * `clone`) import src/ops at call time only, an ESM cycle that is safe because neither module uses
 * the other while it loads. Arithmetic and reductions are free functions only, so a bundle that
 * uses `Tensor` does not pull them in.
 *
 * Invariant: strides are non-negative (0 on broadcast dimensions). Slicing with a negative step and
 * `flip` therefore copy (src/ops/movement.ts).
 */
import { ShapeError, ValueError, describeValue, fmtShape } from './errors.js';
import { DTYPES, type DenseDType, checkDenseDType } from './dtype/table.js';
import { fromBF16Bits, fromF16Bits, toBF16Bits, toF16Bits } from './dtype/half.js';
import { Storage, type TypedArray, type TypedArrayCtor } from './memory/storage.js';
import { checkShapeArray, copyStrided } from './ops/strided.js';
import * as movement from './ops/movement.js';
import * as cast from './ops/cast.js';
import type { SliceSpec } from './ops/movement.js';

const CTORS = {
  Float32Array,
  Float64Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Int16Array,
  Int32Array,
  BigInt64Array,
} as const;

/** The typed array constructor holding the raw elements of a dense dtype. */
export function arrayCtor(dtype: DenseDType): TypedArrayCtor {
  return CTORS[DTYPES[dtype].dense.array] as unknown as TypedArrayCtor;
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Number of elements of a shape (1 for the 0-d shape []).
 * @example
 * shapeSize([2, 3, 4]) === 24; shapeSize([]) === 1
 */
export function shapeSize(shape: readonly number[]): number {
  checkShapeArray('shapeSize', shape);
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Throws a ShapeError (its message starting with `op: ` when given) unless `shape` is an array (or
 * typed array) whose every dimension is a non-negative integer.
 * @example
 * checkShape([2, -1], 'zeros'); // ShapeError: zeros: invalid shape [2,-1]: dimensions must be non-negative integers
 */
export function checkShape(shape: readonly number[], op?: string): void {
  const at = op ? `${op}: ` : '';
  checkShapeArray(op, shape);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${at}invalid shape ${fmtShape(shape)}: dimensions must be non-negative integers`);
  }
}

/** Reads element `i` of a raw typed array of `dtype` as a number (decodes f16/bf16, int64). */
export function readElement(dtype: DenseDType, raw: TypedArray, i: number): number {
  switch (dtype) {
    case 'f16':
      return fromF16Bits(raw[i] as number);
    case 'bf16':
      return fromBF16Bits(raw[i] as number);
    case 'int64':
      return Number(raw[i] as bigint);
    default:
      return raw[i] as number;
  }
}

/** 2^63, the first magnitude int64 cannot hold (as an f64, exact). */
const TWO_63 = 9223372036854775808;

/**
 * Writes a number into element `i` of a raw typed array of `dtype`, converting as a cast does:
 * floats round to nearest even; integers truncate toward zero and saturate at the dtype's range
 * (±Inf saturate, NaN becomes 0); bool is `x !== 0` (so NaN is true, as in numpy and torch).
 * @example
 * const raw = new Int8Array(1); writeElement('int8', raw, 0, 300.7); raw[0] === 127
 */
export function writeElement(dtype: DenseDType, raw: TypedArray, i: number, x: number): void {
  switch (dtype) {
    case 'f16':
      raw[i] = toF16Bits(x);
      return;
    case 'bf16':
      raw[i] = toBF16Bits(x);
      return;
    case 'f32':
    case 'f64':
      raw[i] = x;
      return;
    case 'bool':
      raw[i] = x !== 0 ? 1 : 0;
      return;
    case 'int64':
      (raw as BigInt64Array)[i] = Number.isNaN(x)
        ? 0n
        : x >= TWO_63
          ? 0x7fffffffffffffffn
          : x < -TWO_63
            ? -0x8000000000000000n
            : BigInt(Math.trunc(x));
      return;
    default: {
      const { min, max } = DTYPES[dtype].dense;
      raw[i] = Number.isNaN(x) ? 0 : Math.max(min, Math.min(max, Math.trunc(x)));
    }
  }
}

/**
 * A dense n-dimensional array.
 * @example
 * const t = tensor([[1, 2], [3, 4]]);
 * t.shape;            // [2, 2]
 * t.transpose().toArray(); // [[1, 3], [2, 4]]
 */
export class Tensor {
  constructor(
    /** The bytes; shared by views. */
    readonly storage: Storage,
    readonly dtype: DenseDType,
    readonly shape: readonly number[],
    /** Strides in elements (may be 0 for broadcast dimensions, negative never). */
    readonly strides: readonly number[] = contiguousStrides(shape),
    /** Offset of element [0,...,0] in elements. */
    readonly offset = 0,
  ) {}

  /** Number of elements. */
  get size(): number {
    return shapeSize(this.shape);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether elements are laid out row-major without gaps (views may still have an offset). */
  get isContiguous(): boolean {
    let acc = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== acc) return false;
      acc *= this.shape[i];
    }
    return true;
  }

  /** The raw storage viewed as this dtype's typed array (no copy; ignores shape, strides and offset). */
  raw(): TypedArray {
    return this.storage.view(arrayCtor(this.dtype));
  }

  /** Calls `fn(storageIndex, logicalIndex)` for every element in row-major order. */
  forEachIndex(fn: (storageIndex: number, logicalIndex: number) => void): void {
    const n = this.size;
    if (n === 0) return;
    if (this.isContiguous) {
      for (let i = 0; i < n; i++) fn(this.offset + i, i);
      return;
    }
    const nd = this.ndim;
    const idx = new Array<number>(nd).fill(0);
    let pos = this.offset;
    for (let i = 0; i < n; i++) {
      fn(pos, i);
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]++;
        pos += this.strides[d];
        if (idx[d] < this.shape[d]) break;
        pos -= this.strides[d] * this.shape[d];
        idx[d] = 0;
      }
    }
  }

  /** A row-major copy (or `this` when already contiguous with offset 0 and no extra bytes). */
  contiguous(): Tensor {
    if (this.isContiguous && this.offset === 0 && this.storage.byteLength === this.size * DTYPES[this.dtype].dense.bytes) {
      return this;
    }
    const out = empty(this.shape, this.dtype);
    // Views are taken after the allocation, which may have grown (and detached) a wasm memory.
    copyStrided(this.raw(), this.shape, this.strides, this.offset, out.raw(), 0);
    return out;
  }

  /**
   * The values in row-major order, as a new typed array: Float32Array for f32/f16/bf16, Float64Array
   * for f64, the integer arrays for integers, Uint8Array for bool, BigInt64Array for int64.
   */
  data(): TypedArray {
    const n = this.size;
    const out = new (arrayCtor(this.dtype))(n);
    copyStrided(this.raw(), this.shape, this.strides, this.offset, out, 0);
    if (this.dtype === 'f16' || this.dtype === 'bf16') {
      const bits = out as Uint16Array;
      const f = new Float32Array(n);
      const dec = this.dtype === 'f16' ? fromF16Bits : fromBF16Bits;
      for (let i = 0; i < n; i++) f[i] = dec(bits[i]);
      return f;
    }
    return out;
  }

  /** The values as f32 in row-major order (a new array; any dtype is converted). */
  toFloat32(): Float32Array {
    if (this.dtype === 'f32' || this.dtype === 'f16' || this.dtype === 'bf16') return this.data() as Float32Array;
    const out = new Float32Array(this.size);
    const src = this.raw();
    this.forEachIndex((s, l) => {
      out[l] = readElement(this.dtype, src, s);
    });
    return out;
  }

  /** The values as nested arrays of numbers (bool as 0/1). */
  toArray(): NestedArray {
    const flat = this.dtype === 'int64' ? Array.from(this.data() as BigInt64Array, Number) : Array.from(this.data() as ArrayLike<number>);
    if (this.ndim === 0) return flat[0];
    const build = (dim: number, start: number): NestedArray => {
      const len = this.shape[dim];
      if (dim === this.ndim - 1) return flat.slice(start, start + len);
      const step = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < len; i++) out.push(build(dim + 1, start + i * step));
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs exactly one element, got shape ${fmtShape(this.shape)}`);
    return readElement(this.dtype, this.raw(), this.offset);
  }

  /** Storage index of the element at `index` (negative entries count from the end of their axis). */
  private storageIndex(index: readonly number[]): number {
    if (index.length !== this.ndim) {
      throw new ShapeError(`index [${index.join(',')}] has ${index.length} entries for shape ${fmtShape(this.shape)}`);
    }
    let pos = this.offset;
    for (let d = 0; d < index.length; d++) {
      const n = this.shape[d];
      const i = index[d] < 0 ? index[d] + n : index[d];
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new ShapeError(`index ${index[d]} is out of range for axis ${d} of shape ${fmtShape(this.shape)}`);
      }
      pos += i * this.strides[d];
    }
    return pos;
  }

  /**
   * The element at `index` as a number (f16/bf16 decoded, bool as 0/1).
   * @example
   * tensor([[1, 2], [3, 4]]).get([1, -1]); // 4
   */
  get(index: readonly number[]): number {
    return readElement(this.dtype, this.raw(), this.storageIndex(index));
  }

  /**
   * Writes one element in place (converted as a cast does, see `writeElement`) and returns `this`.
   * Views share storage, so the write is visible through every view of it.
   * @example
   * const t = zeros([2, 2]); t.set([0, 1], 5); t.get([0, 1]); // 5
   */
  set(index: readonly number[], value: number): this {
    writeElement(this.dtype, this.raw(), this.storageIndex(index), value);
    return this;
  }

  /**
   * Writes `value` into every element of this tensor (or view) in place and returns `this`.
   * @example
   * const t = zeros([2, 3]); t.slice(null, 1).fill(7); // column 1 of t is now 7
   */
  fill(value: number): this {
    const raw = this.raw();
    const one = new (arrayCtor(this.dtype))(1);
    writeElement(this.dtype, one, 0, value);
    const v = one[0];
    if (this.isContiguous) {
      (raw as Float64Array).fill(v as number, this.offset, this.offset + this.size);
    } else {
      this.forEachIndex((s) => {
        raw[s] = v;
      });
    }
    return this;
  }

  /** `reshape` from src/ops/movement.ts: a view when the layout allows it, else a copy. */
  reshape(shape: readonly number[]): Tensor {
    return movement.reshape(this, shape);
  }

  /** `view` from src/ops/movement.ts: a view sharing storage, or ShapeError (never copies). */
  view(shape: readonly number[]): Tensor {
    return movement.view(this, shape);
  }

  /** `flatten` from src/ops/movement.ts. */
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return movement.flatten(this, startAxis, endAxis);
  }

  /** `transpose` from src/ops/movement.ts: no axes reverses them all (a 2-D matrix transpose). */
  transpose(axis0?: number, axis1?: number): Tensor {
    return movement.transpose(this, axis0, axis1);
  }

  /** `permute` from src/ops/movement.ts. */
  permute(axes: readonly number[]): Tensor {
    return movement.permute(this, axes);
  }

  /** `slice` from src/ops/movement.ts: one spec per leading axis (`null`, an index, or `[start, stop, step]`). */
  slice(...specs: SliceSpec[]): Tensor {
    return movement.slice(this, ...specs);
  }

  /** `broadcastTo` from src/ops/movement.ts. */
  broadcastTo(shape: readonly number[]): Tensor {
    return movement.broadcastTo(this, shape);
  }

  /** `expand` from src/ops/movement.ts (-1 keeps a dimension). */
  expand(shape: readonly number[]): Tensor {
    return movement.expand(this, shape);
  }

  /** `squeeze` from src/ops/movement.ts. */
  squeeze(axes?: number | readonly number[]): Tensor {
    return movement.squeeze(this, axes);
  }

  /** `unsqueeze` from src/ops/movement.ts. */
  unsqueeze(axis: number): Tensor {
    return movement.unsqueeze(this, axis);
  }

  /** `astype` from src/ops/cast.ts (returns `this` when the dtype already matches). */
  astype(dtype: DenseDType): Tensor {
    return cast.astype(this, dtype);
  }

  /** `clone` from src/ops/cast.ts: a contiguous copy with storage of its own. */
  clone(): Tensor {
    return cast.clone(this);
  }

  /** Frees the storage (shared by every view of it). Later access throws `MemoryError`. */
  dispose(): void {
    this.storage.dispose();
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${fmtShape(this.shape)})`;
  }
}

/** Numbers nested as deep as a tensor's rank. */
export type NestedArray = number | NestedArray[];

/** What `tensor()` reads as nested data: numbers or booleans (as 1 and 0), nested as deep as the rank. */
export type NestedInput = number | boolean | NestedInput[];

/**
 * `describeValue` with a hint for arrays, for messages about a value that should have been a tensor.
 * @example
 * describeNonTensor([1, 2]); // 'an array (wrap it in tensor())'
 */
export function describeNonTensor(x: unknown): string {
  return Array.isArray(x) ? 'an array (wrap it in tensor())' : describeValue(x);
}

/**
 * Throws a ValueError naming `op` unless `x` is a Tensor: the check at the entry of every public
 * function that takes one (for callers from plain JavaScript, where the types do not hold), before
 * the first property read. One instanceof, so cheap on hot paths. Not exported from the package.
 * @example
 * checkTensor('sum', undefined);           // ValueError: sum: the input must be a Tensor, got undefined
 * checkTensor('matmul', b, 'the right operand');
 */
export function checkTensor(op: string, x: unknown, what = 'the input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${op}: ${what} must be a Tensor, got ${describeNonTensor(x)}`);
}

/**
 * A zero-filled tensor of the given shape and dense dtype (default f32).
 * @throws ShapeError for a bad shape; DTypeError for an unknown or non-dense dtype
 * @example
 * empty([2, 3]);           // f32 zeros
 * empty([4], 'int32').toArray(); // [0, 0, 0, 0]
 */
export function empty(shape: readonly number[], dtype: DenseDType = 'f32'): Tensor {
  checkShape(shape, 'empty');
  checkDenseDType('empty', dtype);
  return new Tensor(Storage.alloc(shapeSize(shape) * DTYPES[dtype].dense.bytes), dtype, [...shape]);
}

/**
 * A tensor whose bytes are whatever the heap held: only for buffers the caller writes in full before
 * any read (zeroing a 4096² f32 work matrix costs ~0.1 s; GPTQ allocates three). Not exported from
 * the package: a read before the write would see stale data.
 * @example
 * const t = scratchTensor([2, 2], 'f64');
 * (t.raw() as Float64Array).set([1, 2, 3, 4]);
 */
export function scratchTensor(shape: readonly number[], dtype: DenseDType = 'f32'): Tensor {
  checkShape(shape, 'scratchTensor');
  checkDenseDType('scratchTensor', dtype);
  return new Tensor(Storage.alloc(shapeSize(shape) * DTYPES[dtype].dense.bytes, { zero: false }), dtype, [...shape]);
}

function inferShape(data: unknown): number[] {
  const shape: number[] = [];
  let cur = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flatten(data: unknown, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new ShapeError(`tensor: ragged nested array: expected a number at depth ${dim}`);
    out.push(typeof data === 'boolean' ? Number(data) : (data as number));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new ShapeError(`tensor: ragged nested array: expected length ${shape[dim]} at depth ${dim} of inferred shape ${fmtShape(shape)}`);
  }
  for (const d of data) flatten(d, shape, dim + 1, out);
}

/**
 * Creates a tensor from nested arrays (of numbers or booleans), a flat array, any other ArrayLike, or
 * a typed array (copied; an int64 one exactly).
 * @param shape defaults to the nesting of `data` (or [length] for flat data)
 * @param dtype defaults to f32 (f64 for Float64Array, the matching integer type for integer arrays)
 * @example
 * tensor([[1, 2, 3], [4, 5, 6]]);            // f32 [2,3]
 * tensor([1, 2, 3, 4], [2, 2], 'int32');
 * tensor(new Float64Array([0.5]));            // f64 [1]
 * tensor([true, false], undefined, 'bool');  // bool [2]
 */
export function tensor(data: NestedInput | ArrayLike<number> | TypedArray, shape?: readonly number[], dtype?: DenseDType): Tensor {
  if (dtype !== undefined) checkDenseDType('tensor', dtype);
  let flat: ArrayLike<number> | BigInt64Array;
  let inferred: number[];
  let defaultDType: DenseDType = 'f32';
  if (ArrayBuffer.isView(data)) {
    flat = data as unknown as ArrayLike<number>;
    inferred = [flat.length];
    if (data instanceof Float64Array) defaultDType = 'f64';
    else if (data instanceof Int32Array) defaultDType = 'int32';
    else if (data instanceof Int16Array) defaultDType = 'int16';
    else if (data instanceof Int8Array) defaultDType = 'int8';
    else if (data instanceof Uint8Array) defaultDType = 'uint8';
    else if (data instanceof BigInt64Array) defaultDType = 'int64';
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    flat = [Number(data)];
    inferred = [];
  } else if (!Array.isArray(data) && typeof data === 'object' && data !== null && typeof (data as ArrayLike<number>).length === 'number') {
    flat = Array.from(data as ArrayLike<number>); // an ArrayLike that is not an array: flat data
    inferred = [flat.length];
  } else {
    inferred = inferShape(data);
    const out: number[] = [];
    flatten(data, inferred, 0, out);
    flat = out;
  }
  const dt = dtype ?? defaultDType;
  const shp = shape ? [...shape] : inferred;
  checkShape(shp, 'tensor');
  if (shapeSize(shp) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmtShape(shp)} (${shapeSize(shp)} elements)`);
  }
  const t = empty(shp, dt);
  const raw = t.raw();
  if (flat instanceof BigInt64Array) {
    // int64 to int64 is copied as it is: through a number it would lose the bits above 2^53
    if (dt === 'int64') (raw as BigInt64Array).set(flat);
    else for (let i = 0; i < flat.length; i++) writeElement(dt, raw, i, Number(flat[i]));
  } else {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw new ValueError(`tensor: data must be numbers, got ${typeof v} at index ${i}`);
      writeElement(dt, raw, i, v);
    }
  }
  return t;
}
