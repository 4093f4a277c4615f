/**
 * The `pvq` variant of a QTensor (src/qtensor.ts): checking its qparams, decoding it (`dequantize`)
 * and multiplying by it straight from the codes (`linear`). A pvq weight [rows, cols] stores
 * (van der Ouderaa et al. 2024, "PVQ for LLMs"):
 *
 * ```
 * codes    uint8 [rows, rowBytes]   per group of D = vectorDim columns one record of
 *                                   R = ampBits + ceil(log2 V(D, pulses)) bits: amplitude code (low
 *                                   ampBits bits), then the codeword index in P(D, pulses)
 *                                   (src/dtype/pvq/index-code.ts order); rowBytes = ceil(cols/D · R / 8)
 * scales   f32   [rows, 1]          ρ_r, one per row (groupSize = cols), rounded to scaleDtype
 * levels   f32   [2^ampBits]        relative amplitude levels
 * rotation { seed, blockSize }      optional: the codes hold W' = W Qᵀ, Q = randomHadamard(cols, rotation)
 * ```
 *
 * value(r, j·D + i) in the rotated basis = f32(y_i · f32(ρ_r · levels[a] / ‖y‖₂)) (the kernels'
 * definition, src/kernels/js/pvq.ts). `dequantize` rotates each decoded row back (W = W' Q); the
 * matmul instead rotates the activations once per call (W x = W' (Q x)), so the weight is never
 * expanded and no per-group inverse transform runs. Bits: src/dtype/bits.ts (`layout().pvq`).
 *
 * The rotation is the quantizers' RandomHadamard (its sign stream is the library's seeded Rng): the
 * one import of this layer from src/quantizers, kept here so qtensor.ts itself stays below them.
 */
import { ShapeError, ValueError, fmtShape } from './errors.js';
import { pvqRecordBits } from './dtype/bits.js';
import { kernel } from './kernels/table.js';
import { tensorRef } from './kernels/ref.js';
import type { PvqWeightArgs } from './kernels/js/pvq.js';
import { RandomHadamard } from './ops/hadamard.js';
import { Tensor, empty } from './tensor.js';
import type { QParams, QTensor } from './qtensor.js';

/** The rotation a pvq QTensor's codes live in: `randomHadamard(cols, { seed, blockSize })`. */
export interface PvqRotation {
  readonly seed: number;
  readonly blockSize: number;
}

function checkPart(t: Tensor | undefined, what: string, shape: readonly number[]): Float32Array {
  if (!(t instanceof Tensor)) throw new ValueError(`pvq ${what} is missing: expected f32 ${fmtShape(shape)}`);
  if (t.dtype !== 'f32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || !t.isContiguous) {
    throw new ShapeError(`pvq ${what} must be a contiguous f32 ${fmtShape(shape)}, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
  return t.data() as Float32Array;
}

/**
 * Checks the pvq-specific qparams for a logical shape and returns the record width and group
 * dimension (the generic checks, scales included, are checkQParams's).
 * @throws ShapeError or ValueError naming the offending part
 * @example
 * checkPvqParams([64, 256], qp); // { bits: qp.ampBits + ceil(log2 V(qp.vectorDim, qp.pulses)), vectorDim: qp.vectorDim }
 */
export function checkPvqParams(shape: readonly number[], qp: QParams): { bits: number; vectorDim: number } {
  if (qp.vectorDim === undefined || qp.pulses === undefined || qp.ampBits === undefined) {
    throw new ValueError('pvq: qparams need vectorDim (the group dimension D), pulses and ampBits');
  }
  if (qp.codebook || qp.indexBits !== undefined) throw new ValueError('pvq: codebook and indexBits apply to the codebook dtype only (the index width follows from vectorDim and pulses)');
  if (qp.perm || qp.inputScale) throw new ValueError('pvq: act-order (perm) and input scales are not supported; fold them into the weight before encoding');
  const { recordBits } = pvqRecordBits(qp.vectorDim, { pulses: qp.pulses, ampBits: qp.ampBits, rotated: qp.rotation !== undefined });
  const cols = shape[shape.length - 1];
  if (cols % qp.vectorDim !== 0) throw new ShapeError(`pvq: cols ${cols} of ${fmtShape(shape)} is not a multiple of the group dimension ${qp.vectorDim}`);
  if (qp.perTensor || qp.groupSize !== cols) throw new ValueError(`pvq: one scale per row, so groupSize must be cols = ${cols} and perTensor false, got groupSize ${qp.groupSize}${qp.perTensor ? ' per tensor' : ''}`);
  if (qp.scaleDtype === 'e8m0') throw new ValueError('pvq: row scales must be f32, f16 or bf16, got e8m0');
  const lv = checkPart(qp.levels, 'levels', [2 ** qp.ampBits]);
  for (let i = 0; i < lv.length; i++) {
    if (!(lv[i] >= 0) || !Number.isFinite(lv[i])) throw new ValueError(`pvq: amplitude level ${lv[i]} at [${i}] is not a finite non-negative number`);
  }
  if (qp.rotation !== undefined) {
    const { seed, blockSize } = qp.rotation;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`pvq: rotation seed must be an integer in [0, 2^53), got ${seed}`);
    new RandomHadamard(cols, { seed, blockSize }); // validates the block size against cols
  }
  return { bits: recordBits, vectorDim: qp.vectorDim };
}

/**
 * The kernel view of a pvq QTensor as a weight W' [rows, cols] in its rotated basis.
 * @example
 * kernel('pvq_dequant_f32')({ ...pvqWeightArgs(q), out });
 */
export function pvqWeightArgs(q: QTensor): PvqWeightArgs {
  q.checkAlive();
  const qp = q.qparams;
  if (q.family !== 'pvq') throw new ValueError(`pvqWeightArgs needs a pvq QTensor, got ${q.dtype}`);
  const { rows, cols, rowBytes } = q.geometry;
  return {
    rows,
    cols,
    dim: qp.vectorDim!,
    pulses: qp.pulses!,
    ampBits: qp.ampBits!,
    indexBits: q.bits - qp.ampBits!,
    codes: tensorRef(q.codes),
    rowBytes,
    scales: tensorRef(qp.scales!),
    levels: tensorRef(qp.levels!),
  };
}

/**
 * The rotation Q of a pvq QTensor, or null when its codes are in the original basis.
 * @example
 * pvqHadamard(q)?.forward(x); // Q x
 */
export function pvqHadamard(q: QTensor): RandomHadamard | null {
  const r = q.qparams.rotation;
  return r ? new RandomHadamard(q.geometry.cols, r) : null;
}

/**
 * The weight in the basis its codes live in (f32, logical shape): W' = W Qᵀ, or W without a rotation.
 * @example
 * dequantizePvqRotated(q); // W' with W' (Q x) = W x
 */
export function dequantizePvqRotated(q: QTensor): Tensor {
  const out = empty(q.shape, 'f32');
  kernel('pvq_dequant_f32')({ ...pvqWeightArgs(q), out: tensorRef(out) });
  return out;
}

/**
 * `dequantize` of a pvq QTensor: decoded by `pvq_dequant_f32`, then each row rotated back (W = W' Q).
 * @example
 * dequantizePvq(q).shape; // q.shape
 */
export function dequantizePvq(q: QTensor): Tensor {
  const wr = dequantizePvqRotated(q);
  const h = pvqHadamard(q);
  if (!h) return wr;
  try {
    return h.inverse(wr);
  } finally {
    wr.dispose();
  }
}

/**
 * y = x W'ᵀ-with-rotation for a pvq QTensor: x holds m contiguous f32 rows of cols (element offset
 * x.offset), y receives m contiguous rows of `rows` outputs from element y.offset. The activations
 * are rotated once (x' = Q x) and `pvq_matmul_f32` decodes the codes on the fly.
 * @example
 * pvqMatmulInto(q, x, 1, y); // GEMV: y[r] = Σ_c W[r, c] x[c]
 */
export function pvqMatmulInto(q: QTensor, x: Tensor, m: number, y: Tensor): void {
  const args = pvqWeightArgs(q);
  if (m === 0 || args.rows === 0) return;
  const h = pvqHadamard(q);
  if (x.size !== m * args.cols) throw new ShapeError(`pvq matmul: x ${fmtShape(x.shape)} does not hold ${m} rows of ${args.cols}`);
  const x2 = x.dtype === 'f32' && x.isContiguous ? x : x.astype('f32').contiguous();
  const xr = h ? h.forward(x2.reshape([m, args.cols])) : x2;
  try {
    kernel('pvq_matmul_f32')({ ...args, m, x: tensorRef(xr), out: tensorRef(y) });
  } finally {
    if (xr !== x) xr.dispose();
    if (x2 !== x && x2 !== xr) x2.dispose();
  }
}
