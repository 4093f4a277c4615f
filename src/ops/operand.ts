/**
 * Operands of numeric ops as plain strided number arrays: a tensor's raw typed array (or, for
 * f16/bf16, its values decoded into a contiguous Float32Array: those dtypes are computed in f32), a
 * JS scalar as a one-element array with stride 0, and output buffers that encode back to f16/bf16.
 * Internal to src/ops; not exported from the package.
 *
 * Views of storage are valid until the next allocation (a wasm memory may grow), so callers allocate
 * every output first and take operands after.
 */
import { DTYPES, type DenseDType } from '../dtype/table.js';
import { checkComputable } from '../dtype/promote.js';
import { f32ToBF16Array, f32ToF16Array, fromBF16Bits, fromF16Bits, roundToBF16, roundToF16 } from '../dtype/half.js';
import { ValueError } from '../errors.js';
import { Tensor, contiguousStrides } from '../tensor.js';
import type { NumArray } from './strided.js';

/** A strided array of numbers. */
export interface NumOperand {
  readonly data: NumArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Codecs of the dtypes stored as 16-bit patterns and computed in f32. */
const HALF = {
  f16: { decode: fromF16Bits, encodeArray: f32ToF16Array, round: roundToF16 },
  bf16: { decode: fromBF16Bits, encodeArray: f32ToBF16Array, round: roundToBF16 },
} as const;
type HalfDType = keyof typeof HALF;

/** Whether a dtype is stored as bit patterns that must be decoded (f16, bf16). */
export function isHalf(d: DenseDType): d is HalfDType {
  return DTYPES[d].dense.kind === 'float' && DTYPES[d].dense.array === 'Uint16Array';
}

/**
 * A tensor as numbers. f16/bf16 are decoded into a new contiguous Float32Array; other dtypes give the
 * raw storage view (take it after allocating outputs). int64 throws DTypeError naming `op`.
 */
export function numOperand(t: Tensor, op: string): NumOperand {
  checkComputable(op, t.dtype);
  if (isHalf(t.dtype)) {
    return { data: t.data() as Float32Array, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 };
  }
  return { data: t.raw() as NumArray, shape: t.shape, strides: t.strides, offset: t.offset };
}

/**
 * A JS scalar as a 0-d operand, converted to `dtype` the way a weak scalar is: rounded to the float
 * format, or kept exact for integers (ValueError when it does not fit the integer dtype).
 */
export function scalarOperand(x: number | boolean, dtype: DenseDType, op: string): NumOperand {
  const v = Number(x);
  const info = DTYPES[dtype].dense;
  let data: NumArray;
  if (info.kind === 'float') {
    if (isHalf(dtype)) data = new Float32Array([HALF[dtype].round(v)]);
    else data = dtype === 'f32' ? new Float32Array([v]) : new Float64Array([v]);
  } else {
    if (info.kind !== 'bool' && Number.isFinite(v) && (v < info.min || v > info.max)) {
      throw new ValueError(`${op}: scalar ${v} does not fit ${dtype} [${info.min}, ${info.max}]; cast the tensor first`);
    }
    data = new Float64Array([v]);
  }
  return { data, shape: [], strides: [], offset: 0 };
}

/** A scalar kept exact (comparisons against integer tensors compare exact values). */
export function exactScalar(x: number | boolean): NumOperand {
  return { data: new Float64Array([Number(x)]), shape: [], strides: [], offset: 0 };
}

/**
 * Where an op writes the values of `out`: its raw storage, or for f16/bf16 a Float32Array that
 * `finish()` encodes into the storage (round to nearest even).
 */
export interface OutBuffer {
  readonly data: NumArray;
  finish(): void;
}

/** The output buffer of `out` (take it after every allocation of the op). */
export function outBuffer(out: Tensor): OutBuffer {
  const d = out.dtype;
  if (isHalf(d)) {
    const tmp = new Float32Array(out.size);
    return { data: tmp, finish: () => HALF[d].encodeArray(tmp, out.raw() as Uint16Array<ArrayBuffer>) };
  }
  return { data: out.raw() as NumArray, finish: () => undefined };
}

/**
 * Stores f64 results into a fresh contiguous `out` converted to its dtype: f16 rounds once from the
 * f64 value; integer dtypes take the typed array's modular conversion (used for wrapping integer sums).
 */
export function storeF64(out: Tensor, values: Float64Array): void {
  const d = out.dtype;
  if (isHalf(d)) HALF[d].encodeArray(values, out.raw() as Uint16Array<ArrayBuffer>);
  else (out.raw() as Float64Array).set(values);
}
