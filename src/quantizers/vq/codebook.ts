/**
 * Rounding a learned codebook to its storage precision, and the QTensor qparams that store it.
 *
 * - 'f32' | 'f16' | 'bf16': every value rounded to nearest in that dtype (src/qtensor.ts
 *   `roundToScaleDType`); stored as the QTensor codebook with that `codebookDtype`, no scales.
 * - 'int8' (GPTVQ §3 "codebook quantization"; their `quantize_centroids`): symmetric, one scale per
 *   codebook, s = max|c| / 127 rounded UP to f16 (so no value clips), integer codes
 *   round(c / s) ∈ [−127, 127]; the value is fround(code · s). Stored within the QTensor contract as
 *   the integer codes in the codebook tensor with codebookDtype 'int8' (src/dtype/bits.ts counts them
 *   at 8 bits a value) plus s as a per-tensor f16 scale (counted as a scale).
 *   With row scales (./vq.ts `rowScales`) s is folded into each row's f16 scale instead.
 *
 * Not k-means (./kmeans.ts).
 */
import { ValueError } from '../../errors.js';
import { roundToScaleDType } from '../../qtensor.js';
import type { CodebookDType } from '../../dtype/bits.js';
import { roundHalfEven } from '../../dtype/round.js';

/** Storage precision of a learned codebook: a float dtype, or int8 codes times one f16 scale. */
export type VqCodebookDType = CodebookDType | 'int8';

/** A codebook rounded to its storage dtype. */
export interface StoredCodebook {
  /** The values a decoder produces [k, d] (what the encoder must search): f32-representable. */
  readonly values: Float32Array;
  /** What the QTensor codebook tensor holds [k, d] (int8: the integer codes). */
  readonly stored: Float32Array;
  /** The QTensor codebookDtype of `stored`. */
  readonly codebookDtype: CodebookDType;
  /** int8: the per-tensor f16 scale; otherwise undefined (no scales). */
  readonly scale?: number;
}

/**
 * Rounds centroids [k, d] to a codebook storage dtype (see the file header for int8).
 * @throws ValueError for a non-finite centroid or one that overflows the dtype
 * @example
 * roundCodebook(Float64Array.of(0.1, -0.3), 'int8').values; // ≈ [0.1, -0.3] on a grid of 0.3/127
 */
export function roundCodebook(centroids: Float64Array, dtype: VqCodebookDType): StoredCodebook {
  for (let i = 0; i < centroids.length; i++) {
    if (!Number.isFinite(centroids[i])) throw new ValueError(`codebook value ${centroids[i]} at [${i}] is not finite`);
  }
  if (dtype === 'int8') {
    let amax = 0;
    for (let i = 0; i < centroids.length; i++) amax = Math.max(amax, Math.abs(centroids[i]));
    const s = amax === 0 ? 1 : roundToScaleDType(amax / 127, 'f16', 'up');
    if (!Number.isFinite(s)) throw new ValueError(`int8 codebook scale ${amax / 127} overflows f16`);
    const stored = new Float32Array(centroids.length);
    const values = new Float32Array(centroids.length);
    for (let i = 0; i < centroids.length; i++) {
      const q = Math.max(-127, Math.min(127, roundHalfEven(centroids[i] / s)));
      stored[i] = q;
      values[i] = Math.fround(q * s);
    }
    return { values, stored, codebookDtype: 'int8', scale: s };
  }
  if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'bf16') throw new ValueError(`codebookDtype must be f32, f16, bf16 or int8, got ${String(dtype)}`);
  const values = new Float32Array(centroids.length);
  for (let i = 0; i < centroids.length; i++) {
    values[i] = roundToScaleDType(centroids[i], dtype);
    if (!Number.isFinite(values[i])) throw new ValueError(`codebook value ${centroids[i]} at [${i}] overflows ${dtype}`);
  }
  return { values, stored: values, codebookDtype: dtype };
}

/**
 * Storage bits of the values of one int8 codebook: 8 per value (its scale is a QTensor scale,
 * counted there). What `sizeBits` counts for a codebook of dtype 'int8'; kept for callers.
 * @example
 * int8CodebookBits(256, 4); // 8192
 */
export function int8CodebookBits(entries: number, dim: number): number {
  return entries * dim * 8;
}
