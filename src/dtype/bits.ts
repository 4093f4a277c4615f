/**
 * Storage geometry and bit accounting of quantized tensors: how many rows, packed bytes, groups and
 * scales a QTensor of a given layout holds, and its size in bits (bits per weight), computed from the
 * dtype table and the qparams, never typed by hand. Pure arithmetic on a layout description, so the
 * docs generator can price layouts that no tensor holds. Not the QTensor itself (src/qtensor.ts).
 */
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { DTYPES, SCALE_BITS, type QuantDType, type ScaleDType } from './table.js';
import { packedBytes } from './pack.js';
import { pvqBits } from './pvq/count.js';

/**
 * Precision in which a learned (VQ) codebook is kept: its values are rounded to it. 'int8': the
 * codebook holds integer codes in -128..127 (their real values are code × the tensor's scale).
 */
export type CodebookDType = Exclude<ScaleDType, 'e8m0'> | 'int8';

/** Bits of one stored codebook value, per codebook dtype (float ones as scales, int8 from the table). */
export const CODEBOOK_BITS = { ...SCALE_BITS, int8: DTYPES.int8.bits } as const satisfies Record<CodebookDType, number>;

/** Everything that decides the storage size of a quantized tensor. */
export interface QLayout {
  readonly dtype: QuantDType;
  /** Logical shape [..., cols]; rows = product of the leading dims (1 for a 1-D tensor). */
  readonly shape: readonly number[];
  /** Width of one packed code (the table's bits; for `codebook` the index bits). */
  readonly bits: number;
  /** Columns per scale group (per-channel: cols). */
  readonly groupSize: number;
  /** One scale (and zero) for the whole tensor. */
  readonly perTensor: boolean;
  /** Whether group scales are stored (always, except a `codebook` tensor without scales). */
  readonly hasScales: boolean;
  readonly scaleDtype: ScaleDType;
  /** Symmetric: the zero point is fixed, not stored. */
  readonly symmetric: boolean;
  /** codebook: columns per index (vector dimension); 1 otherwise. */
  readonly vectorDim?: number;
  /** codebook: number of codebook entries (2^bits). */
  readonly codebookEntries?: number;
  readonly codebookDtype?: CodebookDType;
  /** An act-order permutation is stored (int32 per column). */
  readonly hasPerm?: boolean;
  /** Unfolded AWQ input scales are stored (counted as f16 per column). */
  readonly hasInputScale?: boolean;
  /** pvq: pulses and amplitude bits (the group dimension is `vectorDim`), and whether a rotation is stored. */
  readonly pvq?: PvqFacts;
}

/** The per-tensor facts of a `pvq` layout besides its group dimension. */
export interface PvqFacts {
  readonly pulses: number;
  readonly ampBits: number;
  readonly rotated: boolean;
}

/** pvq amplitude levels are stored as f32. */
export const PVQ_LEVEL_BITS = 32;
/** A stored pvq rotation: its seed (64 bits) and Hadamard block size (32 bits). */
export const PVQ_ROTATION_BITS = 96;
/** Largest amplitude code width of a pvq layout (the level table has 2^ampBits entries). */
export const PVQ_MAX_AMP_BITS = 12;

/**
 * The record width of a pvq layout, ampBits + ceil(log2 V(dim, pulses)), after checking its facts.
 * @throws ValueError for a non-positive dim or pulses or ampBits outside 0..12
 * @example
 * pvqRecordBits(16, { pulses: 12, ampBits: 4, rotated: true }); // 4 + 32
 */
export function pvqRecordBits(dim: number, f: PvqFacts): { indexBits: number; recordBits: number } {
  for (const [k, v] of [['dim', dim], ['pulses', f.pulses]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ValueError(`pvq: ${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(f.ampBits) || f.ampBits < 0 || f.ampBits > PVQ_MAX_AMP_BITS) {
    throw new ValueError(`pvq: ampBits must be an integer in 0..${PVQ_MAX_AMP_BITS}, got ${f.ampBits}`);
  }
  const indexBits = pvqBits(dim, f.pulses);
  return { indexBits, recordBits: indexBits + f.ampBits };
}

/** Counts derived from a layout: the shapes of codes and qparams. */
export interface QGeometry {
  rows: number;
  cols: number;
  numel: number;
  /** Packed codes per row: cols (or ceil(cols / vectorDim) vector indices). */
  codesPerRow: number;
  /** Bytes per packed row: ceil(codesPerRow * bits / 8). */
  rowBytes: number;
  /** Scale groups per row: ceil(cols / groupSize) (1 when per tensor). */
  nGroups: number;
  /** Rows of scales/zeros: rows, or 1 when per tensor. */
  scaleRows: number;
}

/**
 * The storage shapes of a layout: codes are uint8 [rows, rowBytes], scales/zeros [scaleRows, nGroups].
 * @example
 * qGeometry([4096, 4096], 4, 128, false); // { rows: 4096, cols: 4096, rowBytes: 2048, nGroups: 32, scaleRows: 4096, ... }
 */
export function qGeometry(shape: readonly number[], bits: number, groupSize: number, perTensor: boolean, vectorDim = 1): QGeometry {
  if (shape.length === 0) throw new ShapeError(`a quantized tensor needs at least one dimension, got shape ${fmtShape(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid shape ${fmtShape(shape)}: dimensions must be non-negative integers`);
  }
  const cols = shape[shape.length - 1];
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new ValueError(`groupSize must be a positive integer, got ${groupSize}`);
  if (!Number.isInteger(vectorDim) || vectorDim < 1) throw new ValueError(`vectorDim must be a positive integer, got ${vectorDim}`);
  const codesPerRow = Math.ceil(cols / vectorDim);
  return {
    rows,
    cols,
    numel: rows * cols,
    codesPerRow,
    // pvq records are wider than a byte; they follow the same bit-stream convention (pack.ts).
    rowBytes: bits > 8 && Number.isInteger(bits) ? Math.ceil((codesPerRow * bits) / 8) : packedBytes(codesPerRow, bits),
    nGroups: perTensor ? 1 : Math.ceil(cols / groupSize),
    scaleRows: perTensor ? 1 : rows,
  };
}

/** Size in bits of each part of a quantized tensor, and bits per weight. */
export interface SizeBits {
  /** Logical elements. */
  numel: number;
  /** Packed codes: rows * rowBytes * 8 (row padding included). */
  codes: number;
  /** Group scales: count * SCALE_BITS[scaleDtype]. */
  scales: number;
  /** Zero points: count * bits (asymmetric affine only). */
  zeros: number;
  /** Learned codebook: entries * dim * bits of its dtype. */
  codebook: number;
  /** Act-order permutation: 32 * cols. */
  perm: number;
  /** Unfolded AWQ input scales: 16 * cols. */
  inputScale: number;
  /** pvq amplitude levels: 2^ampBits * 32. */
  levels: number;
  /** pvq rotation (seed and block size): 96 when stored. */
  rotation: number;
  /** Sum of the parts. */
  total: number;
  /** total / numel (0 for an empty tensor). */
  bitsPerWeight: number;
}

/**
 * Storage size of a layout, part by part. A stored zero point counts `bits` bits (the width it is
 * defined in), although QTensor keeps it in a byte; a scale counts the bits of its scale dtype.
 * @example
 * sizeBits({ dtype: 'int4', shape: [4096, 4096], bits: 4, groupSize: 128, perTensor: false,
 *   hasScales: true, scaleDtype: 'f16', symmetric: false }).bitsPerWeight; // 4 + 20/128 = 4.15625
 */
export function sizeBits(layout: QLayout): SizeBits {
  const g = qGeometry(layout.shape, layout.bits, layout.groupSize, layout.perTensor, layout.vectorDim ?? 1);
  const pvq = layout.pvq;
  if (pvq) {
    const { recordBits } = pvqRecordBits(layout.vectorDim ?? 1, pvq);
    if (layout.bits !== recordBits) throw new ValueError(`pvq: bits must be the record width ${recordBits}, got ${layout.bits}`);
  }
  const nScales = layout.hasScales ? g.scaleRows * g.nGroups : 0;
  const hasZeros = DTYPES[layout.dtype].quant.zeroPoint && !layout.symmetric;
  const codes = g.rows * g.rowBytes * 8;
  const scales = nScales * SCALE_BITS[layout.scaleDtype];
  const zeros = hasZeros ? nScales * layout.bits : 0;
  const codebook =
    layout.codebookEntries !== undefined
      ? layout.codebookEntries * (layout.vectorDim ?? 1) * CODEBOOK_BITS[layout.codebookDtype ?? 'f32']
      : 0;
  const perm = layout.hasPerm ? g.cols * DTYPES.int32.bits : 0;
  const inputScale = layout.hasInputScale ? g.cols * DTYPES.f16.bits : 0;
  const levels = pvq ? 2 ** pvq.ampBits * PVQ_LEVEL_BITS : 0;
  const rotation = pvq?.rotated ? PVQ_ROTATION_BITS : 0;
  const total = codes + scales + zeros + codebook + perm + inputScale + levels + rotation;
  return { numel: g.numel, codes, scales, zeros, codebook, perm, inputScale, levels, rotation, total, bitsPerWeight: g.numel ? total / g.numel : 0 };
}
