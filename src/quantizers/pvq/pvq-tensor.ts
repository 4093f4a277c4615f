/**
 * PvqTensor: a weight [rows, cols] stored as pyramid-vector codes (van der Ouderaa et al. 2024), the
 * handle the PVQ quantizers return. It is a view of a `pvq` QTensor (`q.qtensor`; storage, decoding
 * and bit accounting live there, src/qtensor-pvq.ts and src/dtype/bits.ts) with the PVQ facts as
 * fields: per row a scale ρ, per group of `dim` columns one record (amplitude code, codeword index in
 * P(dim, pulses)), one table of relative amplitude levels, and optionally the seed of the randomized
 * Hadamard rotation the codes live in:
 *
 * ```
 * codes    uint8 [rows, rowBytes]   rowBytes = ceil(cols/dim · (ampBits + indexBits) / 8)
 * scales   f32   [rows]             ρ_r rounded to scaleDtype (the QTensor holds it as [rows, 1])
 * levels   f32   [2^ampBits]        relative amplitude levels (f32 values)
 * rotation { seed, blockSize }      W = W' Q: the decoded W' is rotated back row by row
 * ```
 *
 * `q.qtensor` is an ordinary QTensor: `dequantize(q.qtensor)`, `linear(x, q.qtensor)`,
 * `q.qtensor.sliceRows(...)` and the quantized file format take it. Not the encoder (./quantize.ts).
 */
import { MemoryError, ShapeError, ValueError, fmtShape } from '../../errors.js';
import { type ScaleDType } from '../../dtype/table.js';
import { pvqRecordBits as pvqRecordBitsOf, sizeBits } from '../../dtype/bits.js';
import { QTensor } from '../../qtensor.js';
import { dequantizePvqRotated, pvqHadamard, type PvqRotation } from '../../qtensor-pvq.js';
import { linear } from '../../ops/linear.js';
import { Tensor } from '../../tensor.js';
import type { RandomHadamard } from '../../ops/hadamard.js';

export type { PvqRotation } from '../../qtensor-pvq.js';

/** What decides a PVQ layout's size. */
export interface PvqLayout {
  readonly rows: number;
  readonly cols: number;
  readonly dim: number;
  readonly pulses: number;
  readonly ampBits: number;
  readonly scaleDtype: Exclude<ScaleDType, 'e8m0'>;
  /** Whether a rotation seed is stored. */
  readonly rotated: boolean;
}

/** Storage size of a PVQ layout in bits, part by part, and bits per weight. */
export interface PvqSizeBits {
  readonly numel: number;
  /** Bits of one codeword index: ceil(log2 V(dim, pulses)). */
  readonly indexBits: number;
  /** Bits of one group record: ampBits + indexBits. */
  readonly recordBits: number;
  /** Bytes per packed row. */
  readonly rowBytes: number;
  /** rows · rowBytes · 8 (row padding included). */
  readonly codes: number;
  /** rows · bits of the scale dtype. */
  readonly scales: number;
  /** 2^ampBits f32 levels. */
  readonly levels: number;
  /** The rotation: a 64-bit seed and a 32-bit block size, when rotated. */
  readonly rotation: number;
  readonly total: number;
  readonly bitsPerWeight: number;
}

/**
 * The storage size of a PVQ layout (what `PvqTensor.sizeBits()` reports, computable without a
 * tensor): the `pvq` dtype's accounting in src/dtype/bits.ts.
 * @example
 * pvqSizeBits({ rows: 4096, cols: 4096, dim: 16, pulses: 12, ampBits: 4, scaleDtype: 'f16', rotated: true }).bitsPerWeight
 * // (32 + 4)/16 + 16/4096 + (16·32 + 96)/4096² ≈ 2.2539
 */
export function pvqSizeBits(l: PvqLayout): PvqSizeBits {
  for (const [k, v] of [['rows', l.rows], ['cols', l.cols]] as const) {
    if (!Number.isSafeInteger(v) || v < (k === 'rows' ? 0 : 1)) throw new ShapeError(`PVQ layout: ${k} must be a ${k === 'rows' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  const pvq = { pulses: l.pulses, ampBits: l.ampBits, rotated: l.rotated };
  const { indexBits, recordBits } = pvqRecordBitsOf(l.dim, pvq);
  if (l.cols % l.dim !== 0) throw new ShapeError(`PVQ layout: cols ${l.cols} is not a multiple of the group dimension ${l.dim}`);
  if ((l.scaleDtype as string) === 'e8m0') throw new ValueError(`PVQ layout: scaleDtype must be f32, f16 or bf16, got e8m0`);
  const sb = sizeBits({
    dtype: 'pvq',
    shape: [l.rows, l.cols],
    bits: recordBits,
    groupSize: l.cols,
    perTensor: false,
    hasScales: true,
    scaleDtype: l.scaleDtype,
    symmetric: true,
    vectorDim: l.dim,
    pvq,
  });
  const rowBytes = l.rows ? sb.codes / 8 / l.rows : Math.ceil(((l.cols / l.dim) * recordBits) / 8);
  return { numel: sb.numel, indexBits, recordBits, rowBytes, codes: sb.codes, scales: sb.scales, levels: sb.levels, rotation: sb.rotation, total: sb.total, bitsPerWeight: sb.bitsPerWeight };
}

/**
 * A PVQ-coded weight (see the file header). Takes ownership of its tensors.
 * @example
 * const { q } = pvqQuantize(w, { bits: 3 });
 * q.bitsPerWeight;       // exact, everything stored included
 * q.matmul(x);           // [tokens, out], decoding on the fly (= linear(x, q.qtensor))
 * q.dequantize();        // f32 [out, in], original (unrotated) basis (= dequantize(q.qtensor))
 * q.dispose();
 */
export class PvqTensor {
  readonly shape: readonly [number, number];
  /** Bits of one codeword index. */
  readonly indexBits: number;
  /** The `pvq` QTensor holding the codes, scales [rows, 1], levels and rotation (owned by this handle). */
  readonly qtensor: QTensor;

  /**
   * @throws ShapeError or ValueError when the parts do not match the layout
   */
  constructor(
    shape: readonly number[],
    readonly dim: number,
    readonly pulses: number,
    readonly ampBits: number,
    /** uint8 [rows, rowBytes]. */
    readonly codes: Tensor,
    /** f32 [rows]: ρ per row, values rounded to scaleDtype. */
    readonly scales: Tensor,
    readonly scaleDtype: Exclude<ScaleDType, 'e8m0'>,
    /** f32 [2^ampBits]. */
    readonly levels: Tensor,
    readonly rotation: PvqRotation | null,
  ) {
    if (shape.length !== 2) throw new ShapeError(`PvqTensor holds a 2-D weight [rows, cols], got ${fmtShape(shape)}`);
    if (!(scales instanceof Tensor) || scales.dtype !== 'f32' || scales.ndim !== 1 || scales.shape[0] !== shape[0] || !scales.isContiguous) {
      throw new ShapeError(`PvqTensor part must be a contiguous f32 [${shape[0]}], got ${scales instanceof Tensor ? `${scales.dtype} ${fmtShape(scales.shape)}` : typeof scales}`);
    }
    this.shape = [shape[0], shape[1]];
    this.qtensor = new QTensor('pvq', shape, codes, {
      groupSize: shape[1],
      perTensor: false,
      scales: scales.reshape([shape[0], 1]), // a view: same storage
      scaleDtype,
      symmetric: true,
      vectorDim: dim,
      pulses,
      ampBits,
      levels,
      rotation: rotation ?? undefined,
    });
    this.indexBits = this.qtensor.bits - ampBits;
  }

  /**
   * The handle of a `pvq` QTensor (takes ownership of its tensors).
   * @throws ValueError for another dtype or a weight that is not 2-D
   * @example
   * PvqTensor.fromQTensor(q.qtensor.sliceRows(0, 8)).shape; // [8, cols]
   */
  static fromQTensor(q: QTensor): PvqTensor {
    if (q.family !== 'pvq') throw new ValueError(`PvqTensor.fromQTensor needs a pvq QTensor, got ${q.dtype}`);
    const qp = q.qparams;
    const sd = qp.scaleDtype as Exclude<ScaleDType, 'e8m0'>;
    return new PvqTensor(q.shape, qp.vectorDim!, qp.pulses!, qp.ampBits!, q.codes, qp.scales!.reshape([q.shape[0]]), sd, qp.levels!, qp.rotation ?? null);
  }

  /** The layout (for bit accounting). */
  layout(): PvqLayout {
    return { rows: this.shape[0], cols: this.shape[1], dim: this.dim, pulses: this.pulses, ampBits: this.ampBits, scaleDtype: this.scaleDtype, rotated: this.rotation !== null };
  }

  /** Storage size part by part. */
  sizeBits(): PvqSizeBits {
    return pvqSizeBits(this.layout());
  }

  /** Bits of storage per weight, everything stored included (= `qtensor.bitsPerWeight`). */
  get bitsPerWeight(): number {
    return this.qtensor.bitsPerWeight;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.qtensor.disposed;
  }

  private alive(): QTensor {
    if (this.qtensor.disposed) throw new MemoryError(`PvqTensor ${fmtShape(this.shape)} was disposed`);
    return this.qtensor;
  }

  /** The rotation Q, or null. */
  hadamard(): RandomHadamard | null {
    return pvqHadamard(this.qtensor);
  }

  /**
   * The weight in the rotated basis the codes live in (f32 [rows, cols]); equals `dequantize()` when
   * there is no rotation.
   * @example
   * q.dequantizeRotated(); // W' with W' (Q x) = W x
   */
  dequantizeRotated(): Tensor {
    return dequantizePvqRotated(this.alive());
  }

  /**
   * The weight (f32 [rows, cols]) in the original basis: decoded, then rotated back (W = W' Q).
   * @example
   * q.dequantize().shape; // [rows, cols]
   */
  dequantize(): Tensor {
    return this.alive().dequantize();
  }

  /**
   * y = x Wᵀ for activations x [tokens, cols] (or [cols]), decoding codes on the fly: the activations
   * are rotated once (x' = Q x) and multiplied by the coded W'. Result f32 [tokens, rows] (or [rows]).
   * The same as `linear(x, q.qtensor)`.
   * @throws ShapeError when x's last axis is not cols
   * @example
   * q.matmul(tensor(x, [8, 384])).shape; // [8, rows]
   */
  matmul(x: Tensor): Tensor {
    const [, cols] = this.shape;
    if (!(x instanceof Tensor) || (x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== cols) {
      throw new ShapeError(`PvqTensor.matmul: x must be [tokens, ${cols}] or [${cols}] for weight ${fmtShape(this.shape)}, got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`);
    }
    return linear(x.dtype === 'f32' || x.dtype === 'f64' || x.dtype === 'f16' || x.dtype === 'bf16' ? x : x.astype('f32'), this.alive());
  }

  /**
   * A copy of output rows [start, end) (codes, scales; the level table and rotation are shared facts,
   * copied). The result owns its storage.
   * @throws ShapeError for a range outside [0, rows]
   * @example
   * q.sliceRows(0, 128).shape; // [128, cols]
   */
  sliceRows(start: number, end: number): PvqTensor {
    return PvqTensor.fromQTensor(this.alive().sliceRows(start, end));
  }

  /** Frees codes, scales and levels (idempotent). */
  dispose(): void {
    this.qtensor.dispose();
  }

  /**
   * One-line summary.
   * @example
   * String(q); // 'PvqTensor([1024,384], dim 16, 12 pulses (32-bit index), 4-bit amplitudes, f16 row scales, hadamard, 2.29 bits/weight)'
   */
  toString(): string {
    return `PvqTensor(${fmtShape(this.shape)}, dim ${this.dim}, ${this.pulses} pulses (${this.indexBits}-bit index), ${this.ampBits}-bit amplitudes, ${this.scaleDtype} row scales${this.rotation ? ', hadamard' : ''}, ${this.bitsPerWeight.toFixed(3)} bits/weight)`;
  }
}
