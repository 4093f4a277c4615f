/**
 * PvqTensor: a weight [rows, cols] stored as pyramid-vector codes (van der Ouderaa et al. 2024): per
 * row a scale ρ, per group of `dim` columns one record (amplitude code, codeword index in
 * P(dim, pulses)), one table of relative amplitude levels, and optionally the seed of the randomized
 * Hadamard rotation the codes live in. Storage (the contract of src/kernels/js/pvq.ts):
 *
 * ```
 * codes    uint8 [rows, rowBytes]   rowBytes = ceil(cols/dim · (ampBits + indexBits) / 8)
 * scales   f32   [rows]             ρ_r rounded to scaleDtype
 * levels   f32   [2^ampBits]        relative amplitude levels (f32 values)
 * rotation { seed, blockSize }      W = W' Q: the decoded W' is rotated back row by row
 * ```
 *
 * value(r, j·dim + i) in the rotated domain = f32(y_i · f32(ρ_r · levels[a] / ‖y‖₂)); `dequantize`
 * then applies Qᵀ to each row. `matmul` instead rotates the activations (W x = W' (Q x)) and runs the
 * decode-on-the-fly kernel, so the weight is never expanded. Bits are counted from what is stored
 * (`pvqSizeBits`). Not the encoder (./quantize.ts) and not a QTensor (the `pvq` dtype row is not in
 * the table yet; see the package report).
 */
import { MemoryError, ShapeError, ValueError, fmtShape } from '../../errors.js';
import { SCALE_BITS, type ScaleDType } from '../../dtype/table.js';
import { kernel } from '../../kernels/table.js';
import { tensorRef } from '../../kernels/ref.js';
import { Tensor, empty } from '../../tensor.js';
import { fromArray } from '../arrays.js';
import { RandomHadamard } from '../hadamard.js';
import { pvqBits } from '../../dtype/pvq/count.js';

/** The rotation a PvqTensor's codes live in: `randomHadamard(cols, { seed, blockSize })`. */
export interface PvqRotation {
  readonly seed: number;
  readonly blockSize: number;
}

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

/** Level values are stored as f32. */
const LEVEL_BITS = 32;
/** A stored rotation: seed (64 bits) and block size (32 bits). */
const ROTATION_BITS = 96;

/**
 * The storage size of a PVQ layout (what `PvqTensor.sizeBits()` reports, computable without a tensor).
 * @example
 * pvqSizeBits({ rows: 4096, cols: 4096, dim: 16, pulses: 12, ampBits: 4, scaleDtype: 'f16', rotated: true }).bitsPerWeight
 * // (32 + 4)/16 + 16/4096 + (16·32 + 96)/4096² ≈ 2.2539
 */
export function pvqSizeBits(l: PvqLayout): PvqSizeBits {
  for (const [k, v] of [['rows', l.rows], ['cols', l.cols], ['dim', l.dim], ['pulses', l.pulses]] as const) {
    if (!Number.isSafeInteger(v) || v < (k === 'rows' ? 0 : 1)) throw new ValueError(`PVQ layout: ${k} must be a positive integer, got ${v}`);
  }
  if (l.cols % l.dim !== 0) throw new ShapeError(`PVQ layout: cols ${l.cols} is not a multiple of the group dimension ${l.dim}`);
  if (!Number.isInteger(l.ampBits) || l.ampBits < 0 || l.ampBits > 12) throw new ValueError(`PVQ layout: ampBits must be an integer in 0..12, got ${l.ampBits}`);
  if (!(l.scaleDtype in SCALE_BITS) || (l.scaleDtype as string) === 'e8m0') throw new ValueError(`PVQ layout: scaleDtype must be f32, f16 or bf16, got ${String(l.scaleDtype)}`);
  const indexBits = pvqBits(l.dim, l.pulses);
  const recordBits = indexBits + l.ampBits;
  const rowBytes = Math.ceil(((l.cols / l.dim) * recordBits) / 8);
  const codes = l.rows * rowBytes * 8;
  const scales = l.rows * SCALE_BITS[l.scaleDtype];
  const levels = 2 ** l.ampBits * LEVEL_BITS;
  const rotation = l.rotated ? ROTATION_BITS : 0;
  const total = codes + scales + levels + rotation;
  const numel = l.rows * l.cols;
  return { numel, indexBits, recordBits, rowBytes, codes, scales, levels, rotation, total, bitsPerWeight: numel ? total / numel : 0 };
}

/**
 * A PVQ-coded weight (see the file header). Takes ownership of its tensors.
 * @example
 * const { q } = pvqQuantize(w, { bits: 3 });
 * q.bitsPerWeight;       // exact, everything stored included
 * q.matmul(x);           // [tokens, out], decoding on the fly
 * q.dequantize();        // f32 [out, in], original (unrotated) basis
 * q.dispose();
 */
export class PvqTensor {
  readonly shape: readonly [number, number];
  /** Bits of one codeword index. */
  readonly indexBits: number;
  private disposedFlag = false;

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
    this.shape = [shape[0], shape[1]];
    const sb = pvqSizeBits(this.layout());
    this.indexBits = sb.indexBits;
    const want: [Tensor, string, number[]][] = [
      [codes, 'uint8', [shape[0], sb.rowBytes]],
      [scales, 'f32', [shape[0]]],
      [levels, 'f32', [2 ** ampBits]],
    ];
    for (const [t, dt, s] of want) {
      if (!(t instanceof Tensor) || t.dtype !== dt || t.shape.length !== s.length || t.shape.some((d, i) => d !== s[i]) || !t.isContiguous) {
        throw new ShapeError(`PvqTensor part must be a contiguous ${dt} ${fmtShape(s)}, got ${t instanceof Tensor ? `${t.dtype} ${fmtShape(t.shape)}` : typeof t}`);
      }
    }
    if (rotation) new RandomHadamard(shape[1], rotation); // validates the block size
  }

  /** The layout (for bit accounting). */
  layout(): PvqLayout {
    return { rows: this.shape[0], cols: this.shape[1], dim: this.dim, pulses: this.pulses, ampBits: this.ampBits, scaleDtype: this.scaleDtype, rotated: this.rotation !== null };
  }

  /** Storage size part by part. */
  sizeBits(): PvqSizeBits {
    return pvqSizeBits(this.layout());
  }

  /** Bits of storage per weight, everything stored included. */
  get bitsPerWeight(): number {
    return this.sizeBits().bitsPerWeight;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposedFlag;
  }

  private weightArgs() {
    if (this.disposedFlag) throw new MemoryError(`PvqTensor ${fmtShape(this.shape)} was disposed`);
    const [rows, cols] = this.shape;
    return {
      rows,
      cols,
      dim: this.dim,
      pulses: this.pulses,
      ampBits: this.ampBits,
      indexBits: this.indexBits,
      codes: tensorRef(this.codes),
      rowBytes: this.codes.shape[1],
      scales: tensorRef(this.scales),
      levels: tensorRef(this.levels),
    };
  }

  /** The rotation Q, or null. */
  hadamard(): RandomHadamard | null {
    return this.rotation ? new RandomHadamard(this.shape[1], this.rotation) : null;
  }

  /**
   * The weight in the rotated basis the codes live in (f32 [rows, cols]); equals `dequantize()` when
   * there is no rotation.
   * @example
   * q.dequantizeRotated(); // W' with W' (Q x) = W x
   */
  dequantizeRotated(): Tensor {
    const args = this.weightArgs();
    const out = empty(this.shape, 'f32');
    kernel('pvq_dequant_f32')({ ...args, out: tensorRef(out) });
    return out;
  }

  /**
   * The weight (f32 [rows, cols]) in the original basis: decoded, then rotated back (W = W' Q).
   * @example
   * q.dequantize().shape; // [rows, cols]
   */
  dequantize(): Tensor {
    const wr = this.dequantizeRotated();
    const h = this.hadamard();
    if (!h) return wr;
    try {
      return h.inverse(wr);
    } finally {
      wr.dispose();
    }
  }

  /**
   * y = x Wᵀ for activations x [tokens, cols] (or [cols]), decoding codes on the fly: the activations
   * are rotated (x' = Q x) and multiplied by the coded W'. Result f32 [tokens, rows] (or [rows]).
   * @throws ShapeError when x's last axis is not cols
   * @example
   * q.matmul(tensor(x, [8, 384])).shape; // [8, rows]
   */
  matmul(x: Tensor): Tensor {
    const [rows, cols] = this.shape;
    if (!(x instanceof Tensor) || (x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== cols) {
      throw new ShapeError(`PvqTensor.matmul: x must be [tokens, ${cols}] or [${cols}] for weight ${fmtShape(this.shape)}, got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`);
    }
    const m = x.ndim === 1 ? 1 : x.shape[0];
    const args = this.weightArgs();
    const h = this.hadamard();
    const xr = h ? h.forward(x) : x.astype('f32').contiguous();
    const out = empty(x.ndim === 1 ? [rows] : [m, rows], 'f32');
    try {
      kernel('pvq_matmul_f32')({ ...args, m, x: tensorRef(xr), out: tensorRef(out) });
    } finally {
      if (xr !== x) xr.dispose();
    }
    return out;
  }

  /**
   * A copy of output rows [start, end) (codes, scales; the level table and rotation are shared facts,
   * copied). The result owns its storage.
   * @throws ShapeError for a range outside [0, rows]
   * @example
   * q.sliceRows(0, 128).shape; // [128, cols]
   */
  sliceRows(start: number, end: number): PvqTensor {
    const [rows, cols] = this.shape;
    if (this.disposedFlag) throw new MemoryError(`PvqTensor ${fmtShape(this.shape)} was disposed`);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start >= end) {
      throw new ShapeError(`sliceRows(${start}, ${end}) is outside the rows of ${fmtShape(this.shape)} (need 0 <= start < end <= ${rows})`);
    }
    const rb = this.codes.shape[1];
    const codes = (this.codes.data() as Uint8Array).slice(start * rb, end * rb);
    const scales = (this.scales.data() as Float32Array).slice(start, end);
    const levels = this.levels.data() as Float32Array;
    return new PvqTensor(
      [end - start, cols],
      this.dim,
      this.pulses,
      this.ampBits,
      fromArray(codes, [end - start, rb], 'uint8'),
      fromArray(scales, [end - start], 'f32'),
      this.scaleDtype,
      fromArray(levels, [levels.length], 'f32'),
      this.rotation,
    );
  }

  /** Frees codes, scales and levels (idempotent). */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.codes.dispose();
    this.scales.dispose();
    this.levels.dispose();
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
