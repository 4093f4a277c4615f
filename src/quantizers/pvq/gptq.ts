/**
 * Hessian-aware PVQ (van der Ouderaa et al. 2024, §3.4): GPTQ's error feedback (Frantar et al. 2022)
 * with the PVQ group encoder. Groups are `dim` consecutive input columns, so the generic loop of
 * src/quantizers/gptq/error-feedback.ts runs with encoder width = dim: each step codes the `dim`
 * working columns of every row jointly (nearest pyramid codeword and amplitude level, ./quantize.ts
 * `PvqGroupEncoder`), and the error E, solving E · U[s0:s1, s0:s1] = D − Q, is propagated to the
 * later columns through the upper Cholesky factor U of H⁻¹ (given as V = U⁻¹, V Vᵀ = H).
 * Minimises tr(ΔHΔᵀ) greedily, group by group, instead of the weight error.
 *
 * With the Hadamard rotation the loop runs in the rotated basis: W' = W Qᵀ and H' = Q H Qᵀ (the
 * inputs are rotated too), and tr(Δ'H'Δ'ᵀ) = tr(ΔHΔᵀ), so the reported output error is the one of
 * the original layer. Row scales and amplitude levels are fixed from the rotated original weight
 * before the loop (GPTQ's static groups). No act-order (it would split groups). Not the Hessian
 * accumulation (src/quantizers/hessian.ts) nor the damping (src/quantizers/gptq/hessian-prep.ts).
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../../errors.js';
import { Tensor, checkTensor } from '../../tensor.js';
import { fromArray } from '../arrays.js';
import { errorFeedback, type ColumnBlock, type ColumnEncoder } from '../gptq/error-feedback.js';
import { prepareHessian } from '../gptq/hessian-prep.js';
import { RandomHadamard, rotateSymmetric } from '../../ops/hadamard.js';
import { HessianAccumulator } from '../hessian.js';
import { Phases } from '../report.js';
import { PvqGroupEncoder, pvqReport, resolvePvqOptions, rotatedRows, type PvqOptions, type PvqReport } from './quantize.js';
import type { PvqTensor } from './pvq-tensor.js';

/** Options of `pvqGptq`: the PVQ options plus GPTQ's damping, block size and precision. */
export interface PvqGptqOptions extends PvqOptions {
  /** Damping as a fraction of mean(diag H) (default 0.01), escalated ×10 while the Cholesky fails. */
  readonly percDamp?: number;
  readonly maxPercDamp?: number;
  /** Columns per lazy batch (default 128, rounded down to a multiple of dim). */
  readonly blockSize?: number;
  /** Working precision of the inverse and the loop (default 'f32'). */
  readonly precision?: 'f32' | 'f64';
  /**
   * Choose each group's amplitude to minimise the step's GPTQ loss ‖(D − Q) U_BB⁻¹‖² rather than
   * ‖D − Q‖² (default true; see `PvqGroupEncoder.encode`).
   */
  readonly hessianGain?: boolean;
}

/**
 * The step's block V[j0:j0+D, j0:j0+D] of V [n, n] (row-major D × D, zeros below the diagonal):
 * U_BB⁻¹ for U = V⁻¹, since an upper triangular inverse's diagonal blocks invert the blocks.
 */
function upperBlock(v: ArrayLike<number>, n: number, j0: number, D: number): Float64Array {
  const out = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let k = i; k < D; k++) out[i * D + k] = v[(j0 + i) * n + j0 + k];
  return out;
}

/**
 * Quantizes a weight [out, in] with PVQ and GPTQ error feedback given the layer Hessian H [in, in]
 * (a tensor, 2/n Σ xxᵀ, or a HessianAccumulator). The report's error is the output error
 * mean‖(W − Ŵ)x‖² = tr(ΔHΔᵀ)/2 over the calibration tokens (undamped).
 * @throws ShapeError for mismatched shapes; ValueError for bad options or non-finite values;
 *   LinAlgError when no damping makes H positive definite
 * @example
 * const acc = new HessianAccumulator(384);
 * acc.add(x);                                   // [tokens, 384] layer inputs
 * const { q, report } = pvqGptq(w, acc, { bits: 3, dim: 16 });
 * report.error.value;                           // output error, lower than pvqQuantize's
 */
export function pvqGptq(w: Tensor, h: Tensor | HessianAccumulator, opts: PvqGptqOptions = {}): { q: PvqTensor; report: PvqReport } {
  const sw = new Phases();
  checkTensor('pvqGptq', w, 'the weight');
  if (w.ndim !== 2) throw new ShapeError(`pvqGptq expects a weight [out, in], got ${fmtShape(w.shape)}`);
  checkOptions('pvqGptq', opts);
  const [rows, cols] = w.shape;
  const ht = h instanceof HessianAccumulator ? h.hessian('f64') : h;
  checkTensor('pvqGptq', ht, 'H (a Tensor or a HessianAccumulator)');
  if (ht.ndim !== 2 || ht.shape[0] !== cols || ht.shape[1] !== cols) {
    throw new ShapeError(`pvqGptq: H must be [${cols},${cols}] for weight ${fmtShape(w.shape)}, got ${fmtShape(ht.shape)}`);
  }
  const cfg = resolvePvqOptions(rows, cols, opts);
  const bs = Math.max(cfg.dim, Math.floor((opts.blockSize ?? 128) / cfg.dim) * cfg.dim);
  if (opts.blockSize !== undefined && (!Number.isInteger(opts.blockSize) || opts.blockSize < 1)) throw new ValueError(`pvqGptq: blockSize must be a positive integer, got ${opts.blockSize}`);
  const wr = rotatedRows(w, cfg, 'pvqGptq');
  const hv = ht.dtype === 'f64' ? (ht.data() as Float64Array) : Float64Array.from(ht.toFloat32());
  if (ht !== h) ht.dispose();
  const hr = cfg.rotation ? rotateSymmetric(new RandomHadamard(cols, cfg.rotation), hv) : hv;
  const hTensor = fromArray(hr, [cols, cols], 'f64');
  sw.lap('rotate');
  const prep = prepareHessian(hTensor, { percDamp: opts.percDamp, maxPercDamp: opts.maxPercDamp, precision: opts.precision });
  hTensor.dispose();
  for (const c of prep.dead) for (let r = 0; r < rows; r++) wr[r * cols + c] = 0;
  sw.lap('inverse');

  const enc = new PvqGroupEncoder(cfg, rows, cols, wr);
  const D = cfg.dim;
  const vd = prep.v.data() as Float32Array | Float64Array;
  const hessianGain = opts.hessianGain ?? true;
  const encoder: ColumnEncoder = {
    width: D,
    encode: (b: ColumnBlock) => {
      const out = new Float64Array(rows * D);
      const g = b.j0 / D;
      const m = hessianGain ? upperBlock(vd, cols, b.j0, D) : undefined;
      for (let r = 0; r < rows; r++) enc.encode(r, g, b.values.subarray(r * D, (r + 1) * D), out, r * D, m);
      return out;
    },
  };
  const wt = fromArray(wr, [rows, cols], 'f32');
  const { q: qWork, loss } = errorFeedback(wt, prep.v, encoder, { blockSize: bs });
  wt.dispose();
  prep.v.dispose();
  sw.lap('loop');
  const qv = qWork.raw() as Float32Array | Float64Array;
  let dd = 0;
  for (let i = 0; i < wr.length; i++) dd += (wr[i] - qv[i]) ** 2;
  qWork.dispose();
  const outputError = Math.max(0, loss - (prep.damp * dd) / 2);
  const q = enc.toTensor();
  sw.lap('pack');
  return {
    q,
    report: pvqReport('pvq+gptq', q, { kind: 'output', value: outputError }, sw, { amplitude: cfg.amplitude, percDamp: prep.percDamp, damp: prep.damp, loss }),
  };
}
