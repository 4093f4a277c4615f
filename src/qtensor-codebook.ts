/**
 * The `codebook` (learned VQ) variant of a QTensor multiplied straight from its indices: `linear`
 * routes here, and `vq_matmul_f32` (src/kernels/js/vq-lut.ts) tabulates each token's dot products with
 * the codebook once, then sums one table entry per index and output row. The weight is never decoded,
 * and a row costs ceil(cols / vectorDim) gathers instead of cols multiply-adds. Many tokens and scalar
 * codebooks of at most 16 entries stay on the generic packed kernel (faster there, see `useLut`).
 *
 * Not the storage contract (src/qtensor.ts) and not the activations' act-order / input-scale handling
 * (src/ops/linear.ts hands over x already in stored column order).
 */
import { ShapeError, ValueError, fmtShape } from './errors.js';
import type { VqMatmulArgs } from './kernels/js/vq-lut.js';
import { qweightArgs } from './kernels/qweight.js';
import { kernel } from './kernels/table.js';
import { tensorRef } from './kernels/ref.js';
import type { QTensor } from './qtensor.js';
import type { Tensor } from './tensor.js';

/**
 * The kernel view of a codebook QTensor as a weight W [rows, cols] (stored column order).
 * @example
 * kernel('vq_matmul_f32')({ ...codebookWeightArgs(q), m, x, rsx: cols, y, rsy: rows, r0: 0, r1: rows });
 */
export function codebookWeightArgs(q: QTensor): Omit<VqMatmulArgs, 'm' | 'x' | 'rsx' | 'y' | 'rsy' | 'r0' | 'r1'> {
  q.checkAlive();
  if (q.family !== 'codebook') throw new ValueError(`codebookWeightArgs needs a codebook QTensor, got ${q.dtype}`);
  const qp = q.qparams;
  const g = q.geometry;
  return {
    bits: q.bits,
    rows: g.rows,
    cols: g.cols,
    dim: qp.vectorDim!,
    codes: tensorRef(q.codes),
    rowBytes: g.rowBytes,
    scales: qp.scales ? tensorRef(qp.scales) : null,
    scaleStride: qp.perTensor ? 0 : g.nGroups,
    groupSize: qp.perTensor ? g.cols : qp.groupSize,
    nGroups: g.nGroups,
    codebook: tensorRef(qp.codebook!),
  };
}

/**
 * Whether the LUT kernel beats the generic packed kernel (decode, then v128 dots; its GEMM path decodes
 * a tile once for all tokens). The LUT costs one gather per index per token, so it wins for few tokens
 * and wide vectors. Measured on 4096x4096 (WASM, one thread, ms LUT / generic): dim 2, 8-bit indices:
 * m 1 13/35, m 4 51/51, m 16 200/106; dim 4: m 4 20/55, m 16 76/63; dim 8: m 16 29/68, m 64 120/154;
 * dim 1, 8-bit: m 2 43/75, m 4 154/107; dim 1 with at most 16 entries: m 1 6.6/6.1 (the generic
 * kernel decodes those with byte shuffles). Hence m <= 2 · dim, and never a small scalar codebook.
 */
function useLut(dim: number, bits: number, m: number): boolean {
  return !(dim === 1 && bits <= 4) && m <= 2 * dim;
}

/**
 * y = x Wᵀ for a codebook QTensor, by table lookups for few tokens (`useLut`): x holds m contiguous f32 rows of cols in stored
 * column order (element offset x.offset), y receives m contiguous rows of `rows` outputs from y.offset.
 * @throws ShapeError when x does not hold m rows of cols, ValueError for a non-codebook weight
 * @example
 * codebookMatmulInto(q, x, 1, y); // GEMV: y[r] = Σ_c W[r, c] x[c]
 */
export function codebookMatmulInto(q: QTensor, x: Tensor, m: number, y: Tensor): void {
  const w = codebookWeightArgs(q);
  if (m === 0 || w.rows === 0) return;
  if (x.dtype !== 'f32' || !x.isContiguous || x.size !== m * w.cols) {
    throw new ShapeError(`codebook matmul: x ${x.dtype} ${fmtShape(x.shape)} is not ${m} contiguous f32 rows of ${w.cols}`);
  }
  const io = { m, x: tensorRef(x), rsx: w.cols, y: tensorRef(y), rsy: w.rows, r0: 0, r1: w.rows };
  if (useLut(w.dim, w.bits, m)) kernel('vq_matmul_f32')({ ...w, ...io });
  else kernel('qmatmul_f32')({ ...qweightArgs(q), ...io });
}
