/**
 * Type promotion: the dtype of the result of an operation on two dense dtypes (or a dtype and a JS
 * number). Every rule is derived from the `kind`, `rank`, `bytes`, `min` and `max` facts of the dtype
 * table, so a new dense row is promoted without touching this file. Not a cast: see src/ops/cast.ts.
 *
 * The rules (numpy-like, with torch's choice of f32 as the default float):
 * 1. Same dtype: itself.
 * 2. bool with anything: the other dtype.
 * 3. float with int/uint: the float ("float beats int"; int32 + f16 is f16, as in torch).
 * 4. Two floats: the higher rank, unless both have the same width (f16 + bf16): then the smallest
 *    float wider than both (f32), because neither format holds the other.
 * 5. Two integers: the smallest-rank integer dtype whose [min, max] holds both ranges
 *    (int8 + uint8 = int16, uint8 + int32 = int32).
 * JS numbers are "weak" (NEP 50, torch): they never widen a tensor's dtype within its kind. A boolean
 * takes the tensor's dtype; an integer number takes it too (bool tensors go to int32); a non-integer
 * number (or NaN/Inf) keeps a float dtype and turns an integer/bool one into f32.
 *
 * Op families then adjust the promoted dtype: arithmetic on bool computes in int32 (`arithmeticDType`);
 * true division, pow, and float functions (sqrt, exp, log, ...) on integers or bool give f32
 * (`floatDType`); comparisons give bool. int64 is a storage/I-O dtype: arithmetic on it throws
 * DTypeError (`checkComputable`); cast it with `astype('f64')` first.
 */
import { DTypeError, describeValue } from '../errors.js';
import { DENSE_DTYPES, DTYPES, checkDenseDType, type DenseDType } from './table.js';

/** The float dtype results fall back to (int / int, sqrt of an int, ...). */
export const DEFAULT_FLOAT: DenseDType = 'f32';
/** The integer dtype results fall back to (bool + bool, integer literals). */
export const DEFAULT_INT: DenseDType = 'int32';

const kindOf = (d: DenseDType) => DTYPES[d].dense.kind;
const isIntKind = (d: DenseDType) => kindOf(d) === 'int' || kindOf(d) === 'uint';

/** Dense dtypes sorted by rank (ascending), computed once from the table. */
const BY_RANK: readonly DenseDType[] = [...DENSE_DTYPES].sort((a, b) => DTYPES[a].dense.rank - DTYPES[b].dense.rank);

/**
 * The dtype of a binary op's result on two tensors of dtypes `a` and `b` (before op-family adjustments).
 * @example
 * promoteTypes('int8', 'uint8') === 'int16';
 * promoteTypes('f16', 'bf16') === 'f32';
 * promoteTypes('int32', 'f16') === 'f16';
 */
export function promoteTypes(a: DenseDType, b: DenseDType): DenseDType {
  checkDenseDType('promoteTypes', a);
  checkDenseDType('promoteTypes', b);
  if (a === b) return a;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'bool') return b;
  if (kb === 'bool') return a;
  const fa = ka === 'float';
  const fb = kb === 'float';
  if (fa !== fb) return fa ? a : b;
  const ia = DTYPES[a].dense;
  const ib = DTYPES[b].dense;
  if (fa) {
    if (ia.bytes !== ib.bytes) return ia.rank > ib.rank ? a : b;
    const wider = BY_RANK.find((d) => kindOf(d) === 'float' && DTYPES[d].dense.bytes > ia.bytes);
    if (wider) return wider;
    throw new DTypeError(`no float dtype is wider than both ${a} and ${b}`);
  }
  const lo = Math.min(ia.min, ib.min);
  const hi = Math.max(ia.max, ib.max);
  const fit = BY_RANK.find((d) => isIntKind(d) && DTYPES[d].dense.min <= lo && DTYPES[d].dense.max >= hi);
  if (fit) return fit;
  throw new DTypeError(`no integer dtype holds both ${a} and ${b}`);
}

/**
 * The dtype a JS scalar takes on its own (both operands scalars): boolean → bool, integer → int32,
 * other numbers → f32.
 * @example
 * scalarDType(3) === 'int32'; scalarDType(0.5) === 'f32'; scalarDType(true) === 'bool';
 */
export function scalarDType(x: number | boolean): DenseDType {
  if (typeof x === 'boolean') return 'bool';
  return Number.isInteger(x) ? DEFAULT_INT : DEFAULT_FLOAT;
}

/**
 * Promotes a tensor dtype with a weak JS scalar (see the header rules).
 * @example
 * promoteWithScalar('int8', 3) === 'int8'; promoteWithScalar('int8', 0.5) === 'f32';
 * promoteWithScalar('f16', 1e6) === 'f16'; promoteWithScalar('bool', 2) === 'int32';
 */
export function promoteWithScalar(d: DenseDType, x: number | boolean): DenseDType {
  if (typeof x === 'boolean') return d;
  const k = kindOf(d);
  if (k === 'float') return d;
  if (Number.isInteger(x)) return k === 'bool' ? DEFAULT_INT : d;
  return DEFAULT_FLOAT;
}

/** Throws a DTypeError naming resultType unless `x` is a dense dtype name, a number or a boolean. */
function checkResultOperand(x: unknown): void {
  if (typeof x === 'number' || typeof x === 'boolean') return;
  if (typeof x !== 'string') throw new DTypeError(`resultType: an operand must be a dense dtype name, a number or a boolean, got ${describeValue(x)}`);
  checkDenseDType('resultType', x as DenseDType);
}

/**
 * The promoted dtype of two operands, each a dtype (a tensor's) or a JS scalar (weak).
 * @example
 * resultType('int32', 'f32') === 'f32'; resultType('int8', 2) === 'int8'; resultType(1, 2.5) === 'f32';
 */
export function resultType(a: DenseDType | number | boolean, b: DenseDType | number | boolean): DenseDType {
  checkResultOperand(a);
  checkResultOperand(b);
  const sa = typeof a !== 'string';
  const sb = typeof b !== 'string';
  if (sa && sb) return promoteTypes(scalarDType(a), scalarDType(b));
  if (sa) return promoteWithScalar(b as DenseDType, a);
  if (sb) return promoteWithScalar(a, b);
  return promoteTypes(a, b);
}

/**
 * The dtype arithmetic (add, mul, neg, sum, ...) computes in for a promoted dtype: bool → int32.
 * @example
 * arithmeticDType('bool') === 'int32'; arithmeticDType('int8') === 'int8';
 */
export function arithmeticDType(d: DenseDType): DenseDType {
  return kindOf(d) === 'bool' ? DEFAULT_INT : d;
}

/**
 * The dtype of a float-valued op (true division, pow, sqrt, exp, log, mean, ...): floats keep their
 * dtype, integers and bool give f32.
 * @example
 * floatDType('int32') === 'f32'; floatDType('f64') === 'f64';
 */
export function floatDType(d: DenseDType): DenseDType {
  return kindOf(d) === 'float' ? d : DEFAULT_FLOAT;
}

/** Whether a dtype is a float (f16, bf16, f32, f64). */
export function isFloatDType(d: DenseDType): boolean {
  return kindOf(d) === 'float';
}

/** Whether a dtype is a signed or unsigned integer. */
export function isIntDType(d: DenseDType): boolean {
  return isIntKind(d);
}

/**
 * Throws DTypeError when `op` cannot compute on `d`: only int64 (whose values JS numbers cannot hold
 * beyond 2^53) is refused.
 * @example
 * checkComputable('add', 'int64'); // throws: add does not support int64 ...
 */
export function checkComputable(op: string, d: DenseDType): void {
  if (DTYPES[d].dense.array === 'BigInt64Array') {
    throw new DTypeError(`${op} does not support ${d} (a storage/I-O dtype); cast it first, e.g. astype(t, 'f64')`);
  }
}
