/**
 * QTensor: a quantized tensor. A quantized dtype from the table, the logical shape of the float
 * tensor it stands for, packed codes (src/dtype/pack.ts) and its qparams (scales, zero points,
 * codebook, act-order permutation, unfolded AWQ input scales), all stored as Tensors so they can live
 * in wasm memory. Also the reference `dequantize`, which defines what the codes mean; the WASM kernels
 * must match it. Choosing qparams and computing codes is src/ops/quant.ts.
 *
 * Storage (the contract with the kernels), for logical shape [..., cols], rows = product of the
 * leading dims (1 for a 1-D tensor), groups along the last axis (the input axis of a [out, in] weight):
 *
 * ```
 * codes       uint8 [rows, rowBytes]        rowBytes = ceil(codesPerRow * bits / 8), see pack.ts
 *             codesPerRow = cols (codebook: ceil(cols / vectorDim) vector indices)
 * scales      f32   [scaleRows, nGroups]    nGroups = ceil(cols / groupSize), the last may be ragged;
 *                                           scaleRows = rows, or 1 when perTensor (then nGroups = 1);
 *                                           values already rounded to scaleDtype (e8m0: powers of two);
 *                                           absent only for a codebook tensor without scales (scale 1)
 * zeros       uint8 [scaleRows, nGroups]    affine asymmetric only, in [0, 2^bits - 1]
 * codebook    f32   [2^indexBits, vectorDim]  codebook dtype only, values rounded to codebookDtype
 * perm        int32 [cols]                  act-order: stored column j holds original column perm[j]
 * inputScale  f32   [cols]                  AWQ scales not folded in (f16 values), original order
 * levels      f32   [2^ampBits]             pvq only: relative amplitude levels
 * ```
 *
 * Value of stored element (r, j), with g = floor(j / groupSize), sr = perTensor ? 0 : r, c = code:
 * - affine:   (c - zero) * scales[sr, g], zero = zeros[sr, g], or 2^(bits-1) when symmetric
 * - lut:      values[c] * scales[sr, g]                      (nf4, fp4: the table's fixed codebook)
 * - mx:       values[c] * scales[sr, g], scales = 2^(e - 127) (mxfp4, blocks of 32)
 * - codebook: codebook[c_k, j mod vectorDim] * (scales ? scales[sr, g] : 1), k = floor(j / vectorDim)
 * then written to original column oc = perm ? perm[j] : j, divided by inputScale[oc] when present.
 * Arithmetic is f32: the product is rounded to f32 once, then the division by inputScale once.
 * - pvq: one record per vectorDim = D columns (amplitude code a, then the index of y in P(D, pulses);
 *   codes are [rows, ceil(cols/D · bits / 8)] with bits = ampBits + ceil(log2 V(D, pulses))); scales
 *   [rows, 1] (groupSize = cols); value in the rotated basis f32(y_i · f32(ρ_r · levels[a] / ‖y‖₂)),
 *   rotated back by the randomized Hadamard `rotation` when stored: src/qtensor-pvq.ts.
 */
import { DTypeError, MemoryError, ShapeError, ValueError, describeValue, fmtShape } from './errors.js';
import { DTYPES, E8M0, SCALE_BITS, isQuantDType, quantInfo, type QuantDType, type QuantFacts, type ScaleDType } from './dtype/table.js';
import { fromBF16Bits, fromF16Bits, roundToF16, toBF16Bits, toF16Bits } from './dtype/half.js';
import { kernel } from './kernels/table.js';
import { qweightArgs } from './kernels/qweight.js';
import { CODEBOOK_BITS, qGeometry, sizeBits, type CodebookDType, type QGeometry, type QLayout, type SizeBits } from './dtype/bits.js';
import { Tensor, empty } from './tensor.js';
import { checkPvqParams, dequantizePvq, type PvqRotation } from './qtensor-pvq.js';

export type { CodebookDType, QGeometry, SizeBits } from './dtype/bits.js';
export type { PvqRotation } from './qtensor-pvq.js';

/**
 * Quantization parameters of a QTensor. Every array is a Tensor (so it can live in wasm memory);
 * a QTensor owns its qparams tensors and frees them in `dispose()`.
 */
export interface QParams {
  /** Columns per group along the last axis (per-channel: cols). The last group may be ragged. */
  readonly groupSize: number;
  /** One scale (and zero point) for the whole tensor: scales [1, 1], groupSize = cols. */
  readonly perTensor: boolean;
  /** f32 [scaleRows, nGroups], values rounded to `scaleDtype`. Absent only for a codebook tensor without scales. */
  readonly scales?: Tensor;
  /** Precision the scales are rounded to and counted in (mx: always 'e8m0'). */
  readonly scaleDtype: ScaleDType;
  /** uint8 [scaleRows, nGroups]: zero points in [0, 2^bits - 1] (affine asymmetric only). */
  readonly zeros?: Tensor;
  /** Affine: zero point fixed at 2^(bits-1) and not stored. Always true for lut, mx and codebook. */
  readonly symmetric: boolean;
  /** codebook dtype: f32 [2^indexBits, vectorDim], values rounded to `codebookDtype`. */
  readonly codebook?: Tensor;
  /** Precision of the codebook values (default 'f32'; 'int8': integer codes, meaningful with scales). */
  readonly codebookDtype?: CodebookDType;
  /** codebook dtype: bits of one vector index (1..8). */
  readonly indexBits?: number;
  /** codebook dtype: columns per vector index. */
  readonly vectorDim?: number;
  /** int32 [cols]: stored column j holds original column perm[j] (act-order). */
  readonly perm?: Tensor;
  /** f32 [cols] (f16 values): AWQ input scales not folded in; effective W[:, c] = deq[:, c] / inputScale[c]. */
  readonly inputScale?: Tensor;
  /** pvq: pulses K of the pyramid P(vectorDim, K). */
  readonly pulses?: number;
  /** pvq: bits of the amplitude code of a group (0..12). */
  readonly ampBits?: number;
  /** pvq: f32 [2^ampBits], relative amplitude levels. */
  readonly levels?: Tensor;
  /** pvq: the randomized Hadamard rotation the codes live in (absent: none). */
  readonly rotation?: PvqRotation;
}

// ---------------------------------------------------------------------------------------------
// Rounding to the scale dtypes

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);

/** The neighbour of a non-negative f32 `v` one step up (+1) or down (-1; v > 0). */
function stepF32(v: number, dir: 1 | -1): number {
  f32Box[0] = v;
  u32Box[0] += dir;
  return f32Box[0];
}

/** Exponent e with 2^e <= a < 2^(e+1), for finite a > 0 (exact, unlike Math.log2 alone). */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

const E8M0_MIN = 2 ** E8M0.minExp;

function e8m0(x: number, mode: 'nearest' | 'up' | 'down'): number {
  if (x <= E8M0_MIN) return E8M0_MIN;
  const e = floorLog2(x);
  let r = e;
  // Between 2^e and 2^(e+1) the midpoint is 1.5 * 2^e; ties go up (the larger scale never clips).
  if (2 ** e !== x && (mode === 'up' || (mode === 'nearest' && x >= 1.5 * 2 ** e))) r = e + 1;
  if (r > E8M0.maxExp) return mode === 'down' ? 2 ** E8M0.maxExp : Infinity;
  return 2 ** r;
}

/** A rounding of a 16-bit float format given its bit conversions (nearest; up/down for x >= 0). */
function half16(toBits: (x: number) => number, fromBits: (b: number) => number) {
  return {
    nearest: (x: number) => fromBits(toBits(x)),
    up: (x: number) => {
      const b = toBits(x);
      return fromBits(b) >= x ? fromBits(b) : fromBits(b + 1);
    },
    down: (x: number) => {
      const b = toBits(x);
      return fromBits(b) <= x ? fromBits(b) : fromBits(b - 1);
    },
  };
}

/**
 * How each scale dtype rounds a number: to nearest (even), up (smallest value >= x) and down (largest
 * value <= x); up and down are for x >= 0, the only scales there are.
 */
const SCALE_ROUNDING = {
  f32: {
    nearest: Math.fround,
    up: (x: number) => (Math.fround(x) >= x ? Math.fround(x) : stepF32(Math.fround(x), 1)),
    down: (x: number) => (Math.fround(x) <= x ? Math.fround(x) : stepF32(Math.fround(x), -1)),
  },
  f16: half16(toF16Bits, fromF16Bits),
  bf16: half16(toBF16Bits, fromBF16Bits),
  e8m0: {
    nearest: (x: number) => e8m0(x, 'nearest'),
    up: (x: number) => e8m0(x, 'up'),
    down: (x: number) => e8m0(x, 'down'),
  },
} satisfies Record<ScaleDType, Record<'nearest' | 'up' | 'down', (x: number) => number>>;

/**
 * Rounds a number to a scale dtype: 'nearest' (ties to even; e8m0: nearest power of two, ties up),
 * 'up' (the smallest representable value >= x) or 'down' (the largest <= x); up and down for x >= 0.
 * Overflow gives Infinity (except 'down'); e8m0 has no zero, so it never returns less than 2^-127.
 * @example
 * roundToScaleDType(0.1, 'f16');        // 0.0999755859375
 * roundToScaleDType(0.1, 'f16', 'up');  // 0.10003662109375
 * roundToScaleDType(3, 'e8m0', 'up');   // 4
 */
export function roundToScaleDType(x: number, d: ScaleDType, mode: 'nearest' | 'up' | 'down' = 'nearest'): number {
  return SCALE_ROUNDING[d][mode](x);
}

/**
 * Whether a number is exactly representable in a scale dtype.
 * @example
 * isScaleRepresentable(0.5, 'e8m0') === true; isScaleRepresentable(0.1, 'f16') === false
 */
export function isScaleRepresentable(x: number, d: ScaleDType): boolean {
  if (!Number.isFinite(x)) return false;
  if (d === 'e8m0') return x > 0 && x === SCALE_ROUNDING.e8m0.nearest(x);
  return SCALE_ROUNDING[d].nearest(x) === x;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** What the validation of a QTensor's parts derived: the code width, geometry and facts. */
export interface QCheck {
  readonly facts: QuantFacts;
  /** Width of one packed code: the table's bits, or indexBits for the codebook dtype. */
  readonly bits: number;
  readonly geometry: QGeometry;
}

function checkPart(t: Tensor | undefined, what: string, dtype: string, shape: readonly number[]): Tensor {
  if (!t) throw new ValueError(`${what} is missing: expected ${dtype} ${fmtShape(shape)}`);
  if (!(t instanceof Tensor)) throw new ValueError(`${what} must be a Tensor, got ${describeValue(t)}`);
  if (t.storage.disposed) throw new MemoryError(`${what} ${t.dtype} ${fmtShape(t.shape)} was disposed`);
  if (t.dtype !== dtype) throw new DTypeError(`${what} must be ${dtype}, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${what} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
  return t;
}

/**
 * Checks that qparams fit a quantized dtype and logical shape (shapes, dtypes, ranges, which parts
 * must or must not be present) and returns the derived code width and geometry. Does not check codes.
 * @throws DTypeError, ShapeError or ValueError naming the offending part
 * @example
 * checkQParams('int4', [8, 64], qp).geometry.nGroups; // 64 / qp.groupSize
 */
export function checkQParams(dtype: QuantDType, shape: readonly number[], qp: QParams): QCheck {
  if (!isQuantDType(dtype)) throw new DTypeError(`${String(dtype)} is not a quantized dtype`);
  const facts = quantInfo(dtype);
  const isCodebook = facts.family === 'codebook';
  const isPvq = facts.family === 'pvq';
  let bits: number = DTYPES[dtype].bits;
  let vectorDim = 1;
  if (!isPvq && (qp.pulses !== undefined || qp.ampBits !== undefined || qp.levels || qp.rotation)) {
    throw new ValueError(`${dtype}: pulses, ampBits, levels and rotation apply to the pvq dtype only`);
  }
  if (isPvq) {
    ({ bits, vectorDim } = checkPvqParams(shape, qp));
  } else if (isCodebook) {
    if (qp.indexBits === undefined || qp.vectorDim === undefined) {
      throw new ValueError(`${dtype}: qparams need indexBits and vectorDim`);
    }
    if (!Number.isInteger(qp.indexBits) || qp.indexBits < 1 || qp.indexBits > 8) {
      throw new ValueError(`${dtype}: indexBits must be an integer from 1 to 8, got ${qp.indexBits}`);
    }
    bits = qp.indexBits;
    vectorDim = qp.vectorDim;
  } else if (qp.codebook || qp.indexBits !== undefined || qp.vectorDim !== undefined) {
    throw new ValueError(`${dtype} has a fixed code format: codebook, indexBits and vectorDim apply to the codebook dtype only`);
  }
  const g = qGeometry(shape, bits, qp.groupSize, qp.perTensor, vectorDim);
  if (g.numel === 0) throw new ShapeError(`a quantized tensor cannot be empty, got shape ${fmtShape(shape)}`);
  if (qp.perTensor && qp.groupSize !== g.cols) {
    throw new ValueError(`a per-tensor scale needs groupSize = cols = ${g.cols}, got ${qp.groupSize}`);
  }
  if (!(qp.scaleDtype in SCALE_BITS)) throw new ValueError(`unknown scaleDtype ${String(qp.scaleDtype)}`);
  if (facts.scaleDtype && qp.scaleDtype !== facts.scaleDtype) {
    throw new ValueError(`${dtype} scales are ${facts.scaleDtype}, got scaleDtype ${qp.scaleDtype}`);
  }
  if (facts.blockSize !== undefined && (qp.groupSize !== facts.blockSize || qp.perTensor)) {
    throw new ValueError(`${dtype} uses blocks of ${facts.blockSize}; groupSize ${qp.perTensor ? "'tensor'" : qp.groupSize} is not allowed`);
  }
  if (!facts.zeroPoint && !qp.symmetric) throw new ValueError(`${dtype} has no zero point, so qparams must be symmetric`);
  const sShape = [g.scaleRows, g.nGroups];
  if (qp.scales || !isCodebook) {
    const s = checkPart(qp.scales, `${dtype} scales`, 'f32', sShape).data() as Float32Array;
    for (let i = 0; i < s.length; i++) {
      if (!(s[i] >= 0) || !isScaleRepresentable(s[i], qp.scaleDtype)) {
        throw new ValueError(
          `scale ${s[i]} at [${Math.floor(i / g.nGroups)}, ${i % g.nGroups}] is not a non-negative ${qp.scaleDtype} value`,
        );
      }
    }
    if (isCodebook && g.nGroups > 1 && qp.groupSize % vectorDim !== 0) {
      throw new ValueError(`codebook groupSize ${qp.groupSize} must be a multiple of vectorDim ${vectorDim} so no vector straddles two groups`);
    }
  }
  if (facts.zeroPoint && !qp.symmetric) {
    const z = checkPart(qp.zeros, `${dtype} zeros`, 'uint8', sShape).data() as Uint8Array;
    for (let i = 0; i < z.length; i++) {
      if (z[i] > facts.ucodeMax) throw new ValueError(`zero point ${z[i]} at [${Math.floor(i / g.nGroups)}, ${i % g.nGroups}] exceeds ${facts.ucodeMax}`);
    }
  } else if (qp.zeros) {
    throw new ValueError(`${dtype} ${qp.symmetric ? 'symmetric ' : ''}qparams must not have zeros`);
  }
  if (isCodebook) {
    const cb = checkPart(qp.codebook, `${dtype} codebook`, 'f32', [2 ** bits, vectorDim]).data() as Float32Array;
    const cd = qp.codebookDtype ?? 'f32';
    if (!(cd in CODEBOOK_BITS) || (cd as string) === 'e8m0') throw new ValueError(`codebookDtype must be f32, f16, bf16 or int8, got ${String(cd)}`);
    // int8: integer codes (times the tensor's scales), so they are stored and counted in 8 bits.
    const representable = cd === 'int8'
      ? (v: number) => Number.isInteger(v) && v >= DTYPES.int8.dense.min && v <= DTYPES.int8.dense.max
      : (v: number) => Number.isFinite(v) && roundToScaleDType(v, cd) === v;
    for (let i = 0; i < cb.length; i++) {
      if (!representable(cb[i])) {
        throw new ValueError(`codebook value ${cb[i]} at [${Math.floor(i / vectorDim)}, ${i % vectorDim}] is not a finite ${cd} value`);
      }
    }
  }
  if (qp.perm) {
    const p = checkPart(qp.perm, 'perm', 'int32', [g.cols]).data() as Int32Array;
    checkPermutation(p);
  }
  if (qp.inputScale) {
    const a = checkPart(qp.inputScale, 'inputScale', 'f32', [g.cols]).data() as Float32Array;
    for (let i = 0; i < a.length; i++) {
      if (!(a[i] > 0) || !Number.isFinite(a[i]) || roundToF16(a[i]) !== a[i]) {
        throw new ValueError(`inputScale ${a[i]} at [${i}] is not a positive finite f16 value`);
      }
    }
  }
  return { facts, bits, geometry: g };
}

/**
 * Throws unless `p` holds each of 0..p.length-1 exactly once.
 * @example
 * checkPermutation([2, 0, 1]); // ok
 */
export function checkPermutation(p: ArrayLike<number>): void {
  const seen = new Uint8Array(p.length);
  for (let j = 0; j < p.length; j++) {
    const v = p[j];
    if (!Number.isInteger(v) || v < 0 || v >= p.length) throw new ValueError(`perm[${j}] = ${v} is outside 0..${p.length - 1}`);
    if (seen[v]) throw new ValueError(`perm is not a permutation: ${v} appears twice (again at [${j}])`);
    seen[v] = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// QTensor

/**
 * A quantized tensor: packed codes plus qparams standing for a float tensor of `shape`.
 * Usually made by `quantize` (src/ops/quant.ts); the constructor checks every part against the
 * contract above and takes ownership of the tensors.
 * @example
 * const q = quantize(w, { dtype: 'int4', groupSize: 128 });
 * q.bitsPerWeight;          // 4 + (16 + 4) / 128
 * const w2 = q.dequantize(); // f32, same shape as w
 * q.dispose();
 */
export class QTensor {
  /** Logical shape of the float tensor this stands for. */
  readonly shape: readonly number[];
  /** Width of one packed code (indexBits for the codebook dtype). */
  readonly bits: number;
  /** Rows, cols, packed bytes per row, groups, scale rows. */
  readonly geometry: QGeometry;
  private disposedFlag = false;

  constructor(
    readonly dtype: QuantDType,
    shape: readonly number[],
    /** uint8 [rows, rowBytes], each row a little-endian bit stream (src/dtype/pack.ts). */
    readonly codes: Tensor,
    readonly qparams: QParams,
  ) {
    const chk = checkQParams(dtype, shape, qparams);
    this.shape = Object.freeze([...shape]);
    this.bits = chk.bits;
    this.geometry = chk.geometry;
    checkPart(codes, `${dtype} codes`, 'uint8', [chk.geometry.rows, chk.geometry.rowBytes]);
    if (!codes.isContiguous) throw new ValueError(`${dtype} codes must be contiguous (row-major [rows, rowBytes])`);
  }

  /** How the codes decode: affine, lut, mx or codebook (from the table). */
  get family(): QuantFacts['family'] {
    return quantInfo(this.dtype).family;
  }

  /** Number of logical elements. */
  get size(): number {
    return this.geometry.numel;
  }

  /** Number of logical dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** The group scales (f32 [scaleRows, nGroups]); throws for a codebook tensor stored without scales. */
  get scales(): Tensor {
    if (!this.qparams.scales) throw new ValueError(`${this.toString()} has no scales (every scale is 1)`);
    return this.qparams.scales;
  }

  /**
   * The packed codes as bytes [rows * rowBytes], row-major (a view: valid until the next allocation).
   * @example
   * const row0 = q.codeBytes().subarray(0, q.geometry.rowBytes);
   */
  codeBytes(): Uint8Array {
    this.checkAlive();
    const { rows, rowBytes } = this.geometry;
    return this.codes.storage.view(Uint8Array, this.codes.offset, rows * rowBytes);
  }

  /** The storage layout, for bit accounting. */
  layout(): QLayout {
    const qp = this.qparams;
    return {
      dtype: this.dtype,
      shape: this.shape,
      bits: this.bits,
      groupSize: qp.groupSize,
      perTensor: qp.perTensor,
      hasScales: qp.scales !== undefined,
      scaleDtype: qp.scaleDtype,
      symmetric: qp.symmetric,
      vectorDim: qp.vectorDim,
      codebookEntries: qp.codebook ? qp.codebook.shape[0] : undefined,
      codebookDtype: qp.codebookDtype,
      hasPerm: qp.perm !== undefined,
      hasInputScale: qp.inputScale !== undefined,
      pvq: this.family === 'pvq' ? { pulses: qp.pulses!, ampBits: qp.ampBits!, rotated: qp.rotation !== undefined } : undefined,
    };
  }

  /**
   * Storage size in bits, part by part (codes, scales, zeros, codebook, perm, inputScale), and bits per weight.
   * @example
   * quantize(w, { dtype: 'int4', groupSize: 128 }).sizeBits().scales; // rows * cols / 128 * 16
   */
  sizeBits(): SizeBits {
    return sizeBits(this.layout());
  }

  /**
   * Bits of storage per logical element, all qparams included.
   * @example
   * quantize(w, { dtype: 'mxfp4' }).bitsPerWeight; // 4.25 when cols is a multiple of 32
   */
  get bitsPerWeight(): number {
    return this.sizeBits().bitsPerWeight;
  }

  /**
   * The float tensor this stands for (f32, logical shape, original column order).
   * @example
   * q.dequantize().shape; // q.shape
   */
  dequantize(): Tensor {
    return dequantize(this);
  }

  /**
   * A copy of rows [start, end) of the first axis (the output axis of a [out, in] weight), qparams
   * included. The result owns its own storage.
   * @throws ShapeError for a 1-D tensor or a range outside [0, shape[0]]
   * @example
   * q.sliceRows(0, 128).shape; // [128, ...q.shape.slice(1)]
   */
  sliceRows(start: number, end: number): QTensor {
    this.checkAlive();
    const n0 = this.shape[0];
    if (this.shape.length < 2) throw new ShapeError(`sliceRows needs at least 2 dimensions, got shape ${fmtShape(this.shape)}`);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n0 || start >= end) {
      throw new ShapeError(`sliceRows(${start}, ${end}) is outside the first axis of ${fmtShape(this.shape)} (need 0 <= start < end <= ${n0})`);
    }
    const { rows, rowBytes, nGroups } = this.geometry;
    const per = rows / n0; // flattened rows per index of the first axis
    const r0 = start * per;
    const nr = (end - start) * per;
    const qp = this.qparams;
    const sliceRowsOf = (t: Tensor | undefined, width: number): Tensor | undefined =>
      t && (qp.perTensor ? copyTensor(t) : copyRange(t, r0 * width, nr * width, [nr, width]));
    const codes = copyRange(this.codes, r0 * rowBytes, nr * rowBytes, [nr, rowBytes]);
    return new QTensor(this.dtype, [end - start, ...this.shape.slice(1)], codes, {
      ...qp,
      scales: sliceRowsOf(qp.scales, nGroups),
      zeros: sliceRowsOf(qp.zeros, nGroups),
      codebook: qp.codebook && copyTensor(qp.codebook),
      perm: qp.perm && copyTensor(qp.perm),
      inputScale: qp.inputScale && copyTensor(qp.inputScale),
      levels: qp.levels && copyTensor(qp.levels),
    });
  }

  /** Frees the codes and every qparams tensor (idempotent). Later use throws `MemoryError`. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    const qp = this.qparams;
    for (const t of [this.codes, qp.scales, qp.zeros, qp.codebook, qp.perm, qp.inputScale, qp.levels]) t?.dispose();
  }

  /** @internal Throws MemoryError after dispose(). */
  checkAlive(): void {
    if (this.disposedFlag) throw new MemoryError(`QTensor ${this.dtype} ${fmtShape(this.shape)} was disposed`);
  }

  /**
   * A one-line summary.
   * @example
   * String(q); // 'QTensor(int4, [64,256], group 128 asymmetric, f16 scales, 4.156 bits/weight)'
   */
  toString(): string {
    if (this.disposedFlag) return `QTensor(${this.dtype}, ${fmtShape(this.shape)}, disposed)`;
    const qp = this.qparams;
    const parts: string[] = [];
    if (this.family === 'codebook') {
      parts.push(`${this.bits}-bit indices of ${qp.vectorDim}-d vectors, ${qp.codebookDtype ?? 'f32'} codebook`);
    }
    if (this.family === 'pvq') {
      parts.push(`dim ${qp.vectorDim}, ${qp.pulses} pulses, ${qp.ampBits}-bit amplitudes (${this.bits}-bit records)`, `${qp.scaleDtype} row scales`);
      if (qp.rotation) parts.push(`hadamard seed ${qp.rotation.seed}`);
    } else if (qp.scales) {
      const gran = qp.perTensor
        ? 'per tensor'
        : quantInfo(this.dtype).blockSize !== undefined
          ? `blocks of ${qp.groupSize}`
          : qp.groupSize >= this.geometry.cols
            ? 'per channel'
            : `group ${qp.groupSize}`;
      const sym = quantInfo(this.dtype).zeroPoint ? (qp.symmetric ? ' symmetric' : ' asymmetric') : '';
      parts.push(`${gran}${sym}`, `${qp.scaleDtype} scales`);
    } else {
      parts.push('no scales');
    }
    if (qp.perm) parts.push('act-order');
    if (qp.inputScale) parts.push('input scales');
    parts.push(`${this.bitsPerWeight.toFixed(3)} bits/weight`);
    return `QTensor(${this.dtype}, ${fmtShape(this.shape)}, ${parts.join(', ')})`;
  }
}

// Views of storage are taken only after every allocation: growing a wasm memory detaches them.

function copyTensor(t: Tensor): Tensor {
  const src = t.contiguous();
  const out = empty(t.shape, t.dtype);
  out.raw().set(src.raw() as never);
  return out;
}

/** A new contiguous tensor of `shape` holding elements [from, from + n) of a contiguous tensor. */
function copyRange(t: Tensor, from: number, n: number, shape: number[]): Tensor {
  const out = empty(shape, t.dtype);
  const src = t.raw();
  (out.raw() as Uint8Array).set((src as Uint8Array).subarray(t.offset + from, t.offset + from + n));
  return out;
}

/**
 * Throws a ValueError naming `op` unless `x` is a QTensor (the entry check of the public functions
 * that take one; see `checkTensor` in src/tensor.ts). Not exported from the package.
 * @example
 * checkQTensor('dequantize', w); // ValueError: dequantize: the input must be a QTensor, got an object (Tensor)
 */
export function checkQTensor(op: string, x: unknown, what = 'the input'): asserts x is QTensor {
  if (!(x instanceof QTensor)) throw new ValueError(`${op}: ${what} must be a QTensor, got ${describeValue(x)}`);
}

// ---------------------------------------------------------------------------------------------
// dequantize: the reference

/**
 * The float tensor a QTensor stands for: f32, its logical shape, original column order (act-order
 * undone), unfolded input scales divided out: the formulas at the top of this file. Rows are decoded
 * by the `qdequant_f32` kernel (its JS reference, src/kernels/js/quant.ts, spells the same formulas
 * out; the WASM version is bit-identical), then permuted and divided here.
 * @example
 * const q = quantize(tensor([[0, 1, 2, 3]]), { dtype: 'int2', symmetric: false, scaleDtype: 'f32' });
 * dequantize(q).toArray(); // [[0, 1, 2, 3]]
 */
export function dequantize(q: QTensor): Tensor {
  checkQTensor('dequantize', q);
  q.checkAlive();
  if (q.family === 'pvq') return dequantizePvq(q);
  const { rows, cols } = q.geometry;
  const qp = q.qparams;
  const out = empty(q.shape, 'f32');
  if (!qp.perm && !qp.inputScale) {
    // The packed-weight dequantize kernel (src/kernels/js/quant.ts defines it, bit-exact in WASM).
    kernel('qdequant_f32')({ ...qweightArgs(q), out: { storage: out.storage, offset: 0 }, r0: 0, r1: rows });
    return out;
  }
  // Stored column order first, then each row scattered to its original columns (act-order undone)
  // and divided by the input scales.
  const stored = empty([rows, cols], 'f32');
  try {
    kernel('qdequant_f32')({ ...qweightArgs(q), out: { storage: stored.storage, offset: 0 }, r0: 0, r1: rows });
    const perm = qp.perm ? (qp.perm.data() as Int32Array) : null;
    const inv = qp.inputScale ? (qp.inputScale.data() as Float32Array) : null;
    const o = out.raw() as Float32Array;
    const row = stored.raw() as Float32Array;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = 0; j < cols; j++) {
        const oc = perm ? perm[j] : j;
        o[base + oc] = inv ? row[base + j] / inv[oc] : row[base + j];
      }
    }
  } finally {
    stored.dispose();
  }
  return out;
}
