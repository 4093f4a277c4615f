/**
 * The report every quantizer returns next to its QTensor (DESIGN.md decision 7): the error it
 * reached, bits per weight (from the QTensor, never typed by hand), wall time split into phases, and
 * method-specific extras (damping used, chosen AWQ alpha and clip, ...). Plain data, JSON-safe.
 *
 * Not a logger and not the CLI's table: src/cli formats reports.
 */
import type { QuantDType } from '../dtype/table.js';
import type { QTensor } from '../qtensor.js';

/**
 * What `QuantReport.error.value` measures:
 * - 'weight': mean over all weights of (w − q)²;
 * - 'output': mean over calibration tokens x of ‖(W − Q) x‖² (summed over output channels), which
 *   equals tr(ΔHΔᵀ)/2 for H = 2/n Σ xxᵀ (the Hessian of src/quantizers/hessian.ts).
 */
export type ErrorKind = 'weight' | 'output';

/** A quantizer's error: what is measured, its value, and the same for plain RTN when computed. */
export interface QuantError {
  readonly kind: ErrorKind;
  readonly value: number;
  /** The same measure for round-to-nearest with the same dtype and groups, when the method computed it. */
  readonly rtn?: number;
}

/** The report of one quantized tensor. */
export interface QuantReport<E extends object = Record<string, unknown>> {
  /** 'rtn', 'gptq', 'awq', 'awq+gptq', ... */
  readonly method: string;
  readonly dtype: QuantDType;
  /** Logical shape of the quantized tensor. */
  readonly shape: readonly number[];
  /** Storage bits per weight, all qparams included (QTensor.bitsPerWeight). */
  readonly bitsPerWeight: number;
  readonly error: QuantError;
  /** Total wall time in milliseconds. */
  readonly timeMs: number;
  /** Wall time of the method's phases in milliseconds (e.g. inverse, loop, pack). */
  readonly phases: Readonly<Record<string, number>>;
  /** Method-specific results (GPTQ: damping; AWQ: alpha, clip). */
  readonly extras: E;
}

/**
 * Builds a report for a QTensor (bits per weight read from it).
 * @example
 * const r = makeReport('rtn', q, { kind: 'weight', value: 1e-4 }, t0, { encode: 3.1 }, {});
 * r.bitsPerWeight === q.bitsPerWeight
 */
export function makeReport<E extends object>(
  method: string,
  q: QTensor,
  error: QuantError,
  startMs: number,
  phases: Record<string, number>,
  extras: E,
): QuantReport<E> {
  return {
    method,
    dtype: q.dtype,
    shape: q.shape,
    bitsPerWeight: q.bitsPerWeight,
    error,
    timeMs: performance.now() - startMs,
    phases,
    extras,
  };
}

/**
 * A stopwatch that records named phases for a report.
 * @example
 * const sw = new Phases(); ...; sw.lap('inverse'); ...; sw.lap('loop'); sw.record; // { inverse, loop }
 */
export class Phases {
  readonly start = performance.now();
  private last = this.start;
  readonly record: Record<string, number> = {};

  /** Adds the time since the previous lap (or the start) to phase `name`. */
  lap(name: string): void {
    const now = performance.now();
    this.record[name] = (this.record[name] ?? 0) + (now - this.last);
    this.last = now;
  }
}
