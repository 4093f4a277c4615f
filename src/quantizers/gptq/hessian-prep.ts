/**
 * Prepares a layer Hessian for GPTQ's error feedback, as IST-DASLab/gptq `fasterquant` does before
 * its column loop: dead input channels (diag 0: the channel is always 0, so its weights never matter)
 * get diag 1, act-order sorts columns by decreasing diag(H), the diagonal is damped by
 * percDamp · mean(diag H), and the upper triangular V with V Vᵀ = H + damp·I is computed (the
 * Cholesky factor of the reversed matrix, reversed: see `upperFactor`). The reference computes
 * U = chol((H + damp·I)⁻¹)ᵀ instead; U = V⁻¹, and ./error-feedback.ts only ever needs the small
 * diagonal blocks of U, which it inverts from V block by block, so the n³/3 flops of a full
 * triangular inverse are not spent.
 *
 * When a Cholesky fails (H not positive definite after damping, e.g. fewer tokens than channels in
 * f32), percDamp is multiplied by 10 and the factorisation retried, up to `maxPercDamp`; the damping
 * actually used is returned so the report can show it. A non-finite or negative diagonal is not a
 * Hessian and is a ValueError before any work. Not the column loop (./error-feedback.ts).
 */
import { LinAlgError, ShapeError, ValueError, checkOptions, fmtShape } from '../../errors.js';
import { Tensor, checkTensor, scratchTensor } from '../../tensor.js';
import { kernel } from '../../kernels/table.js';
import { tensorRef } from '../../kernels/ref.js';

/** Options of `prepareHessian`. */
export interface HessianPrepOptions {
  /** Damping as a fraction of mean(diag H) (default 0.01, the reference's percdamp). */
  readonly percDamp?: number;
  /** Largest percDamp the escalation may reach before giving up (default 100). */
  readonly maxPercDamp?: number;
  /** Order columns by decreasing diag(H) (default false). */
  readonly actOrder?: boolean;
  /** Precision of the factorisation and of V (default 'f32'). */
  readonly precision?: 'f32' | 'f64';
}

/** A Hessian ready for `errorFeedback`. */
export interface PreparedHessian {
  /**
   * Upper triangular V with V Vᵀ = P H Pᵀ + damp·I, [cols, cols] in the chosen precision, zeros
   * below the diagonal. V⁻¹ is the upper Cholesky factor U of (P H Pᵀ + damp·I)⁻¹ that the
   * reference implementation computes.
   */
  readonly v: Tensor;
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
 * Dead columns, act-order, damping with escalation, and the upper factor V (V Vᵀ = H + damp I).
 * @throws ShapeError unless h is square; ValueError for a non-finite entry or a negative diagonal;
 *   LinAlgError when even maxPercDamp does not make H positive definite
 * @example
 * const p = prepareHessian(h, { percDamp: 0.01, actOrder: true });
 * p.v;         // upper factor for errorFeedback
 * p.percDamp;  // 0.01, or 0.1, 1, ... when the Cholesky had to be retried
 */
export function prepareHessian(h: Tensor, opts: HessianPrepOptions = {}): PreparedHessian {
  checkTensor('prepareHessian', h, 'the Hessian');
  if (h.ndim !== 2 || h.shape[0] !== h.shape[1]) {
    throw new ShapeError(`prepareHessian: the Hessian must be a square matrix [in, in], got ${fmtShape(h.shape)}`);
  }
  checkOptions('prepareHessian', opts);
  const n = h.shape[0];
  const percDamp0 = opts.percDamp ?? 0.01;
  const maxPercDamp = opts.maxPercDamp ?? 100;
  if (!(percDamp0 >= 0) || !Number.isFinite(percDamp0)) throw new ValueError(`percDamp must be a finite number >= 0, got ${percDamp0}`);
  if (!(maxPercDamp >= percDamp0)) throw new ValueError(`maxPercDamp ${maxPercDamp} must be >= percDamp ${percDamp0}`);
  const prec = opts.precision ?? 'f32';
  if (prec !== 'f32' && prec !== 'f64') throw new ValueError(`precision must be 'f32' or 'f64', got ${String(prec)}`);

  // H is read in place when it is a plain f32/f64 matrix (a 4096² Hessian is 64 MiB in f32: a copy
  // per pass would be the largest allocation of the whole GPTQ call). The view is re-taken after
  // every allocation, which may grow (and detach) the wasm memory.
  const inPlace = h.dtype === 'f32' || h.dtype === 'f64';
  const hc = inPlace ? h.contiguous() : h;
  const copy = inPlace ? null : h.toFloat32();
  const hView = (): Float32Array | Float64Array => copy ?? (hc.raw() as Float32Array | Float64Array);
  try {
    const src = hView();
    for (let i = 0; i < n * n; i++) {
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

    let percDamp = percDamp0;
    for (let escalations = 0; ; escalations++) {
      const damp = percDamp * meanDiag;
      const v = upperFactor(reversedDamped(hView, n, perm, diag, damp, prec));
      if (v) return { v, perm, dead, percDamp, damp, escalations };
      const next = percDamp === 0 ? 0.01 : percDamp * 10;
      if (next > maxPercDamp) {
        throw new LinAlgError(
          `GPTQ: the Hessian [${n},${n}] is not positive definite even with percDamp ${percDamp} (damping ${damp}); ` +
            `check the calibration activations or raise maxPercDamp`,
        );
      }
      percDamp = next;
    }
  } finally {
    if (hc !== h) hc.dispose();
  }
}

/**
 * J (P H Pᵀ + damp·I) J in the working precision, straight from H (J reverses the order, P is
 * act-order, dead diagonals read as 1): the matrix whose lower Cholesky factor gives V. Each element
 * is formed in f64 and rounded once, so every retry starts from H itself.
 */
function reversedDamped(hView: () => Float32Array | Float64Array, n: number, perm: Int32Array | null, diag: Float64Array, damp: number, prec: 'f32' | 'f64'): Tensor {
  const out = scratchTensor([n, n], prec); // every element is written below
  const o = out.raw() as Float32Array | Float64Array;
  const src = hView();
  // Working column j of the reversed order reads original column from[j]: one gather per row, the
  // diagonal set afterwards (a branch per element cost 3x the copy).
  const from = new Int32Array(n);
  for (let j = 0; j < n; j++) from[j] = perm ? perm[n - 1 - j] : n - 1 - j;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const s0 = from[i] * n;
    for (let j = 0; j < n; j++) o[row + j] = src[s0 + from[j]];
    o[row + i] = diag[from[i]] + damp;
  }
  return out;
}

/**
 * V upper triangular with V Vᵀ = A, or null when the factorisation fails, for `rev` = J A J (J the
 * order reversal): J A J = M Mᵀ (lower Cholesky) gives A = (J M J)(J M J)ᵀ, and J M J is upper
 * triangular: J X J of a row-major matrix is its flat array reversed, so V is M reversed in place.
 * One Cholesky (n³/3 flops) and one n² buffer; GPTQ's error feedback then works with V (see
 * ./error-feedback.ts). The reference's Cholesky, inverse and second Cholesky take 4n³/3.
 */
function upperFactor(rev: Tensor): Tensor | null {
  const n = rev.shape[0];
  const dt = rev.dtype === 'f64' ? 'f64' : 'f32';
  // The kernel leaves zeros above M's diagonal, so V has zeros below its own.
  const info = kernel(`cholesky_${dt}`)({ n, a: tensorRef(rev), rsa: n, csa: 1, upper: false });
  if (info !== 0 || !finiteDiagonal(rev, n)) {
    rev.dispose();
    return null;
  }
  (rev.raw() as Float32Array | Float64Array).reverse();
  return rev;
}

function finiteDiagonal(a: Tensor, n: number): boolean {
  const v = a.raw() as Float32Array | Float64Array;
  for (let i = 0; i < n; i++) if (!(v[i * n + i] > 0) || !Number.isFinite(v[i * n + i])) return false;
  return true;
}
