/**
 * Prepares a layer Hessian for GPTQ's error feedback, as IST-DASLab/gptq `fasterquant` does before
 * its column loop: dead input channels (diag 0: the channel is always 0, so its weights never matter)
 * get diag 1, act-order sorts columns by decreasing diag(H), the diagonal is damped by
 * percDamp · mean(diag H), and U = upper Cholesky factor of (H + damp·I)⁻¹ is computed (through the
 * Cholesky factor of the reversed matrix, see `upperFactorOfInverse`).
 *
 * When a Cholesky fails (H not positive definite after damping, e.g. fewer tokens than channels in
 * f32), percDamp is multiplied by 10 and the factorisation retried, up to `maxPercDamp`; the damping
 * actually used is returned so the report can show it. A non-finite or negative diagonal is not a
 * Hessian and is a ValueError before any work. Not the column loop (./error-feedback.ts).
 */
import { LinAlgError, ShapeError, ValueError, fmtShape } from '../../errors.js';
import { cholesky, triangularInverse } from '../../ops/linalg.js';
import { Tensor } from '../../tensor.js';
import { fromArray } from '../arrays.js';

/** Options of `prepareHessian`. */
export interface HessianPrepOptions {
  /** Damping as a fraction of mean(diag H) (default 0.01, the reference's percdamp). */
  readonly percDamp?: number;
  /** Largest percDamp the escalation may reach before giving up (default 100). */
  readonly maxPercDamp?: number;
  /** Order columns by decreasing diag(H) (default false). */
  readonly actOrder?: boolean;
  /** Precision of the factorisation and of U (default 'f32'). */
  readonly precision?: 'f32' | 'f64';
}

/** A Hessian ready for `errorFeedback`. */
export interface PreparedHessian {
  /** Upper Cholesky factor of (P H Pᵀ + damp·I)⁻¹, [cols, cols] in the chosen precision. */
  readonly u: Tensor;
  /** Act-order: working column j is original column perm[j]; null without act-order. */
  readonly perm: Int32Array | null;
  /** Original indices of the dead columns (diag H = 0). */
  readonly dead: number[];
  /** The percDamp that succeeded (the requested one unless it was escalated). */
  readonly percDamp: number;
  /** Absolute damping added to the diagonal: percDamp · mean(diag H). */
  readonly damp: number;
  /** How many times percDamp was multiplied by 10. */
  readonly escalations: number;
}

/**
 * Dead columns, act-order, damping with escalation, and U = chol((H + damp I)⁻¹)ᵀ (upper).
 * @throws ShapeError unless h is square; ValueError for a non-finite entry or a negative diagonal;
 *   LinAlgError when even maxPercDamp does not make H positive definite
 * @example
 * const p = prepareHessian(h, { percDamp: 0.01, actOrder: true });
 * p.u;         // upper factor for errorFeedback
 * p.percDamp;  // 0.01, or 0.1, 1, ... when the Cholesky had to be retried
 */
export function prepareHessian(h: Tensor, opts: HessianPrepOptions = {}): PreparedHessian {
  if (!(h instanceof Tensor) || h.ndim !== 2 || h.shape[0] !== h.shape[1]) {
    throw new ShapeError(`the Hessian must be a square matrix [in, in], got ${h instanceof Tensor ? fmtShape(h.shape) : typeof h}`);
  }
  const n = h.shape[0];
  const percDamp0 = opts.percDamp ?? 0.01;
  const maxPercDamp = opts.maxPercDamp ?? 100;
  if (!(percDamp0 >= 0) || !Number.isFinite(percDamp0)) throw new ValueError(`percDamp must be a finite number >= 0, got ${percDamp0}`);
  if (!(maxPercDamp >= percDamp0)) throw new ValueError(`maxPercDamp ${maxPercDamp} must be >= percDamp ${percDamp0}`);
  const prec = opts.precision ?? 'f32';
  if (prec !== 'f32' && prec !== 'f64') throw new ValueError(`precision must be 'f32' or 'f64', got ${String(prec)}`);

  const src = h.dtype === 'f64' ? (h.data() as Float64Array) : h.toFloat32();
  for (let i = 0; i < src.length; i++) {
    if (!Number.isFinite(src[i])) throw new ValueError(`the Hessian ${fmtShape(h.shape)} has a non-finite value ${src[i]} at [${Math.floor(i / n)},${i % n}]`);
  }
  const diag = new Float64Array(n);
  const dead: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = src[i * n + i];
    if (d < 0) throw new ValueError(`the Hessian has a negative diagonal ${d} at [${i},${i}]; H = 2/n Σ xᵀx is positive semidefinite`);
    if (d === 0) dead.push(i);
    diag[i] = d === 0 ? 1 : d;
  }
  let perm: Int32Array | null = null;
  if (opts.actOrder) {
    // Decreasing diag(H); ties keep the original order (the sort is stable).
    perm = Int32Array.from(Array.from({ length: n }, (_, i) => i).sort((a, b) => diag[b] - diag[a]));
  }
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += diag[i];
  meanDiag /= n;

  // Permuted base matrix (dead diagonals already 1), kept in f64 so each retry starts from it.
  const base = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const pi = perm ? perm[i] : i;
    for (let j = 0; j < n; j++) {
      const pj = perm ? perm[j] : j;
      base[i * n + j] = pi === pj ? diag[pi] : src[pi * n + pj];
    }
  }

  let percDamp = percDamp0;
  const a = new Float64Array(n * n);
  for (let escalations = 0; ; escalations++) {
    const damp = percDamp * meanDiag;
    a.set(base);
    for (let i = 0; i < n; i++) a[i * n + i] = base[i * n + i] + damp;
    const u = upperFactorOfInverse(fromArray(a, [n, n], prec));
    if (u) return { u, perm, dead, percDamp, damp, escalations };
    const next = percDamp === 0 ? 0.01 : percDamp * 10;
    if (next > maxPercDamp) {
      throw new LinAlgError(
        `GPTQ: the Hessian [${n},${n}] is not positive definite even with percDamp ${percDamp} (damping ${damp}); ` +
          `check the calibration activations or raise maxPercDamp`,
      );
    }
    percDamp = next;
  }
}

/**
 * U with UᵀU = A⁻¹ (the upper Cholesky factor of the inverse), or null when the factorisation fails.
 * Without forming A⁻¹: with J the order reversal, J A J = M Mᵀ (lower Cholesky) gives
 * A⁻¹ = J M⁻ᵀ M⁻¹ J = (J M⁻¹ J)ᵀ (J M⁻¹ J), and J M⁻¹ J is upper triangular with a positive diagonal,
 * so it is U (the Cholesky factor is unique). One Cholesky and one triangular inverse (2n³/3 flops)
 * instead of the reference's Cholesky, inverse and second Cholesky (4n³/3), and no rounding of A⁻¹.
 * Frees `a`.
 */
function upperFactorOfInverse(a: Tensor): Tensor | null {
  const n = a.shape[0];
  const rev = reversed(a, n);
  a.dispose();
  let m: Tensor | null = null;
  let mi: Tensor | null = null;
  try {
    m = cholesky(rev);
    mi = triangularInverse(m);
    const u = reversed(mi, n);
    if (finiteDiagonal(u, n)) return u;
    u.dispose();
    return null;
  } catch (e) {
    if (e instanceof LinAlgError) return null;
    throw e;
  } finally {
    rev.dispose();
    m?.dispose();
    mi?.dispose();
  }
}

/** J A J: rows and columns in reverse order (a new tensor of a's dtype). */
function reversed(a: Tensor, n: number): Tensor {
  const src = a.contiguous().raw() as Float32Array | Float64Array;
  const out = new (src instanceof Float64Array ? Float64Array : Float32Array)(n * n);
  const last = n * n - 1;
  for (let i = 0; i <= last; i++) out[last - i] = src[i];
  return fromArray(out, [n, n], a.dtype as 'f32' | 'f64');
}

function finiteDiagonal(a: Tensor, n: number): boolean {
  const v = a.raw() as Float32Array | Float64Array;
  for (let i = 0; i < n; i++) if (!(v[i * n + i] > 0) || !Number.isFinite(v[i * n + i])) return false;
  return true;
}
