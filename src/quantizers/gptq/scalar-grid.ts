/**
 * The quantization grid of one scale group, for encoding one column at a time inside GPTQ's loop.
 * `quantize` (src/ops/quant.ts) validates and copies a group's qparams on every call, which costs
 * O(rows) per call and dominated a 4096-column loop (24 ms per column of 4096 rows); this grid pays
 * that once per group. The values come from `dequantize` of every code under the group's qparams, so
 * they are the reference values by construction; the code choice follows the rule of quant.ts's
 * encoder exactly (affine: round half to even of x / scale plus the zero point, clamped to the codes
 * with finite values; lut/mx: nearest of the table's values to x / scale, ties to the even code, then
 * the lower code), and test/quantizers/gptq.test.ts checks it against `fakeQuantize` on ties.
 *
 * The grid is also given as the parameters of GPTQ's fused column kernels (`gptq_affine_f64`,
 * `gptq_table_f64`; layouts in src/kernels/js/gptq.ts), which the loop uses instead of `encode`.
 * The kernels compute f32((c − z)·s) or f32(value·s) instead of reading the dequantized grid, so
 * the parameters are offered only after checking that this is every value the grid holds; tests
 * check that both paths give the same GPTQ result.
 *
 * Not a general encoder: scalar families only, one group per row (scales [rows, 1]).
 */
import { ValueError } from '../../errors.js';
import { quantInfo, type QuantDType } from '../../dtype/table.js';
import { packBits } from '../../dtype/pack.js';
import { QTensor, dequantize, type QParams } from '../../qtensor.js';
import { empty, type Tensor } from '../../tensor.js';
import type { FusedGrid } from './error-feedback.js';
import { roundHalfEven } from '../../dtype/round.js';
import { lutEncoder, lutNearest, type LutEncoder } from '../../ops/quant.js';

/**
 * Encodes columns of a group: values [rows] → quantized values [rows] (reference values); with
 * `codes`, also writes each row's code there (the code `quantize` would store for that value).
 */
export type ColumnGrid = (x: Float64Array, codes?: Uint8Array) => Float64Array;

/** The grid of one group: its encoder and its fused-kernel parameters. */
export interface ScalarGrid {
  readonly encode: ColumnGrid;
  /** The grid as GPTQ's fused column kernels take it (null: use `encode`). */
  readonly fused: FusedGrid | null;
  /** Frees the tensors of `fused`. */
  dispose(): void;
}

/**
 * The grid of a group: `qp` holds scales (and zeros) [rows, 1] for `dtype`.
 * @example
 * const grid = columnGrid('int4', chooseQParams(groupCols, { dtype: 'int4' }));
 * const q = grid.encode(column);   // the values fakeQuantize would give this column
 * grid.dispose();
 */
export function columnGrid(dtype: QuantDType, qp: QParams): ScalarGrid {
  const facts = quantInfo(dtype);
  if (facts.family === 'codebook') throw new ValueError(`columnGrid: ${dtype} is not a scalar dtype`);
  if (!qp.scales || qp.scales.ndim !== 2 || qp.scales.shape[1] !== 1) throw new ValueError(`columnGrid needs scales [rows, 1]`);
  const rows = qp.scales.shape[0];
  const nCodes = facts.ucodeMax + 1;
  const bits = Math.log2(nCodes);
  // Every code of every row, dequantized with the group's qparams: the reference values.
  const allCodes = packBits(Uint8Array.from({ length: nCodes }, (_, c) => c), bits);
  const codes = empty([rows, allCodes.length], 'uint8');
  const cv = codes.raw() as Uint8Array;
  for (let r = 0; r < rows; r++) cv.set(allCodes, r * allCodes.length);
  const copy = (t: QParams['scales']) => {
    if (!t) return undefined;
    const out = empty(t.shape, t.dtype);
    (out.raw() as Uint8Array).set(t.contiguous().raw() as Uint8Array);
    return out;
  };
  const q = new QTensor(dtype, [rows, nCodes], codes, {
    groupSize: facts.blockSize ?? nCodes,
    perTensor: false,
    scaleDtype: qp.scaleDtype,
    symmetric: qp.symmetric,
    scales: copy(qp.scales),
    ...(qp.zeros ? { zeros: copy(qp.zeros) } : {}),
  });
  const d = dequantize(q);
  const grid = Float64Array.from(d.raw() as Float32Array);
  d.dispose();
  const scales = Float64Array.from(q.scales.data() as Float32Array);
  const zeros = qp.zeros ? Uint8Array.from(qp.zeros.data() as Uint8Array) : null;
  q.dispose();

  if (facts.family === 'affine') {
    const symZero = 2 ** (bits - 1);
    const lo = new Int32Array(rows);
    const hi = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const z = zeros ? zeros[r] : symZero;
      let a = 0;
      let b = nCodes - 1;
      while (a < z && !Number.isFinite(grid[r * nCodes + a])) a++;
      while (b > z && !Number.isFinite(grid[r * nCodes + b])) b--;
      lo[r] = a;
      hi[r] = b;
    }
    // Zero points as i32 and the code range as i32: the loop below runs 16M times for a 4096² layer.
    const zs = Int32Array.from({ length: rows }, (_, r) => (zeros ? zeros[r] : symZero));
    // The kernel computes f32((c − z)·s) instead of reading the grid: offer it only when that is
    // every value of the grid (it is dequantize's formula; checked, not assumed).
    let arithmetic = true;
    for (let r = 0; r < rows && arithmetic; r++) {
      for (let c = lo[r]; c <= hi[r]; c++) if (Math.fround((c - zs[r]) * scales[r]) !== grid[r * nCodes + c]) arithmetic = false;
    }
    const fused: FusedGrid | null = arithmetic ? { kind: 'affine', grid: fromRows([scales, zs, lo, hi]) } : null;
    const encode: ColumnGrid = (x, codes) => {
      const out = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const u = roundHalfEven(x[r] / scales[r]) + zs[r];
        const c = u < lo[r] ? lo[r] : u > hi[r] ? hi[r] : u | 0;
        out[r] = grid[r * nCodes + c];
        if (codes) codes[r] = c;
      }
      return out;
    };
    return { encode, fused, dispose: () => fused?.grid.dispose() };
  }

  // lut / mx: the table's encoder (sorted distinct values, their codes, midpoints, tie steps).
  const enc = lutEncoder(facts.values!);
  const { sorted, codes: sCodes } = enc;
  const encode: ColumnGrid = (x, codes) => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let k = lutNearest(enc, x[r] / scales[r]);
      while (!Number.isFinite(grid[r * nCodes + sCodes[k]])) k += sorted[k] > 0 ? -1 : 1;
      out[r] = grid[r * nCodes + sCodes[k]];
      if (codes) codes[r] = sCodes[k];
    }
    return out;
  };
  const fused = tableKernelGrid(grid, nCodes, scales, enc);
  return {
    encode,
    fused,
    dispose: () => {
      fused?.grid.dispose();
      if (fused?.kind === 'table') fused.table.dispose();
    },
  };
}

/** An f64 tensor [n, len] from n arrays of one length. */
function fromRows(rows: ArrayLike<number>[]): Tensor {
  const t = empty([rows.length, rows[0].length], 'f64');
  const v = t.raw() as Float64Array;
  rows.forEach((r, i) => v.set(r, i * rows[0].length));
  return t;
}

/**
 * The `gptq_table_f64` parameters of a lut/mx grid, or null when the kernel's rule would not give
 * `encode`'s values: per row the usable indices must be one run of finite values around the one
 * nearest zero (the JS encoder walks toward zero from a non-finite value), each f32(value·s).
 */
function tableKernelGrid(grid: Float64Array, nCodes: number, scales: Float64Array, enc: LutEncoder): FusedGrid | null {
  const { sorted, codes: sCodes, mids, ties } = enc;
  const rows = scales.length;
  const nv = sorted.length;
  let k0 = 0;
  for (let k = 1; k < nv; k++) if (Math.abs(sorted[k]) < Math.abs(sorted[k0])) k0 = k;
  const kLo = new Float64Array(rows);
  const kHi = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const value = (k: number) => grid[r * nCodes + sCodes[k]];
    let a = k0;
    let b = k0;
    while (a > 0 && Number.isFinite(value(a - 1))) a--;
    while (b < nv - 1 && Number.isFinite(value(b + 1))) b++;
    for (let k = 0; k < nv; k++) {
      const inside = k >= a && k <= b;
      if (inside !== Number.isFinite(value(k)) || (inside && Math.fround(sorted[k] * scales[r]) !== value(k))) return null;
    }
    kLo[r] = a;
    kHi[r] = b;
  }
  const padded = new Float64Array(nv);
  padded.set(mids);
  return { kind: 'table', grid: fromRows([scales, kLo, kHi]), table: fromRows([sorted, sCodes, padded, ties]), nv };
}
