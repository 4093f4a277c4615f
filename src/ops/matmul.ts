/**
 * `matmul`: the user-facing matrix product with numpy semantics (1-D · 1-D, vector · matrix,
 * matrix · vector, matrix · matrix, and batched products whose leading dimensions broadcast).
 * It validates, picks the kernel (`gemm_*`, or `gemv_*` when one side is a vector) and wraps the
 * result in a Tensor. Operands reach the kernels as (storage, offset, row stride, column stride), so
 * transposed and sliced views are never copied.
 *
 * Not the kernels (src/kernels/js/gemm.ts defines their meaning) and not the packed quantized
 * product (QTensor matmul lives with the quant ops).
 */
import { checkComputable, promoteTypes } from '../dtype/promote.js';
import { ShapeError, fmtShape } from '../errors.js';
import { kernel } from '../kernels/table.js';
import type { Ref } from '../kernels/ref.js';
import { Tensor, checkTensor, empty, shapeSize } from '../tensor.js';
import { broadcastShapes, broadcastStrides } from './strided.js';

/** A matrix operand: a ref plus its rows, columns and strides (in elements). */
interface Mat {
  readonly t: Tensor;
  readonly rows: number;
  readonly cols: number;
  readonly rs: number;
  readonly cs: number;
}

/** The dtype a matmul computes (and returns) in: f64 when the promoted dtype is f64, else f32. */
function computeDType(a: Tensor, b: Tensor): 'f32' | 'f64' {
  checkComputable('matmul', a.dtype);
  checkComputable('matmul', b.dtype);
  return promoteTypes(a.dtype, b.dtype) === 'f64' ? 'f64' : 'f32';
}

const refAt = (t: Tensor, offset: number): Ref => ({ storage: t.storage, offset });

/**
 * Runs one (m x k) · (k x n) product into C at `co` (row stride n): gemv when m or n is 1, gemm
 * otherwise. Operand offsets are absolute element offsets into their storages.
 */
function product(
  dt: 'f32' | 'f64',
  a: Mat,
  ao: number,
  b: Mat,
  bo: number,
  c: Tensor,
  co: number,
  m: number,
  n: number,
  k: number,
): void {
  if (m === 0 || n === 0) return;
  if (n === 1 && k > 0) {
    // y (m) = A (m x k) · b[:, 0]
    kernel(dt === 'f32' ? 'gemv_f32' : 'gemv_f64')({
      m, n: k, alpha: 1, a: refAt(a.t, ao), rsa: a.rs, csa: a.cs,
      x: refAt(b.t, bo), incx: b.rs, beta: 0, y: refAt(c, co), incy: 1,
    });
    return;
  }
  if (m === 1 && k > 0) {
    // y (n) = Bᵀ (n x k) · a[0, :]
    kernel(dt === 'f32' ? 'gemv_f32' : 'gemv_f64')({
      m: n, n: k, alpha: 1, a: refAt(b.t, bo), rsa: b.cs, csa: b.rs,
      x: refAt(a.t, ao), incx: a.cs, beta: 0, y: refAt(c, co), incy: 1,
    });
    return;
  }
  kernel(dt === 'f32' ? 'gemm_f32' : 'gemm_f64')({
    m, n, k, alpha: 1, a: refAt(a.t, ao), rsa: a.rs, csa: a.cs,
    b: refAt(b.t, bo), rsb: b.rs, csb: b.cs, beta: 0, c: refAt(c, co), rsc: n, csc: 1,
  });
}

/** The last two dimensions of `t` as a matrix (a 1-D tensor is a row when `asRow`, else a column). */
function asMat(t: Tensor, asRow: boolean): Mat {
  const nd = t.ndim;
  if (nd === 1) {
    return asRow ? { t, rows: 1, cols: t.shape[0], rs: 0, cs: t.strides[0] } : { t, rows: t.shape[0], cols: 1, rs: t.strides[0], cs: 0 };
  }
  return { t, rows: t.shape[nd - 2], cols: t.shape[nd - 1], rs: t.strides[nd - 2], cs: t.strides[nd - 1] };
}

/**
 * The matrix product of `a` and `b` with numpy's `matmul` rules:
 * - 1-D · 1-D is the inner product (a 0-d tensor);
 * - a 1-D left operand is a row vector and a 1-D right operand a column vector; the added
 *   dimension is removed from the result ([k] · [k, n] is [n], [m, k] · [k] is [m]);
 * - tensors of rank > 2 are stacks of matrices in their last two dimensions, and the leading (batch)
 *   dimensions broadcast ([2, 1, m, k] · [3, k, n] is [2, 3, m, n]).
 *
 * Dtypes: f32 · f32 computes and returns f32, anything with f64 computes and returns f64 (mixed float
 * inputs promote through `promoteTypes`), and f16, bf16, integer and bool inputs are converted to and
 * computed in f32, returning f32. int64 throws DTypeError (cast it first).
 *
 * Views (transposes, slices, broadcast batch dimensions) reach the kernels without a copy; only
 * operands of another dtype are converted first. A product with one vector side runs the GEMV kernel
 * (memory-bound, each weight read once), everything else the packed GEMM. Sums are in the compute
 * dtype (see src/kernels/js/gemm.ts for the error bound); an inner dimension of 0 gives zeros.
 *
 * @throws ShapeError quoting both shapes when the inner dimensions differ or batches do not
 *   broadcast, e.g. `matmul: inner dimensions 384 and 512 of [2,384] x [512,1024] must match`
 * @example
 * const a = tensor([[1, 2], [3, 4]]);
 * matmul(a, a).toArray();             // [[7, 10], [15, 22]]
 * matmul(a, tensor([1, 1])).toArray(); // [3, 7]
 * matmul(a.transpose(), a).shape;      // [2, 2] (no copy of the transposed view)
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', a, 'the left operand');
  checkTensor('matmul', b, 'the right operand');
  const both = `${fmtShape(a.shape)} x ${fmtShape(b.shape)}`;
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: operands must have at least one dimension, got ${both}`);
  const dt = computeDType(a, b);
  const A0 = asMat(a, true);
  const B0 = asMat(b, false);
  const m = A0.rows;
  const k = A0.cols;
  const n = B0.cols;
  if (B0.rows !== k) throw new ShapeError(`matmul: inner dimensions ${k} and ${B0.rows} of ${both} must match`);
  const batchA = a.shape.slice(0, Math.max(0, a.ndim - 2));
  const batchB = b.shape.slice(0, Math.max(0, b.ndim - 2));
  let batch: number[];
  try {
    batch = broadcastShapes(batchA, batchB);
  } catch {
    throw new ShapeError(`matmul: batch dimensions ${fmtShape(batchA)} and ${fmtShape(batchB)} of ${both} do not broadcast`);
  }
  const outShape = [...batch, ...(a.ndim > 1 ? [m] : []), ...(b.ndim > 1 ? [n] : [])];
  // Convert dtypes first (allocations), then allocate the output, then run: views stay valid.
  const ac = a.dtype === dt ? a : a.astype(dt);
  const bc = b.dtype === dt ? b : b.astype(dt);
  const out = empty(outShape, dt);
  if (out.size === 0) return out;
  const A = asMat(ac, true);
  const B = asMat(bc, false);

  const nb = shapeSize(batch);
  if (nb === 1) {
    product(dt, A, ac.offset, B, bc.offset, out, 0, m, n, k);
    return out;
  }
  // A stack of rows times one matrix is one tall product when the stack's rows are evenly spaced.
  const rs = batchB.every((d) => d === 1) && batchA.length === batch.length ? foldedRowStride(ac) : null;
  if (rs !== null) {
    product(dt, { ...A, rows: nb * m, rs }, ac.offset, B, bc.offset, out, 0, nb * m, n, k);
    return out;
  }
  const sa = broadcastStrides(batchA, ac.strides.slice(0, batchA.length), batch);
  const sb = broadcastStrides(batchB, bc.strides.slice(0, batchB.length), batch);
  const idx = new Array<number>(batch.length).fill(0);
  const step = m * n;
  for (let i = 0; i < nb; i++) {
    let ao = ac.offset;
    let bo = bc.offset;
    for (let d = 0; d < batch.length; d++) {
      ao += idx[d] * sa[d];
      bo += idx[d] * sb[d];
    }
    product(dt, A, ao, B, bo, out, i * step, m, n, k);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * The row stride that walks the batch dimensions and the row dimension of `t` (rank >= 3) as one
 * evenly strided axis of rows, or null when they are not evenly spaced. Size-1 dimensions have
 * arbitrary strides and are skipped.
 */
function foldedRowStride(t: Tensor): number | null {
  let rs: number | null = null;
  let span = 1;
  for (let d = t.ndim - 2; d >= 0; d--) {
    const size = t.shape[d];
    if (size === 1) continue;
    if (rs === null) rs = t.strides[d];
    else if (t.strides[d] !== rs * span) return null;
    span *= size;
  }
  return rs ?? 0;
}
