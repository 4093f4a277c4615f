/**
 * Elementwise ops with numpy broadcasting and the type promotion of src/dtype/promote.ts: arithmetic
 * (add, sub, mul, div, pow, maximum, minimum, clamp), unary math (neg, abs, sqrt, exp, log, round,
 * sign, ...), comparisons (eq, ne, lt, le, gt, ge → bool), logical ops and `where`. Operands are
 * tensors or JS scalars (weak: a scalar never widens a tensor's dtype). Not reductions (reduce.ts)
 * and not casts (cast.ts).
 *
 * Each op is a 1-D strided loop run over the rows of `forEachRow`, so contiguous same-shape inputs
 * are one tight loop and broadcasting costs one call per row. Semantics worth knowing:
 * - f16/bf16 are computed in f32 and rounded once into the result (round to nearest even).
 * - Integer arithmetic wraps like C and numpy (int8 127 + 1 = -128); `mul` uses Math.imul so int32
 *   products wrap exactly. Casts, by contrast, saturate (cast.ts).
 * - div, pow and the float functions on integer/bool tensors return f32; arithmetic on bool computes
 *   in int32. int64 throws DTypeError (cast it first).
 * - NaN: maximum/minimum/clamp propagate it (numpy); comparisons with NaN are false except ne.
 * - Comparisons compare exact values (an int32 and an f32 are not rounded to a common type); a scalar
 *   compared with a float tensor is first rounded to that tensor's dtype.
 * - pow follows C99/numpy where JS differs: pow(1, y) = 1 and pow(-1, ±Inf) = 1 (JS gives NaN).
 */
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import {
  arithmeticDType,
  floatDType,
  isFloatDType,
  isIntDType,
  checkComputable,
  resultType,
} from '../dtype/promote.js';
import type { DenseDType } from '../dtype/table.js';
import { Tensor, checkTensor, contiguousStrides, describeNonTensor, empty } from '../tensor.js';
import { clone } from './cast.js';
import { exactScalar, numOperand, outBuffer, scalarOperand, type NumOperand } from './operand.js';
import { broadcastShapes, broadcastStrides, forEachRow, type NumArray } from './strided.js';

/** An operand of an elementwise op: a tensor or a JS scalar. */
export type Operand = Tensor | number | boolean;

type BinLoop = (a: NumArray, ia: number, sa: number, b: NumArray, ib: number, sb: number, o: NumArray, io: number, n: number) => void;
type UnLoop = (a: NumArray, ia: number, sa: number, o: NumArray, io: number, n: number) => void;

const dtypeOf = (x: Operand): DenseDType | number | boolean => (x instanceof Tensor ? x.dtype : x);
const shapeOf = (x: Operand): readonly number[] => (x instanceof Tensor ? x.shape : []);

/**
 * Throws a ValueError naming `op` unless x is an operand of a binary op: a Tensor, a number or a
 * boolean (plain-JS callers, for whom the types do not hold). Unary ops take tensors: checkTensor.
 */
function checkOperand(op: string, x: unknown): void {
  if (x instanceof Tensor || typeof x === 'number' || typeof x === 'boolean') return;
  throw new ValueError(`${op}: an operand must be a tensor, a number or a boolean, got ${describeNonTensor(x)}`);
}

/** The broadcast shape of the operands, or a ShapeError naming `op` that quotes every operand's shape. */
function broadcastFor(op: string, ...shapes: (readonly number[])[]): number[] {
  try {
    return broadcastShapes(...shapes);
  } catch (e) {
    if (e instanceof ShapeError) throw new ShapeError(`${op}: shapes ${shapes.map(fmtShape).join(', ')} do not broadcast (${e.message})`);
    throw e;
  }
}

/** Runs a binary loop over the broadcast of a and b into a new tensor of `outDType`. */
function runBinary(
  op: string,
  a: Operand,
  b: Operand,
  outDType: DenseDType,
  toA: (x: number | boolean) => NumOperand,
  toB: (x: number | boolean) => NumOperand,
  loop: BinLoop,
): Tensor {
  // arith and floating check first (they read the dtypes before coming here); compare and the
  // logical ops come straight here
  checkOperand(op, a);
  checkOperand(op, b);
  const shape = broadcastFor(op, shapeOf(a), shapeOf(b));
  const out = empty(shape, outDType);
  const ob = outBuffer(out);
  const A = a instanceof Tensor ? numOperand(a, op) : toA(a);
  const B = b instanceof Tensor ? numOperand(b, op) : toB(b);
  forEachRow(
    shape,
    [broadcastStrides(A.shape, A.strides, shape), broadcastStrides(B.shape, B.strides, shape), contiguousStrides(shape)],
    [A.offset, B.offset, 0],
    (pos, n, inner) => loop(A.data, pos[0], inner[0], B.data, pos[1], inner[1], ob.data, pos[2], n),
  );
  ob.finish();
  return out;
}

/** Arithmetic family: result is the promoted dtype, bool computed as int32. */
function arith(op: string, a: Operand, b: Operand, loop: BinLoop, intLoop: BinLoop = loop): Tensor {
  checkOperand(op, a);
  checkOperand(op, b);
  const rt = resultType(dtypeOf(a), dtypeOf(b));
  const out = arithmeticDType(rt);
  const toScalar = (x: number | boolean) => scalarOperand(x, out, op);
  return runBinary(op, a, b, out, toScalar, toScalar, isIntDType(out) ? intLoop : loop);
}

/** Float family (true division, pow): integer/bool results become f32. */
function floating(op: string, a: Operand, b: Operand, loop: BinLoop): Tensor {
  checkOperand(op, a);
  checkOperand(op, b);
  const rt = resultType(dtypeOf(a), dtypeOf(b));
  const toScalar = (x: number | boolean) => scalarOperand(x, rt, op);
  return runBinary(op, a, b, floatDType(rt), toScalar, toScalar, loop);
}

/** Comparison family: bool result; a scalar is rounded to the dtype of a float tensor it meets. */
function compare(op: string, a: Operand, b: Operand, loop: BinLoop): Tensor {
  const conv = (other: Operand) => (x: number | boolean) =>
    other instanceof Tensor && isFloatDType(other.dtype) ? scalarOperand(x, other.dtype, op) : exactScalar(x);
  return runBinary(op, a, b, 'bool', conv(b), conv(a), loop);
}

// ---- binary loops: o[io + k] = f(a[ia + k*sa], b[ib + k*sb]) ----

const ADD: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] + b[ib];
};
const SUB: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] - b[ib];
};
const MUL: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] * b[ib];
};
const MUL_INT: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = Math.imul(a[ia], b[ib]);
};
const DIV: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] / b[ib];
};
const POW: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) {
    const x = a[ia];
    const y = b[ib];
    o[io + k] = x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : x ** y;
  }
};
const MAXIMUM: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = Math.max(a[ia], b[ib]);
};
const MINIMUM: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = Math.min(a[ia], b[ib]);
};
const EQ: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] === b[ib] ? 1 : 0;
};
const NE: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] !== b[ib] ? 1 : 0;
};
const LT: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] < b[ib] ? 1 : 0;
};
const LE: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] <= b[ib] ? 1 : 0;
};
const GT: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] > b[ib] ? 1 : 0;
};
const GE: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] >= b[ib] ? 1 : 0;
};
const AND: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] !== 0 && b[ib] !== 0 ? 1 : 0;
};
const OR: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = a[ia] !== 0 || b[ib] !== 0 ? 1 : 0;
};
const XOR: BinLoop = (a, ia, sa, b, ib, sb, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) o[io + k] = (a[ia] !== 0) !== (b[ib] !== 0) ? 1 : 0;
};

/**
 * a + b, broadcast. Integers wrap on overflow.
 * @example
 * add(tensor([[1], [2]]), tensor([10, 20])).toArray(); // [[11, 21], [12, 22]]
 * add(tensor([1, 2], undefined, 'int8'), 1).dtype;     // 'int8'
 */
export function add(a: Operand, b: Operand): Tensor {
  return arith('add', a, b, ADD);
}

/**
 * a - b, broadcast.
 * @example
 * sub(tensor([5, 6]), 1).toArray(); // [4, 5]
 */
export function sub(a: Operand, b: Operand): Tensor {
  return arith('sub', a, b, SUB);
}

/**
 * a * b, broadcast (integer products wrap exactly, via Math.imul).
 * @example
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 */
export function mul(a: Operand, b: Operand): Tensor {
  return arith('mul', a, b, MUL, MUL_INT);
}

/**
 * True division a / b, broadcast; integer or bool operands give f32 (x/0 = ±Inf, 0/0 = NaN).
 * @example
 * div(tensor([1, 2], undefined, 'int32'), 4).toArray(); // [0.25, 0.5] (f32)
 */
export function div(a: Operand, b: Operand): Tensor {
  return floating('div', a, b, DIV);
}

/**
 * a ** b, broadcast, with C99 special cases (pow(1, NaN) = 1, pow(-1, ±Inf) = 1); integer or bool
 * operands give f32.
 * @example
 * pow(tensor([1, 2, 3]), 2).toArray(); // [1, 4, 9]
 */
export function pow(a: Operand, b: Operand): Tensor {
  return floating('pow', a, b, POW);
}

/**
 * Elementwise maximum, broadcast; NaN propagates.
 * @example
 * maximum(tensor([1, NaN, 3]), 2).toArray(); // [2, NaN, 3]
 */
export function maximum(a: Operand, b: Operand): Tensor {
  return arith('maximum', a, b, MAXIMUM);
}

/**
 * Elementwise minimum, broadcast; NaN propagates.
 * @example
 * minimum(tensor([1, 3]), 2).toArray(); // [1, 2]
 */
export function minimum(a: Operand, b: Operand): Tensor {
  return arith('minimum', a, b, MINIMUM);
}

/**
 * `min(max(x, lo), hi)`; either bound may be omitted (undefined). NaN in x or a bound propagates.
 * @example
 * clamp(tensor([-2, 0.5, 9]), 0, 1).toArray(); // [0, 0.5, 1]
 */
export function clamp(x: Operand, lo?: Operand, hi?: Operand): Tensor {
  checkOperand('clamp', x);
  if (x instanceof Tensor) checkComputable('clamp', x.dtype); // also without bounds, as with them
  let out: Operand = x;
  if (lo !== undefined) out = arith('clamp', out, lo, MAXIMUM);
  if (hi !== undefined) out = arith('clamp', out, hi, MINIMUM);
  if (out instanceof Tensor) return out === x ? clone(out) : out;
  return arith('clamp', out, 0, ADD);
}

/**
 * a == b → bool.
 * @example
 * eq(tensor([1, NaN]), tensor([1, NaN])).toArray(); // [1, 0]
 */
export function eq(a: Operand, b: Operand): Tensor {
  return compare('eq', a, b, EQ);
}

/**
 * a != b → bool (true for NaN).
 * @example
 * ne(tensor([1, 2]), 1).toArray(); // [0, 1]
 */
export function ne(a: Operand, b: Operand): Tensor {
  return compare('ne', a, b, NE);
}

/**
 * a < b → bool.
 * @example
 * lt(tensor([1, 2]), 2).toArray(); // [1, 0]
 */
export function lt(a: Operand, b: Operand): Tensor {
  return compare('lt', a, b, LT);
}

/**
 * a <= b → bool.
 * @example
 * le(tensor([1, 2]), 2).toArray(); // [1, 1]
 */
export function le(a: Operand, b: Operand): Tensor {
  return compare('le', a, b, LE);
}

/**
 * a > b → bool.
 * @example
 * gt(tensor([1, 2]), 1).toArray(); // [0, 1]
 */
export function gt(a: Operand, b: Operand): Tensor {
  return compare('gt', a, b, GT);
}

/**
 * a >= b → bool.
 * @example
 * ge(tensor([1, 2]), 2).toArray(); // [0, 1]
 */
export function ge(a: Operand, b: Operand): Tensor {
  return compare('ge', a, b, GE);
}

/**
 * Logical and of truth values (non-zero, NaN included, is true) → bool.
 * @example
 * logicalAnd(tensor([1, 0, 2]), true).toArray(); // [1, 0, 1]
 */
export function logicalAnd(a: Operand, b: Operand): Tensor {
  return runBinary('logicalAnd', a, b, 'bool', exactScalar, exactScalar, AND);
}

/**
 * Logical or of truth values → bool.
 * @example
 * logicalOr(tensor([1, 0]), tensor([0, 0])).toArray(); // [1, 0]
 */
export function logicalOr(a: Operand, b: Operand): Tensor {
  return runBinary('logicalOr', a, b, 'bool', exactScalar, exactScalar, OR);
}

/**
 * Logical exclusive or of truth values → bool.
 * @example
 * logicalXor(tensor([1, 0]), tensor([1, 1])).toArray(); // [0, 1]
 */
export function logicalXor(a: Operand, b: Operand): Tensor {
  return runBinary('logicalXor', a, b, 'bool', exactScalar, exactScalar, XOR);
}

/**
 * Picks `a` where `cond` is true (non-zero) and `b` elsewhere, all three broadcast; the result has
 * the promoted dtype of a and b.
 * @example
 * where(tensor([1, 0, 1], undefined, 'bool'), tensor([1, 2, 3]), 0).toArray(); // [1, 0, 3]
 */
export function where(cond: Tensor | boolean, a: Operand, b: Operand): Tensor {
  if (!(cond instanceof Tensor) && typeof cond !== 'boolean') throw new ValueError(`where: the condition must be a tensor or a boolean, got ${describeNonTensor(cond)}`);
  checkOperand('where', a);
  checkOperand('where', b);
  const rt = resultType(dtypeOf(a), dtypeOf(b));
  const shape = broadcastFor('where', shapeOf(cond), shapeOf(a), shapeOf(b));
  const out = empty(shape, rt);
  const ob = outBuffer(out);
  const C = cond instanceof Tensor ? numOperand(cond, 'where') : exactScalar(cond);
  const A = a instanceof Tensor ? numOperand(a, 'where') : scalarOperand(a, rt, 'where');
  const B = b instanceof Tensor ? numOperand(b, 'where') : scalarOperand(b, rt, 'where');
  const o = ob.data;
  forEachRow(
    shape,
    [
      broadcastStrides(C.shape, C.strides, shape),
      broadcastStrides(A.shape, A.strides, shape),
      broadcastStrides(B.shape, B.strides, shape),
      contiguousStrides(shape),
    ],
    [C.offset, A.offset, B.offset, 0],
    (pos, n, inner) => {
      const c = C.data;
      const x = A.data;
      const y = B.data;
      let ic = pos[0];
      let ia = pos[1];
      let ib = pos[2];
      const io = pos[3];
      const sc = inner[0];
      const sa = inner[1];
      const sb = inner[2];
      for (let k = 0; k < n; k++, ic += sc, ia += sa, ib += sb) o[io + k] = c[ic] !== 0 ? x[ia] : y[ib];
    },
  );
  ob.finish();
  return out;
}

// ---- unary ops ----

function runUnary(op: string, x: Tensor, outDType: DenseDType, loop: UnLoop): Tensor {
  checkTensor(op, x);
  const out = empty(x.shape, outDType);
  const ob = outBuffer(out);
  const A = numOperand(x, op);
  forEachRow(x.shape, [A.strides, contiguousStrides(x.shape)], [A.offset, 0], (pos, n, inner) =>
    loop(A.data, pos[0], inner[0], ob.data, pos[1], n),
  );
  ob.finish();
  return out;
}

/** x's dtype, once x is known to be a tensor (before runUnary, which checks it again, is reached). */
function unaryDType(op: string, x: Tensor): DenseDType {
  checkTensor(op, x);
  return x.dtype;
}
/** Same-dtype family (bool computes in int32). */
const same = (op: string, x: Tensor, loop: UnLoop) => runUnary(op, x, arithmeticDType(unaryDType(op, x)), loop);
/** Float family: integer/bool inputs give f32. */
const float = (op: string, x: Tensor, loop: UnLoop) => runUnary(op, x, floatDType(unaryDType(op, x)), loop);
/** Rounding family: identity (a copy) on integers and bool. */
const rounding = (op: string, x: Tensor, loop: UnLoop) => (isFloatDType(unaryDType(op, x)) ? runUnary(op, x, x.dtype, loop) : clone(x));

const NEG: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = -a[ia];
};
const ABS: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.abs(a[ia]);
};
const SIGN: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) {
    const v = a[ia];
    o[io + k] = v > 0 ? 1 : v < 0 ? -1 : v; // keeps ±0 and NaN
  }
};
const SQUARE: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia] * a[ia];
};
const SQUARE_INT: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.imul(a[ia], a[ia]);
};
const RELU: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia] < 0 ? 0 : a[ia];
};
const SQRT: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.sqrt(a[ia]);
};
const RSQRT: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = 1 / Math.sqrt(a[ia]);
};
const RECIPROCAL: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = 1 / a[ia];
};
const EXP: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.exp(a[ia]);
};
const LOG: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.log(a[ia]);
};
const SIN: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.sin(a[ia]);
};
const COS: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.cos(a[ia]);
};
const TANH: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.tanh(a[ia]);
};
const SIGMOID: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = 1 / (1 + Math.exp(-a[ia]));
};
const SILU: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia] / (1 + Math.exp(-a[ia]));
};
const FLOOR: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.floor(a[ia]);
};
const CEIL: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.ceil(a[ia]);
};
const TRUNC: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Math.trunc(a[ia]);
};
const ROUND: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) {
    const v = a[ia];
    // Math.round rounds halves up; a half that went up to an odd integer goes back down.
    const r = Math.round(v);
    o[io + k] = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
};
const ISNAN: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia] !== a[ia] ? 1 : 0;
};
const ISFINITE: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = Number.isFinite(a[ia]) ? 1 : 0;
};
const NOT: UnLoop = (a, ia, sa, o, io, n) => {
  for (let k = 0; k < n; k++, ia += sa) o[io + k] = a[ia] === 0 ? 1 : 0;
};

/**
 * -x (integers wrap: -(-128) is -128 in int8; bool gives int32).
 * @example
 * neg(tensor([1, -2])).toArray(); // [-1, 2]
 */
export function neg(x: Tensor): Tensor {
  return same('neg', x, NEG);
}

/**
 * |x| (integers wrap at the minimum, as in numpy).
 * @example
 * abs(tensor([-1.5, 2])).toArray(); // [1.5, 2]
 */
export function abs(x: Tensor): Tensor {
  return same('abs', x, ABS);
}

/**
 * -1, 0 or 1 by the sign of x; ±0 and NaN are returned as they are.
 * @example
 * sign(tensor([-3, 0, 2])).toArray(); // [-1, 0, 1]
 */
export function sign(x: Tensor): Tensor {
  return same('sign', x, SIGN);
}

/**
 * x * x.
 * @example
 * square(tensor([3])).toArray(); // [9]
 */
export function square(x: Tensor): Tensor {
  const out = arithmeticDType(unaryDType('square', x));
  return runUnary('square', x, out, isIntDType(out) ? SQUARE_INT : SQUARE);
}

/**
 * max(x, 0), keeping NaN.
 * @example
 * relu(tensor([-1, 2])).toArray(); // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  return same('relu', x, RELU);
}

/**
 * √x (NaN below 0); integer/bool inputs give f32.
 * @example
 * sqrt(tensor([4, 2])).toArray(); // [2, 1.4142135381698608]
 */
export function sqrt(x: Tensor): Tensor {
  return float('sqrt', x, SQRT);
}

/**
 * 1/√x.
 * @example
 * rsqrt(tensor([4])).toArray(); // [0.5]
 */
export function rsqrt(x: Tensor): Tensor {
  return float('rsqrt', x, RSQRT);
}

/**
 * 1/x.
 * @example
 * reciprocal(tensor([4])).toArray(); // [0.25]
 */
export function reciprocal(x: Tensor): Tensor {
  return float('reciprocal', x, RECIPROCAL);
}

/**
 * e^x.
 * @example
 * exp(tensor([0])).toArray(); // [1]
 */
export function exp(x: Tensor): Tensor {
  return float('exp', x, EXP);
}

/**
 * Natural logarithm (-Inf at 0, NaN below).
 * @example
 * log(tensor([1])).toArray(); // [0]
 */
export function log(x: Tensor): Tensor {
  return float('log', x, LOG);
}

/**
 * sin x.
 * @example
 * sin(tensor([0])).toArray(); // [0]
 */
export function sin(x: Tensor): Tensor {
  return float('sin', x, SIN);
}

/**
 * cos x.
 * @example
 * cos(tensor([0])).toArray(); // [1]
 */
export function cos(x: Tensor): Tensor {
  return float('cos', x, COS);
}

/**
 * tanh x.
 * @example
 * tanh(tensor([0])).toArray(); // [0]
 */
export function tanh(x: Tensor): Tensor {
  return float('tanh', x, TANH);
}

/**
 * 1 / (1 + e^-x).
 * @example
 * sigmoid(tensor([0])).toArray(); // [0.5]
 */
export function sigmoid(x: Tensor): Tensor {
  return float('sigmoid', x, SIGMOID);
}

/**
 * x * sigmoid(x) (SiLU / swish, the SwiGLU gate of Llama).
 * @example
 * silu(tensor([0])).toArray(); // [0]
 */
export function silu(x: Tensor): Tensor {
  return float('silu', x, SILU);
}

/**
 * Rounds half to even (banker's rounding, numpy's `round`): 0.5 → 0, 1.5 → 2, 2.5 → 2, -0.5 → -0.
 * Integers and bool are returned as a copy.
 * @example
 * round(tensor([0.5, 1.5, 2.5, -0.5])).toArray(); // [0, 2, 2, -0]
 */
export function round(x: Tensor): Tensor {
  return rounding('round', x, ROUND);
}

/**
 * Largest integer <= x.
 * @example
 * floor(tensor([-1.5])).toArray(); // [-2]
 */
export function floor(x: Tensor): Tensor {
  return rounding('floor', x, FLOOR);
}

/**
 * Smallest integer >= x.
 * @example
 * ceil(tensor([-1.5])).toArray(); // [-1]
 */
export function ceil(x: Tensor): Tensor {
  return rounding('ceil', x, CEIL);
}

/**
 * x rounded toward zero.
 * @example
 * trunc(tensor([-1.5])).toArray(); // [-1]
 */
export function trunc(x: Tensor): Tensor {
  return rounding('trunc', x, TRUNC);
}

/**
 * Whether each element is NaN → bool.
 * @example
 * isnan(tensor([1, NaN])).toArray(); // [0, 1]
 */
export function isnan(x: Tensor): Tensor {
  return runUnary('isnan', x, 'bool', ISNAN);
}

/**
 * Whether each element is finite (not NaN or ±Inf) → bool.
 * @example
 * isfinite(tensor([1, Infinity, NaN])).toArray(); // [1, 0, 0]
 */
export function isfinite(x: Tensor): Tensor {
  return runUnary('isfinite', x, 'bool', ISFINITE);
}

/**
 * Logical not of truth values (0 → true, anything else, NaN included → false) → bool.
 * @example
 * logicalNot(tensor([0, 2])).toArray(); // [1, 0]
 */
export function logicalNot(x: Tensor): Tensor {
  return runUnary('logicalNot', x, 'bool', NOT);
}
