/**
 * THE dtype table: every backend-independent fact of every dtype, one row each (after ggml's
 * `type_traits[]`). Nothing else in the library branches on a dtype name to learn a fact; any other
 * per-dtype map is `satisfies Record<DTypeName, ...>` (or of the dense/quant subset) so a new row
 * cannot be forgotten. Granularity (per-tensor, per-channel, per-group) is an option of `quantize`,
 * never a dtype variant. Backend facts (which WASM kernel serves a dtype) live in src/kernels/table.ts.
 *
 * Two kinds of rows:
 * - dense: element storage of a `Tensor` (`array` names the typed array holding the raw elements;
 *   f16/bf16 are stored as their bit patterns in a Uint16Array).
 * - quant: the code format of a `QTensor`. `bits` is the width of one packed code. `int8` is both:
 *   a dense storage type and the 8-bit affine code format.
 */
import { DTypeError } from '../errors.js';
import { FP4_E2M1_VALUES, NF4_VALUES } from './codebooks.js';
import { pvqBits } from './pvq/count.js';

/** Typed array constructors a dense dtype can be stored in. */
export type TypedArrayName =
  | 'Float32Array'
  | 'Float64Array'
  | 'Uint16Array'
  | 'Int8Array'
  | 'Uint8Array'
  | 'Int16Array'
  | 'Int32Array'
  | 'BigInt64Array';

/** Facts of a dtype that a `Tensor` stores element by element. */
export interface DenseFacts {
  /** float: f32/f64/f16/bf16; int/uint: integers; bool: 0/1 in a byte. */
  readonly kind: 'float' | 'int' | 'uint' | 'bool';
  /** Bytes per element. */
  readonly bytes: number;
  /** The typed array holding the raw element (bit patterns for f16/bf16). */
  readonly array: TypedArrayName;
  /** Smallest and largest representable value (integers), or the largest finite (floats). */
  readonly min: number;
  readonly max: number;
  /** Rank in type promotion: the result of a binary op is the dtype of higher rank, see promote.ts. */
  readonly rank: number;
}

/**
 * How the codes of a quantized dtype become numbers:
 * - affine: value = (code - zero) * scale. Codes are unsigned `0 .. 2^bits-1`; symmetric formats use
 *   the fixed zero `2^(bits-1)` (so the signed range is `-2^(bits-1) .. 2^(bits-1)-1`), asymmetric
 *   ones an integer zero point per group.
 * - lut: value = values[code] * scale (fixed codebook: nf4, fp4).
 * - mx: value = values[code] * 2^(e - 127), one e8m0 exponent e per block of `blockSize` (OCP MX).
 * - codebook: a code indexes a learned vector of `dim` values (VQ); index bits and dim per tensor.
 * - pvq: a code is one record per group of `dim` columns: an amplitude code (ampBits) and the index
 *   of an integer vector y with Σ|y_i| = pulses (ceil(log2 V(dim, pulses)) bits); value =
 *   y · ρ_row · levels[amplitude] / ‖y‖₂, in a Hadamard-rotated basis. dim, pulses and ampBits are per
 *   tensor (the `codebook` analogue); the amplitude levels are tensor data (src/qtensor.ts).
 */
export type QuantFamily = 'affine' | 'lut' | 'mx' | 'codebook' | 'pvq';

/** Facts of a quantized code format. */
export interface QuantFacts {
  readonly family: QuantFamily;
  /** Signed code range (affine: the symmetric range around the fixed zero). */
  readonly codeMin: number;
  readonly codeMax: number;
  /** Largest unsigned code (affine with a zero point: codes 0..ucodeMax). */
  readonly ucodeMax: number;
  /** Fixed codebook values (lut/mx), at full precision. */
  readonly values?: readonly number[];
  /** A block size fixed by the format (mx), which `groupSize` must equal. */
  readonly blockSize?: number;
  /** Storage of the group scales the format prescribes (mx: e8m0); otherwise chosen per tensor. */
  readonly scaleDtype?: ScaleDType;
  /** Whether a per-group zero point is possible (asymmetric quantization). */
  readonly zeroPoint: boolean;
  /** Whether `bits` is set per tensor rather than by the format (codebook: index bits; pvq: record bits). */
  readonly variableBits?: boolean;
  /**
   * The quantizer that makes these codes when `quantize` (src/ops/quant.ts) cannot: its encoder is
   * an algorithm above the ops layer (pvq: pvqQuantize / pvqGptq). Such dtypes are QTensor dtypes
   * (`QTENSOR_DTYPES`) but not in `QUANT_DTYPES`, the list `quantize` accepts.
   */
  readonly quantizer?: string;
  /**
   * mx: exponent of the largest power of two of the element format (`emax_elem`, OCP MX v1.0 §6.3;
   * 2 for E2M1, whose largest value is 6 = 1.5 * 2^2). The shared exponent is
   * `floor(log2(amax)) - emaxElem`.
   */
  readonly emaxElem?: number;
}

/** Precision in which group scales are kept (and counted in bits per weight). */
export type ScaleDType = 'f32' | 'f16' | 'bf16' | 'e8m0';

/**
 * Bits of storage of one scale, per scale dtype.
 * @example
 * SCALE_BITS.f16 === 16
 */
export const SCALE_BITS = { f32: 32, f16: 16, bf16: 16, e8m0: 8 } as const satisfies Record<ScaleDType, number>;

/**
 * E8M0 (OCP MX v1.0 §5.4.1): an 8-bit biased exponent, value 2^(bits - bias); bits 0xff is NaN, so the
 * unbiased exponent spans [minExp, maxExp]. No sign, no zero.
 */
export const E8M0 = { bias: 127, minExp: -127, maxExp: 127 } as const;

/** One row of the table. */
export interface DTypeInfo {
  readonly name: string;
  /** Bits per element (dense) or per code (quant; for codebook: the default index bits). */
  readonly bits: number;
  readonly dense?: DenseFacts;
  readonly quant?: QuantFacts;
  /** One line for docs/dtypes.md. */
  readonly doc: string;
}

const affine = (bits: number): QuantFacts => ({
  family: 'affine',
  codeMin: -(2 ** (bits - 1)),
  codeMax: 2 ** (bits - 1) - 1,
  ucodeMax: 2 ** bits - 1,
  zeroPoint: true,
});

/**
 * Every dtype. Add a row here and the property tests, docs and kernel table pick it up.
 * @example
 * DTYPES.f16.dense.bytes === 2;
 * DTYPES.int4.quant.codeMin === -8 && DTYPES.int4.quant.ucodeMax === 15;
 */
export const DTYPES = {
  f32: {
    name: 'f32',
    bits: 32,
    dense: { kind: 'float', bytes: 4, array: 'Float32Array', min: -3.4028234663852886e38, max: 3.4028234663852886e38, rank: 12 },
    doc: 'IEEE 754 binary32',
  },
  f64: {
    name: 'f64',
    bits: 64,
    dense: { kind: 'float', bytes: 8, array: 'Float64Array', min: -Number.MAX_VALUE, max: Number.MAX_VALUE, rank: 13 },
    doc: 'IEEE 754 binary64',
  },
  f16: {
    name: 'f16',
    bits: 16,
    dense: { kind: 'float', bytes: 2, array: 'Uint16Array', min: -65504, max: 65504, rank: 10 },
    doc: 'IEEE 754 binary16, stored as bits; computed in f32',
  },
  bf16: {
    name: 'bf16',
    bits: 16,
    dense: { kind: 'float', bytes: 2, array: 'Uint16Array', min: -3.3895313892515355e38, max: 3.3895313892515355e38, rank: 11 },
    doc: 'bfloat16 (top half of f32), stored as bits; computed in f32',
  },
  int8: {
    name: 'int8',
    bits: 8,
    dense: { kind: 'int', bytes: 1, array: 'Int8Array', min: -128, max: 127, rank: 3 },
    quant: affine(8),
    doc: 'signed 8-bit integer; as a code: affine 8-bit',
  },
  uint8: {
    name: 'uint8',
    bits: 8,
    dense: { kind: 'uint', bytes: 1, array: 'Uint8Array', min: 0, max: 255, rank: 2 },
    doc: 'unsigned 8-bit integer',
  },
  int16: {
    name: 'int16',
    bits: 16,
    dense: { kind: 'int', bytes: 2, array: 'Int16Array', min: -32768, max: 32767, rank: 4 },
    doc: 'signed 16-bit integer',
  },
  int32: {
    name: 'int32',
    bits: 32,
    dense: { kind: 'int', bytes: 4, array: 'Int32Array', min: -2147483648, max: 2147483647, rank: 5 },
    doc: 'signed 32-bit integer',
  },
  int64: {
    name: 'int64',
    bits: 64,
    dense: { kind: 'int', bytes: 8, array: 'BigInt64Array', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, rank: 6 },
    doc: 'signed 64-bit integer (storage and I/O; values beyond 2^53 are not representable as numbers)',
  },
  bool: {
    name: 'bool',
    bits: 8,
    dense: { kind: 'bool', bytes: 1, array: 'Uint8Array', min: 0, max: 1, rank: 1 },
    doc: 'boolean, one byte (0 or 1)',
  },
  int2: { name: 'int2', bits: 2, quant: affine(2), doc: 'affine 2-bit codes' },
  int3: { name: 'int3', bits: 3, quant: affine(3), doc: 'affine 3-bit codes' },
  int4: { name: 'int4', bits: 4, quant: affine(4), doc: 'affine 4-bit codes' },
  fp4: {
    name: 'fp4',
    bits: 4,
    quant: { family: 'lut', codeMin: 0, codeMax: 15, ucodeMax: 15, values: FP4_E2M1_VALUES, zeroPoint: false },
    doc: 'FP4 E2M1 (±{0,.5,1,1.5,2,3,4,6}) times a group scale',
  },
  nf4: {
    name: 'nf4',
    bits: 4,
    quant: { family: 'lut', codeMin: 0, codeMax: 15, ucodeMax: 15, values: NF4_VALUES, zeroPoint: false },
    doc: 'NormalFloat4 (QLoRA) times a group absmax scale',
  },
  mxfp4: {
    name: 'mxfp4',
    bits: 4,
    quant: {
      family: 'mx',
      codeMin: 0,
      codeMax: 15,
      ucodeMax: 15,
      values: FP4_E2M1_VALUES,
      blockSize: 32,
      scaleDtype: 'e8m0',
      zeroPoint: false,
      emaxElem: 2,
    },
    doc: 'OCP MXFP4: E2M1 codes with a shared power-of-two (e8m0) scale per 32',
  },
  codebook: {
    name: 'codebook',
    bits: 8,
    quant: { family: 'codebook', codeMin: 0, codeMax: 255, ucodeMax: 255, zeroPoint: false, variableBits: true },
    doc: 'learned vector codebook (VQ): index bits and vector dimension per tensor, codebook is data',
  },
  pvq: {
    name: 'pvq',
    // Per tensor, like codebook's index bits; the row's value is the record of dim 16, 12 pulses and
    // 4 amplitude bits (about 2.25 bits per weight on 4096 columns).
    bits: 4 + pvqBits(16, 12),
    quant: { family: 'pvq', codeMin: 0, codeMax: 0, ucodeMax: 0, zeroPoint: false, variableBits: true, quantizer: 'pvqQuantize' },
    doc: 'pyramid vector quantization (PVQ): per group of dim columns an amplitude code and a codeword index in P(dim, pulses), one scale per row, Hadamard-rotated; dim, pulses, amplitude bits per tensor',
  },
} as const satisfies Record<string, DTypeInfo>;

/** Every dtype name. */
export type DTypeName = keyof typeof DTYPES;
/** Dtypes a `Tensor` can hold. */
export type DenseDType = { [K in DTypeName]: (typeof DTYPES)[K] extends { dense: DenseFacts } ? K : never }[DTypeName];
/** Dtypes a `QTensor` can hold. */
export type QuantDType = { [K in DTypeName]: (typeof DTYPES)[K] extends { quant: QuantFacts } ? K : never }[DTypeName];

/**
 * All names, in table order.
 * @example
 * DTYPE_NAMES.includes('nf4') === true
 */
export const DTYPE_NAMES = Object.keys(DTYPES) as DTypeName[];
/**
 * Names of the dense dtypes, in table order.
 * @example
 * DENSE_DTYPES; // ['f32', 'f64', 'f16', 'bf16', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool']
 */
export const DENSE_DTYPES = DTYPE_NAMES.filter((n) => 'dense' in DTYPES[n]) as DenseDType[];
/**
 * Names of every dtype a `QTensor` can hold, in table order.
 * @example
 * QTENSOR_DTYPES.includes('pvq') === true
 */
export const QTENSOR_DTYPES = DTYPE_NAMES.filter((n) => 'quant' in DTYPES[n]) as QuantDType[];
/**
 * Names of the quantized dtypes `quantize` (src/ops/quant.ts) encodes, in table order: every QTensor
 * dtype except those made by a quantizer of their own (`QuantFacts.quantizer`, e.g. pvq).
 * @example
 * for (const dtype of QUANT_DTYPES) if (dtype !== 'codebook') quantize(w, { dtype, groupSize: 32 });
 */
export const QUANT_DTYPES = QTENSOR_DTYPES.filter((n) => !(DTYPES[n].quant as QuantFacts).quantizer);

/**
 * Whether a string names a dtype.
 * @example
 * isDTypeName('nf4') === true; isDTypeName('i32') === false
 */
export function isDTypeName(s: string): s is DTypeName {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}
/**
 * Whether a string names a dense dtype.
 * @example
 * isDenseDType('bf16') === true; isDenseDType('nf4') === false
 */
export function isDenseDType(s: string): s is DenseDType {
  return isDTypeName(s) && 'dense' in DTYPES[s];
}
/**
 * Whether a string names a quantized dtype.
 * @example
 * isQuantDType('nf4') === true; isQuantDType('bf16') === false
 */
export function isQuantDType(s: string): s is QuantDType {
  return isDTypeName(s) && 'quant' in DTYPES[s];
}

/**
 * Throws a DTypeError naming `op` unless `dtype` is a dense dtype name (a check for callers from
 * plain JavaScript, where the DenseDType type does not hold). Not exported from the package.
 * @example
 * checkDenseDType('zeros', 'int4'); // DTypeError: zeros: unknown dense dtype int4
 */
export function checkDenseDType(op: string, dtype: DenseDType): void {
  if (!isDenseDType(dtype)) throw new DTypeError(`${op}: unknown dense dtype ${String(dtype)}`);
}

/**
 * Throws a DTypeError naming `op` unless `dtype` is a quantized dtype name (the `dtype` option of
 * quantize and the quantizers). Not exported from the package.
 * @example
 * checkQuantDType('gptq', 'bf16'); // DTypeError: gptq: unknown quantized dtype bf16
 */
export function checkQuantDType(op: string, dtype: unknown): asserts dtype is QuantDType {
  if (typeof dtype !== 'string' || !isQuantDType(dtype)) throw new DTypeError(`${op}: unknown quantized dtype ${String(dtype)}`);
}

/**
 * The dense facts of a dtype.
 * @throws DTypeError for a name that is not a dense dtype
 * @example
 * denseInfo('bf16').bytes === 2
 */
export function denseInfo(d: DenseDType): DenseFacts {
  checkDenseDType('denseInfo', d);
  return DTYPES[d].dense;
}

/**
 * The quant facts of a dtype.
 * @throws DTypeError for a name that is not a quantized dtype
 * @example
 * quantInfo('int4').ucodeMax === 15
 */
export function quantInfo(d: QuantDType): QuantFacts {
  checkQuantDType('quantInfo', d);
  return DTYPES[d].quant;
}
