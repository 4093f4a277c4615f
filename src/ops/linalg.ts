/**
 * User-facing dense linear algebra on square f32/f64 matrices, the building blocks of GPTQ
 * (DESIGN.md decision 7): `cholesky`, `choleskyInverse`, `solveTriangular`, `triangularInverse` and
 * `syrk` (the Hessian XᵀX). Each op validates shapes and dtypes, copies what the kernel overwrites,
 * runs the kernel of src/kernels/table.ts (blocked WASM, or the JS reference that defines it) and
 * returns a new tensor. Views (transposes, slices) are read in place through their strides.
 *
 * With `setThreads(n)` the WASM kernels of these ops run over threads (src/kernels/threads.ts), with
 * results bit-identical to one thread.
 *
 * Not batched, and not the kernels (src/kernels/js/linalg.ts defines their meaning).
 */
import { DTypeError, LinAlgError, ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { kernel } from '../kernels/table.js';
import type { Ref } from '../kernels/ref.js';
import { Tensor, checkTensor, empty, scratchTensor } from '../tensor.js';
import { assign, clone } from './cast.js';

type FloatDT = 'f32' | 'f64';

const refOfTensor = (t: Tensor): Ref => ({ storage: t.storage, offset: t.offset });

/** The entry check of every op here: `t` is an f32 or f64 Tensor; returns its dtype. */
function floatDType(op: string, t: Tensor, what: string): FloatDT {
  checkTensor(op, t, what);
  if (t.dtype !== 'f32' && t.dtype !== 'f64') {
    throw new DTypeError(`${op}: ${what} must be f32 or f64, got ${t.dtype} (cast it with astype first)`);
  }
  return t.dtype;
}

function squareSize(op: string, t: Tensor, what: string): number {
  if (t.ndim !== 2 || t.shape[0] !== t.shape[1]) {
    throw new ShapeError(`${op}: ${what} must be a square matrix, got shape ${fmtShape(t.shape)}`);
  }
  return t.shape[0];
}

/** A contiguous copy the kernel may overwrite (never the caller's storage). */
const ownedCopy = clone;

/** Options of `cholesky`. */
export interface CholeskyOptions {
  /** Return the upper factor U with A = UᵀU (default false: the lower factor L with A = LLᵀ). */
  readonly upper?: boolean;
}

/**
 * The Cholesky factor of a symmetric positive definite matrix: lower L with A = L Lᵀ (or upper U with
 * A = Uᵀ U), zeros in the other triangle. Only the triangle of `a` being factored is read.
 * @throws LinAlgError naming the first leading minor that is not positive definite
 * @throws ShapeError unless `a` is square; DTypeError unless it is f32 or f64
 * @example
 * cholesky(tensor([[4, 2], [2, 5]])).toArray(); // [[2, 0], [1, 2]]
 */
export function cholesky(a: Tensor, opts: CholeskyOptions = {}): Tensor {
  const dt = floatDType('cholesky', a, 'the matrix');
  const n = squareSize('cholesky', a, 'the matrix');
  checkOptions('cholesky', opts);
  const out = ownedCopy(a);
  const info = kernel(dt === 'f32' ? 'cholesky_f32' : 'cholesky_f64')({
    n, a: refOfTensor(out), rsa: n, csa: 1, upper: opts.upper ?? false,
  });
  if (info !== 0) {
    out.dispose();
    throw new LinAlgError(`cholesky: leading minor ${info} of the ${n}x${n} ${dt} matrix is not positive definite`);
  }
  return out;
}

/**
 * The inverse of a symmetric positive definite matrix through its Cholesky factor (A⁻¹ = L⁻ᵀ L⁻¹),
 * symmetric in full. Only the lower triangle of `a` is read.
 * @throws LinAlgError naming the first leading minor that is not positive definite
 * @example
 * choleskyInverse(tensor([[4, 0], [0, 16]])).toArray(); // [[0.25, 0], [0, 0.0625]]
 */
export function choleskyInverse(a: Tensor): Tensor {
  const dt = floatDType('choleskyInverse', a, 'the matrix');
  const n = squareSize('choleskyInverse', a, 'the matrix');
  const out = ownedCopy(a);
  const info = kernel(dt === 'f32' ? 'cholesky_inverse_f32' : 'cholesky_inverse_f64')({ n, a: refOfTensor(out), rsa: n, csa: 1 });
  if (info !== 0) {
    out.dispose();
    throw new LinAlgError(`choleskyInverse: leading minor ${info} of the ${n}x${n} ${dt} matrix is not positive definite`);
  }
  return out;
}

/** Throws LinAlgError when a diagonal entry of the triangular `t` is zero (the system is singular). */
function checkNonsingular(op: string, t: Tensor, n: number): void {
  for (let i = 0; i < n; i++) {
    const d = t.get([i, i]);
    if (d === 0) throw new LinAlgError(`${op}: the ${n}x${n} triangular matrix is singular (diagonal entry ${i} is 0)`);
  }
}

/** Options of `solveTriangular`. */
export interface SolveTriangularOptions {
  /** T is upper triangular (default false: lower). Only that triangle is read. */
  readonly upper?: boolean;
  /** Solve op(T) X = B (default true) or, when false, X op(T) = B. */
  readonly left?: boolean;
  /** op(T) = Tᵀ (default false: op(T) = T). */
  readonly transpose?: boolean;
  /** Treat the diagonal of T as ones without reading it (default false). */
  readonly unitDiagonal?: boolean;
}

/**
 * Solves a triangular system: op(T) X = B (`left`, the default) or X op(T) = B, with op(T) = T or Tᵀ.
 * `b` is a matrix ([n, k] on the left, [k, n] on the right) or a vector ([n]); the result has its
 * shape and dtype (which must equal T's). Substitution, blocked with GEMM updates in the WASM kernel.
 * @throws LinAlgError when the diagonal of T has a zero (and `unitDiagonal` is false)
 * @throws ShapeError quoting both shapes when they do not fit
 * @example
 * const l = tensor([[2, 0], [1, 1]]);
 * solveTriangular(l, tensor([2, 3])).toArray(); // [1, 2]
 */
export function solveTriangular(t: Tensor, b: Tensor, opts: SolveTriangularOptions = {}): Tensor {
  const op = 'solveTriangular';
  const dt = floatDType(op, t, 'T');
  const n = squareSize(op, t, 'T');
  checkTensor(op, b, 'B');
  checkOptions(op, opts);
  if (b.dtype !== dt) throw new DTypeError(`${op}: B is ${b.dtype} but T is ${dt}; cast one of them`);
  const left = opts.left ?? true;
  const both = `T ${fmtShape(t.shape)} and B ${fmtShape(b.shape)}`;
  if (b.ndim !== 1 && b.ndim !== 2) throw new ShapeError(`${op}: B must be a vector or a matrix, got ${both}`);
  // A vector is a column on the left and a row on the right.
  const [m, cols] = b.ndim === 1 ? (left ? [b.shape[0], 1] : [1, b.shape[0]]) : [b.shape[0], b.shape[1]];
  if ((left ? m : cols) !== n) {
    throw new ShapeError(`${op}: ${both} do not fit (${left ? 'rows' : 'columns'} of B must equal ${n})`);
  }
  const unit = opts.unitDiagonal ?? false;
  if (!unit) checkNonsingular(op, t, n);
  const out = ownedCopy(b);
  if (out.size === 0) return out;
  kernel(dt === 'f32' ? 'trsm_f32' : 'trsm_f64')({
    side: left ? 'left' : 'right', upper: opts.upper ?? false, trans: opts.transpose ?? false, unit,
    m, n: cols, alpha: 1, t: refOfTensor(t), rst: t.strides[0], cst: t.strides[1],
    b: refOfTensor(out), rsb: cols, csb: 1,
  });
  return out;
}

/** Options of `triangularInverse`. */
export interface TriangularInverseOptions {
  /** T is upper triangular (default false: lower). Only that triangle is read. */
  readonly upper?: boolean;
  /** Treat the diagonal of T as ones without reading it (default false). */
  readonly unitDiagonal?: boolean;
}

/**
 * The inverse of a triangular matrix (triangular of the same kind, zeros in the other triangle).
 * @throws LinAlgError when the diagonal has a zero (and `unitDiagonal` is false)
 * @example
 * triangularInverse(tensor([[2, 0], [1, 1]])).toArray(); // [[0.5, 0], [-0.5, 1]]
 */
export function triangularInverse(t: Tensor, opts: TriangularInverseOptions = {}): Tensor {
  const op = 'triangularInverse';
  const dt = floatDType(op, t, 'T');
  const n = squareSize(op, t, 'T');
  checkOptions(op, opts);
  const unit = opts.unitDiagonal ?? false;
  if (!unit) checkNonsingular(op, t, n);
  const out = scratchTensor([n, n], dt); // every tri_inv path writes all of X (the identity first)
  kernel(dt === 'f32' ? 'tri_inv_f32' : 'tri_inv_f64')({
    n, t: refOfTensor(t), rst: t.strides[0], cst: t.strides[1], upper: opts.upper ?? false, unit,
    x: refOfTensor(out), rsx: n, csx: 1,
  });
  return out;
}

/** Options of `syrk`. */
export interface SyrkOptions {
  /** Scale of the product (default 1). */
  readonly alpha?: number;
  /** Scale of `c` (default 0; ignored without `c`). */
  readonly beta?: number;
  /** The symmetric matrix added (times beta); only its lower triangle is read. Not modified. */
  readonly c?: Tensor;
  /** true (default): alpha·XᵀX for X [rows, features] → [features, features]; false: alpha·XXᵀ. */
  readonly trans?: boolean;
  /**
   * Write the result into this contiguous square tensor of X's dtype instead of a new one (it may be
   * `c` itself: the Hessian accumulation H = XᵀX + H without a copy). Must not overlap X.
   */
  readonly out?: Tensor;
}

/**
 * Symmetric rank-k update: alpha·XᵀX + beta·C (default, `trans: true`) or alpha·XXᵀ + beta·C, the
 * full symmetric result (the kernel computes the lower triangle and mirrors it). With X the
 * [tokens, features] activations of a layer, `syrk(x)` is the GPTQ Hessian building block XᵀX.
 * X is read through its strides (a transposed view costs nothing).
 * @throws ShapeError quoting the shapes when C or `out` is not [features, features]
 * @example
 * const x = tensor([[1, 2], [3, 4], [5, 6]]);
 * syrk(x).toArray(); // [[35, 44], [44, 56]]
 * let h = zeros([2, 2]);
 * h = syrk(x, { beta: 1, c: h, out: h }); // accumulate in place
 */
export function syrk(x: Tensor, opts: SyrkOptions = {}): Tensor {
  const op = 'syrk';
  const dt = floatDType(op, x, 'X');
  if (x.ndim !== 2) throw new ShapeError(`${op}: X must be a matrix, got shape ${fmtShape(x.shape)}`);
  checkOptions(op, opts);
  const trans = opts.trans ?? true;
  const alpha = opts.alpha ?? 1;
  const beta = opts.c ? (opts.beta ?? 0) : 0;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) throw new ValueError(`${op}: alpha and beta must be finite, got ${alpha} and ${beta}`);
  // The kernel computes alpha·A·Aᵀ with A (n x k): A = Xᵀ for XᵀX.
  const [n, k] = trans ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const [rsa, csa] = trans ? [x.strides[1], x.strides[0]] : [x.strides[0], x.strides[1]];
  const want = `[${n},${n}]`;
  for (const [name, t] of [['C', opts.c], ['out', opts.out]] as const) {
    if (!t) continue;
    checkTensor(op, t, name);
    if (t.ndim !== 2 || t.shape[0] !== n || t.shape[1] !== n) {
      throw new ShapeError(`${op}: ${name} ${fmtShape(t.shape)} must be ${want} for X ${fmtShape(x.shape)} (trans ${trans})`);
    }
    if (t.dtype !== dt) throw new DTypeError(`${op}: ${name} is ${t.dtype} but X is ${dt}`);
  }
  let out: Tensor;
  if (opts.out) {
    if (!opts.out.isContiguous) throw new ValueError(`${op}: out must be contiguous`);
    out = opts.out;
    if (opts.c && opts.c !== opts.out && beta !== 0) assign(out, opts.c);
  } else {
    out = opts.c && beta !== 0 ? ownedCopy(opts.c) : empty([n, n], dt);
  }
  if (n === 0) return out;
  kernel(dt === 'f32' ? 'syrk_f32' : 'syrk_f64')({
    n, k, alpha, a: refOfTensor(x), rsa, csa, beta, c: refOfTensor(out), rsc: n, csc: 1,
  });
  return out;
}
