/**
 * PVQ for LLM weights (van der Ouderaa, Croci, Hilmkil, Hensman 2024, "Pyramid Vector Quantization for
 * LLMs"): rotate the rows of W [out, in] by a randomized Hadamard (coherence processing), split each
 * row into groups of `dim` columns, code each group's direction by its nearest pyramid codeword
 * y ∈ P(dim, K) (./search.ts) and its amplitude relative to the row norm by Beta-optimal levels
 * (./amplitude.ts), and pack (amplitude code, codeword index) records (src/dtype/pvq/index-code.ts).
 *
 * `pvqQuantize` codes each group on its own; `pvqGptq` (./gptq.ts) adds Hessian-aware error feedback
 * with the same encoder (`PvqGroupEncoder`). Not the storage (./pvq-tensor.ts).
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../../errors.js';
import type { ScaleDType } from '../../dtype/table.js';
import { roundToScaleDType } from '../../qtensor.js';
import { Tensor, checkTensor } from '../../tensor.js';
import { fromArray } from '../arrays.js';
import { RandomHadamard } from '../../ops/hadamard.js';
import { Phases } from '../report.js';
import { amplitudeLevels, nearestLevel, type AmplitudeMethod } from './amplitude.js';
import { pvqConfigForBits } from './config.js';
import { pvqCountTable, type PvqCountTable } from '../../dtype/pvq/count.js';
import { pvqEncodeIndex, pvqEncodeIndexNumber, writeIndexBits } from '../../dtype/pvq/index-code.js';
import { pvqSearch, pvqSearchExact } from './search.js';
import { PvqTensor, pvqSizeBits, type PvqRotation } from './pvq-tensor.js';

/** Options of `pvqQuantize` and `pvqGptq`. */
export interface PvqOptions {
  /** Group dimension D (default 16); must divide the number of columns. */
  readonly dim?: number;
  /** Pulses K per group. Without it, K and ampBits come from `bits` (`pvqConfigForBits`). */
  readonly pulses?: number;
  /** Target bits per weight, everything stored included (default 3); used when `pulses` is not set. */
  readonly bits?: number;
  /** Amplitude bits (default: chosen with K by `pvqConfigForBits`, or 4 when `pulses` is given). */
  readonly ampBits?: number;
  /** How amplitude levels are chosen (default 'beta', the MSE-optimal one). */
  readonly amplitude?: AmplitudeMethod;
  /** Row scale precision (default f16). */
  readonly scaleDtype?: Exclude<ScaleDType, 'e8m0'>;
  /** Randomized Hadamard rotation of the rows (default { seed: 0 }); false for none. */
  readonly hadamard?: false | { readonly seed?: number; readonly blockSize?: number };
  /** Pulse search: 'greedy' (default, Fischer/CELT style) or 'exact' (slower, optimal). */
  readonly search?: 'greedy' | 'exact';
}

/** The resolved configuration. */
export interface PvqResolved {
  readonly dim: number;
  readonly pulses: number;
  readonly ampBits: number;
  readonly amplitude: AmplitudeMethod;
  readonly scaleDtype: Exclude<ScaleDType, 'e8m0'>;
  readonly rotation: PvqRotation | null;
  readonly search: 'greedy' | 'exact';
}

/** Extras of a PVQ report. */
export interface PvqExtras {
  readonly dim: number;
  readonly pulses: number;
  readonly ampBits: number;
  readonly indexBits: number;
  readonly amplitude: AmplitudeMethod;
  readonly rotation: PvqRotation | null;
  /** GPTQ variant: percDamp, damping and the loss Σ‖E‖²/2 under the damped Hessian. */
  readonly percDamp?: number;
  readonly damp?: number;
  readonly loss?: number;
}

/** A PVQ report: as src/quantizers/report.ts `QuantReport`, with dtype 'pvq'. */
export interface PvqReport {
  readonly method: 'pvq' | 'pvq+gptq';
  readonly dtype: 'pvq';
  readonly shape: readonly number[];
  readonly bitsPerWeight: number;
  readonly error: { readonly kind: 'weight' | 'output'; readonly value: number };
  readonly timeMs: number;
  readonly phases: Readonly<Record<string, number>>;
  readonly extras: PvqExtras;
}

/**
 * Validates and completes the options for a weight [rows, cols].
 * @example
 * resolvePvqOptions(1024, 384, { bits: 3 }).pulses // 23 (dim 16)
 */
export function resolvePvqOptions(rows: number, cols: number, opts: PvqOptions): PvqResolved {
  const dim = opts.dim ?? 16;
  if (!Number.isSafeInteger(dim) || dim < 1) throw new ValueError(`pvq: dim must be a positive integer, got ${dim}`);
  if (cols % dim !== 0) throw new ShapeError(`pvq: the ${cols} columns of [${rows}, ${cols}] are not a multiple of the group dimension ${dim}`);
  const scaleDtype = opts.scaleDtype ?? 'f16';
  let rotation: PvqRotation | null = null;
  if (opts.hadamard !== false) {
    const h = new RandomHadamard(cols, opts.hadamard ?? {});
    rotation = { seed: h.seed, blockSize: h.blockSize };
  }
  let pulses = opts.pulses;
  let ampBits = opts.ampBits;
  if (pulses === undefined) {
    const c = pvqConfigForBits(opts.bits ?? 3, { dim, shape: [rows, cols], ampBits, scaleDtype, rotated: rotation !== null });
    pulses = c.pulses;
    ampBits = c.ampBits;
  }
  ampBits ??= 4;
  if (!Number.isSafeInteger(pulses) || pulses < 1) throw new ValueError(`pvq: pulses must be a positive integer, got ${pulses}`);
  pvqSizeBits({ rows, cols, dim, pulses, ampBits, scaleDtype, rotated: rotation !== null }); // validates ampBits
  const amplitude = opts.amplitude ?? 'beta';
  if (!['beta', 'uniform', 'log'].includes(amplitude)) throw new ValueError(`pvq: amplitude must be 'beta', 'uniform' or 'log', got ${String(amplitude)}`);
  const search = opts.search ?? 'greedy';
  if (search !== 'greedy' && search !== 'exact') throw new ValueError(`pvq: search must be 'greedy' or 'exact', got ${String(search)}`);
  return { dim, pulses, ampBits, amplitude, scaleDtype, rotation, search };
}

/**
 * The weight as f32 rows, rotated when the configuration says so; non-finite values rejected.
 * @example
 * const wr = rotatedRows(w, resolvePvqOptions(rows, cols, {}), 'pvqQuantize');
 */
export function rotatedRows(w: Tensor, cfg: PvqResolved, what: string): Float32Array {
  const [rows, cols] = w.shape;
  const data = w.toFloat32();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ValueError(`${what}: non-finite weight ${data[i]} at [${Math.floor(i / cols)},${i % cols}] of ${fmtShape([rows, cols])}`);
  }
  if (cfg.rotation) new RandomHadamard(cols, cfg.rotation).applyInPlace(data, false);
  return data;
}

/**
 * Encodes groups of one configuration: row scales, amplitude levels, then group by group the codeword,
 * amplitude code and packed record, returning the decoded values exactly as the kernels compute them.
 * @example
 * const enc = new PvqGroupEncoder(cfg, rows, cols, wr);
 * enc.encode(0, 0, wr.subarray(0, cfg.dim), out, 0); // group 0 of row 0
 * const q = enc.toTensor();
 */
export class PvqGroupEncoder {
  readonly rows: number;
  readonly cols: number;
  readonly indexBits: number;
  readonly rowBytes: number;
  /** ρ per row, rounded to the scale dtype. */
  readonly scales: Float32Array;
  /** Amplitude levels as stored (f32 values). */
  readonly levels: Float32Array;
  /** Packed records [rows, rowBytes]. */
  readonly codes: Uint8Array;
  private readonly table: PvqCountTable;
  private readonly y: Int32Array;

  /**
   * Row scales and amplitude levels come from `ref` (f32 rows in the coded basis): ρ = ‖row‖₂ and the
   * levels fitted to the amplitudes its groups would get.
   */
  constructor(readonly cfg: PvqResolved, rows: number, cols: number, ref: Float32Array) {
    this.rows = rows;
    this.cols = cols;
    const sb = pvqSizeBits({ rows, cols, dim: cfg.dim, pulses: cfg.pulses, ampBits: cfg.ampBits, scaleDtype: cfg.scaleDtype, rotated: cfg.rotation !== null });
    this.indexBits = sb.indexBits;
    this.rowBytes = sb.rowBytes;
    this.codes = new Uint8Array(rows * sb.rowBytes);
    this.table = pvqCountTable(cfg.dim, cfg.pulses);
    this.y = new Int32Array(cfg.dim);
    this.scales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let j = 0; j < cols; j++) ss += ref[r * cols + j] ** 2;
      this.scales[r] = roundToScaleDType(Math.sqrt(ss), cfg.scaleDtype);
    }
    const amps: number[] = [];
    for (let r = 0; r < rows; r++) {
      const rho = this.scales[r];
      if (!(rho > 0)) continue;
      for (let g = 0; g < cols; g += cfg.dim) {
        const x = ref.subarray(r * cols + g, r * cols + g + cfg.dim);
        amps.push(Math.min(1, this.gain(x) / rho));
      }
    }
    const lv = amps.length ? amplitudeLevels(amps, cfg.ampBits, cfg.amplitude) : new Float64Array(2 ** cfg.ampBits);
    this.levels = Float32Array.from(lv);
  }

  /** ⟨x, y⟩/‖y‖ for the codeword of x (left in this.y). */
  private gain(x: ArrayLike<number>): number {
    (this.cfg.search === 'exact' ? pvqSearchExact : pvqSearch)(x, this.cfg.pulses, this.y);
    let xy = 0;
    let yy = 0;
    for (let i = 0; i < this.y.length; i++) {
      xy += x[i] * this.y[i];
      yy += this.y[i] * this.y[i];
    }
    return xy / Math.sqrt(yy);
  }

  /**
   * Codes group `g` (columns [g·dim, (g+1)·dim)) of row r from values x, stores its record and writes
   * the decoded values (the kernels' f32 arithmetic) to out.
   *
   * With `metric` M (dim × dim, row-major) the amplitude minimises ‖(x − q) M‖² instead of ‖x − q‖²
   * (Hessian-aware gain: GPTQ's loss of the step is ‖(D − Q) U_BB⁻¹‖², so M = U_BB⁻¹). For the chosen
   * direction ŷ the error is quadratic in the level value v, with minimum at
   * v* = ⟨xM, ŷM⟩ / (ρ ‖ŷM‖²), so the nearest level to v* is the best one.
   */
  encode(r: number, g: number, x: ArrayLike<number>, out: Float32Array | Float64Array, outOffset: number, metric?: Float64Array): void {
    const { dim, ampBits } = this.cfg;
    const rho = this.scales[r];
    let s = this.gain(x);
    let yy = 0;
    for (let i = 0; i < dim; i++) yy += this.y[i] * this.y[i];
    if (metric) {
      let num = 0;
      let den = 0;
      for (let k = 0; k < dim; k++) {
        let xm = 0;
        let ym = 0;
        for (let i = 0; i <= k; i++) {
          xm += x[i] * metric[i * dim + k];
          ym += this.y[i] * metric[i * dim + k];
        }
        num += xm * ym;
        den += ym * ym;
      }
      // gain along the unit direction ŷ = y/‖y‖
      if (den > 0) s = Math.max(0, (num / den) * Math.sqrt(yy));
    }
    const a = ampBits ? nearestLevel(this.levels, rho > 0 ? s / rho : 0) : 0;
    const gainF = Math.fround((rho * this.levels[a]) / Math.sqrt(yy));
    for (let i = 0; i < dim; i++) out[outOffset + i] = Math.fround(this.y[i] * gainF);
    const index = this.indexBits <= 53 ? pvqEncodeIndexNumber(this.y, this.table) : pvqEncodeIndex(this.y, this.table);
    const row = this.codes.subarray(r * this.rowBytes, (r + 1) * this.rowBytes);
    const pos = g * (ampBits + this.indexBits);
    if (ampBits) writeIndexBits(row, pos, a, ampBits);
    writeIndexBits(row, pos + ampBits, index, this.indexBits);
  }

  /** The PvqTensor of what was encoded (copies the arrays into tensors). */
  toTensor(): PvqTensor {
    const c = this.cfg;
    return new PvqTensor(
      [this.rows, this.cols],
      c.dim,
      c.pulses,
      c.ampBits,
      fromArray(this.codes, [this.rows, this.rowBytes], 'uint8'),
      fromArray(this.scales, [this.rows], 'f32'),
      c.scaleDtype,
      fromArray(this.levels, [2 ** c.ampBits], 'f32'),
      c.rotation,
    );
  }
}

/**
 * Quantizes a weight [out, in] with PVQ, each group coded on its own. The report's error is the mean
 * squared weight error (original basis; the rotation is orthogonal, so it is also the rotated one).
 * @throws ShapeError when in is not a multiple of dim; ValueError for bad options or non-finite weights
 * @example
 * const { q, report } = pvqQuantize(w, { bits: 3, dim: 16 });
 * report.bitsPerWeight;   // <= 3, exact
 * q.matmul(x);            // decodes on the fly
 */
export function pvqQuantize(w: Tensor, opts: PvqOptions = {}): { q: PvqTensor; report: PvqReport } {
  const sw = new Phases();
  checkTensor('pvqQuantize', w, 'the weight');
  if (w.ndim !== 2) throw new ShapeError(`pvqQuantize expects a weight [out, in], got ${fmtShape(w.shape)}`);
  checkOptions('pvqQuantize', opts);
  const [rows, cols] = w.shape;
  const cfg = resolvePvqOptions(rows, cols, opts);
  const wr = rotatedRows(w, cfg, 'pvqQuantize');
  sw.lap('rotate');
  const enc = new PvqGroupEncoder(cfg, rows, cols, wr);
  const deq = new Float32Array(wr.length);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / cfg.dim; g++) {
      const o = r * cols + g * cfg.dim;
      enc.encode(r, g, wr.subarray(o, o + cfg.dim), deq, o);
    }
  }
  sw.lap('encode');
  let err = 0;
  for (let i = 0; i < wr.length; i++) err += (wr[i] - deq[i]) ** 2;
  const q = enc.toTensor();
  sw.lap('pack');
  return { q, report: pvqReport('pvq', q, { kind: 'weight', value: err / Math.max(1, wr.length) }, sw, { amplitude: cfg.amplitude }) };
}

/**
 * A report for a PvqTensor (bits per weight read from it).
 * @example
 * pvqReport('pvq', q, { kind: 'weight', value: 1e-4 }, new Phases(), {}).bitsPerWeight === q.bitsPerWeight
 */
export function pvqReport(method: PvqReport['method'], q: PvqTensor, error: PvqReport['error'], sw: Phases, more: Partial<PvqExtras>): PvqReport {
  return {
    method,
    dtype: 'pvq',
    shape: q.shape,
    bitsPerWeight: q.bitsPerWeight,
    error,
    timeMs: performance.now() - sw.start,
    phases: sw.record,
    extras: { dim: q.dim, pulses: q.pulses, ampBits: q.ampBits, indexBits: q.indexBits, amplitude: 'beta', rotation: q.rotation, ...more },
  };
}
