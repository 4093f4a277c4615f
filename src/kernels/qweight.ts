/**
 * The bridge from a `QTensor` to the packed-weight kernels (src/kernels/js/quant.ts): its codes,
 * scales, zeros and table as `Ref`s plus the layout numbers. Fixed codebooks (nf4, fp4, mxfp4 values)
 * come from the dtype table, held once per dtype as f32 storage. Not a kernel and not an op.
 */
import { quantInfo, type QuantDType } from '../dtype/table.js';
import { Storage } from '../memory/storage.js';
import type { QTensor } from '../qtensor.js';
import { QKIND, type QWeightArgs } from './js/quant.js';
import { tensorRef, type Ref } from './ref.js';

const tables = new Map<QuantDType, Storage>();

function fixedTable(dtype: QuantDType, values: readonly number[]): Ref {
  let s = tables.get(dtype);
  if (!s || s.disposed) {
    s = Storage.from(Float32Array.from(values));
    tables.set(dtype, s);
  }
  return { storage: s, offset: 0 };
}

/**
 * The kernel view of a QTensor as a weight W [rows, cols] (rows = the product of the leading dims).
 * Views nothing: refs stay valid across allocations.
 * @example
 * kernel('qdequant_f32')({ ...qweightArgs(q), out, r0: 0, r1: q.geometry.rows });
 */
export function qweightArgs(q: QTensor): QWeightArgs {
  q.checkAlive();
  const facts = quantInfo(q.dtype);
  const qp = q.qparams;
  const g = q.geometry;
  const affine = facts.family === 'affine';
  let table: Ref | null = null;
  if (facts.family === 'codebook') table = tensorRef(qp.codebook!);
  else if (!affine) table = fixedTable(q.dtype, facts.values!);
  return {
    kind: affine ? QKIND.affine : QKIND.table,
    bits: q.bits,
    n: g.rows,
    k: g.cols,
    codes: tensorRef(q.codes),
    rowBytes: g.rowBytes,
    scales: qp.scales ? tensorRef(qp.scales) : null,
    scaleStride: qp.perTensor ? 0 : g.nGroups,
    zeros: qp.zeros ? tensorRef(qp.zeros) : null,
    groupSize: qp.perTensor ? g.cols : qp.groupSize,
    nGroups: g.nGroups,
    table,
    vectorDim: qp.vectorDim ?? 1,
  };
}
