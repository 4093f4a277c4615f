/**
 * VqTensor: a weight [rows, cols] stored as vector-quantized parts, each an ordinary `codebook`
 * QTensor. A QTensor holds ONE codebook [2^indexBits, vectorDim] (src/qtensor.ts), while GPTVQ learns
 * one codebook per group of columns and residual VQ adds a second stage, so the weight is a grid:
 *
 * ```
 * stages[s][g]   QTensor(codebook) [rows, cols_g]   columns [g·groupSize, g·groupSize + cols_g)
 * value(r, j)  = fround(Σ_s stages[s][g](r, j − g·groupSize)),   g = floor(j / groupSize)
 * ```
 *
 * i.e. the column groups are concatenated and the stages summed in f32, stage 0 first (one stage: the
 * part's value exactly), giving the weight in STORED column order; with act-order (`perm`, int32
 * [cols]) stored column j is original column perm[j], as QTensor's own perm. Each part is a complete
 * QTensor (its own codebook, dequantize, sliceRows, the codebook LUT matmul), so
 * y = W x = Σ_s Σ_g part(s, g) · x[perm[g0 .. g1)] (x[g0 .. g1) without perm). One stage, one group
 * and no perm is a plain QTensor (`toQTensor()`).
 *
 * Bits are the sum of the parts' `sizeBits()` (codes, codebooks, int8-codebook scales), never typed
 * by hand. Not the quantizer (./vq.ts).
 */
import { MemoryError, ShapeError, ValueError, fmtShape } from '../../errors.js';
import { QTensor, checkPermutation } from '../../qtensor.js';
import { Tensor, empty } from '../../tensor.js';
import { DTYPES } from '../../dtype/table.js';

/** Storage size of a VqTensor, summed over its parts (fields as QTensor.sizeBits()). */
export interface VqSizeBits {
  readonly numel: number;
  readonly codes: number;
  readonly scales: number;
  readonly codebook: number;
  /** Act-order permutation: int32 per column (as QTensor counts its perm). */
  readonly perm: number;
  readonly total: number;
  readonly bitsPerWeight: number;
}

/**
 * A weight stored as stages × column groups of codebook QTensors (see the file header).
 * @example
 * const { q } = vqQuantize(w, { dim: 2, bits: 4, groupSize: 128 });
 * q.bitsPerWeight;     // 2 + codebook overhead
 * q.dequantize();      // f32 [rows, cols]
 * q.dispose();
 */
export class VqTensor {
  readonly shape: readonly [number, number];
  private disposedFlag = false;

  /**
   * Takes ownership of the parts.
   * @throws ShapeError when the parts do not tile [rows, cols] in groups of groupSize; ValueError for a non-codebook part
   */
  constructor(
    shape: readonly number[],
    /** Columns per codebook (the last group may be narrower). */
    readonly groupSize: number,
    /** stages[s][g]: stage s of column group g. */
    readonly stages: readonly (readonly QTensor[])[],
    /** Act-order: stored column j is original column perm[j] (a permutation of 0..cols-1). */
    readonly perm?: Int32Array,
  ) {
    if (shape.length !== 2) throw new ShapeError(`a VqTensor is a matrix [rows, cols], got ${fmtShape(shape)}`);
    const [rows, cols] = shape;
    if (!Number.isInteger(groupSize) || groupSize < 1) throw new ValueError(`groupSize must be a positive integer, got ${groupSize}`);
    const nGroups = Math.ceil(cols / groupSize);
    if (stages.length < 1) throw new ValueError('a VqTensor needs at least one stage');
    stages.forEach((parts, s) => {
      if (parts.length !== nGroups) throw new ShapeError(`stage ${s} has ${parts.length} column groups, expected ${nGroups} for ${cols} columns in groups of ${groupSize}`);
      parts.forEach((p, g) => {
        const want = [rows, Math.min(groupSize, cols - g * groupSize)];
        if (!(p instanceof QTensor) || p.family !== 'codebook') throw new ValueError(`part [${s}][${g}] must be a codebook QTensor`);
        if (p.shape.length !== 2 || p.shape[0] !== want[0] || p.shape[1] !== want[1]) {
          throw new ShapeError(`part [${s}][${g}] has shape ${fmtShape(p.shape)}, expected ${fmtShape(want)}`);
        }
      });
    });
    if (perm !== undefined) {
      if (perm.length !== cols) throw new ShapeError(`perm has ${perm.length} entries, expected ${cols}`);
      checkPermutation(perm);
    }
    this.shape = [rows, cols];
  }

  /** Number of logical elements. */
  get size(): number {
    return this.shape[0] * this.shape[1];
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposedFlag;
  }

  /**
   * Storage bits, summed over every part (codes, scales, codebooks), plus the permutation, and bits per weight.
   * @example
   * q.sizeBits().codebook; // bits of all codebooks
   */
  sizeBits(): VqSizeBits {
    this.checkAlive();
    let codes = 0;
    let scales = 0;
    let codebook = 0;
    let total = 0;
    for (const parts of this.stages) {
      for (const p of parts) {
        const b = p.sizeBits();
        codes += b.codes;
        scales += b.scales;
        codebook += b.codebook;
        total += b.total;
      }
    }
    const perm = this.perm ? this.shape[1] * DTYPES.int32.bits : 0;
    total += perm;
    return { numel: this.size, codes, scales, codebook, perm, total, bitsPerWeight: total / this.size };
  }

  /**
   * Bits of storage per weight, codebooks included.
   * @example
   * vqQuantize(w, { dim: 4, bits: 8 }).q.bitsPerWeight; // 2 + 256·4·16 / numel
   */
  get bitsPerWeight(): number {
    return this.sizeBits().bitsPerWeight;
  }

  /**
   * The f32 weight [rows, cols] this stands for: groups concatenated, stages summed in f32 in order,
   * columns returned to the original order.
   * @example
   * q.dequantize().shape; // [rows, cols]
   */
  dequantize(): Tensor {
    this.checkAlive();
    const [rows, cols] = this.shape;
    const acc = new Float32Array(rows * cols);
    for (const parts of this.stages) {
      parts.forEach((p, g) => {
        const t = p.dequantize();
        const v = t.raw() as Float32Array;
        const c0 = g * this.groupSize;
        const w = p.shape[1];
        for (let r = 0; r < rows; r++) {
          for (let k = 0; k < w; k++) acc[r * cols + c0 + k] = Math.fround(acc[r * cols + c0 + k] + v[r * w + k]);
        }
        t.dispose();
      });
    }
    const out = empty([rows, cols], 'f32');
    const o = out.raw() as Float32Array;
    const perm = this.perm;
    if (!perm) o.set(acc);
    else for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) o[r * cols + perm[j]] = acc[r * cols + j];
    return out;
  }

  /**
   * The single QTensor when there is one stage and one column group.
   * @throws ValueError otherwise
   * @example
   * vqQuantize(w, { dim: 2, bits: 4 }).q.toQTensor().dequantize();
   */
  toQTensor(): QTensor {
    this.checkAlive();
    if (this.stages.length !== 1 || this.stages[0].length !== 1 || this.perm) {
      throw new ValueError(`${this.toString()} has ${this.stages.length} stages of ${this.stages[0].length} column groups${this.perm ? ' and a column permutation' : ''}; only 1 x 1 without perm is one QTensor`);
    }
    return this.stages[0][0];
  }

  /** Frees every part (idempotent). */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const parts of this.stages) for (const p of parts) p.dispose();
  }

  /** @internal Throws MemoryError after dispose(). */
  checkAlive(): void {
    if (this.disposedFlag) throw new MemoryError(`VqTensor ${fmtShape(this.shape)} was disposed`);
  }

  /**
   * A one-line summary.
   * @example
   * String(q); // 'VqTensor([384,384], 1 stage x 3 groups of 128, 4-bit indices of 2-d vectors, 2.042 bits/weight)'
   */
  toString(): string {
    if (this.disposedFlag) return `VqTensor(${fmtShape(this.shape)}, disposed)`;
    const p = this.stages[0][0];
    const ns = this.stages.length;
    return (
      `VqTensor(${fmtShape(this.shape)}, ${ns} stage${ns > 1 ? 's' : ''} x ${this.stages[0].length} groups of ${this.groupSize}, ` +
      `${p.bits}-bit indices of ${p.qparams.vectorDim}-d vectors, ${this.perm ? 'act-order, ' : ''}${this.bitsPerWeight.toFixed(3)} bits/weight)`
    );
  }
}
