/**
 * Codebook update after assignment (GPTVQ, van Baalen et al. 2024, §3.3 "codebook update"): with
 * every index fixed, the quantized weight is LINEAR in the codebook values, so the codebook that
 * minimises the layer loss tr((W − Q) H (W − Q)ᵀ) is a least-squares solution. GPTVQ takes gradient
 * steps on it; here each codebook (one per stage and column group) is solved exactly in turn, the
 * others held fixed (block coordinate descent, one pass), then rounded to its storage dtype and kept
 * only when the loss, evaluated with the rounded values, goes down. So the update never makes the
 * loss worse.
 *
 * For the codebook C [k, d] of columns [j0, j0 + width) with codes a(r, v) and row scales S_r (1
 * without), Q[r, j0 + v·d + t] = S_r C[a(r, v), t], and with D = W − (Q without this codebook):
 *
 *   A[(c,t), (c',t')] = Σ_r S_r² Σ_{v,v': a(r,v)=c, a(r,v')=c'} H[j0+v·d+t, j0+v'·d+t']
 *   b[(c,t)]          = Σ_r S_r Σ_{v: a(r,v)=c} (D H)[r, j0+v·d+t]
 *   loss(C) = const − 2 bᵀ vec(C) + vec(C)ᵀ A vec(C),   optimum A vec(C) = b
 *
 * over the codewords that are used (unused ones keep their values; a 1e-9 relative ridge keeps A
 * positive definite, also for a singular H). vqQuantize passes the undamped H (working column order),
 * so the loss is exactly twice the output error it reports.
 * Costs one GEMM D H[:, block] (rows · cols · width) per codebook, O(rows · width²) for A and
 * O((k d)³ / 6) for the solve. Not k-means
 * (./kmeans.ts) and not the feedback loop (./vq.ts).
 */

import { kernel } from '../../kernels/table.js';
import { Storage } from '../../memory/storage.js';
import type { Ref } from '../../kernels/ref.js';

const ref = (x: Float64Array): Ref => ({ storage: Storage.from(x, { heap: null }), offset: 0 });

/** c [m, n] = a [m, kk] · b[:, j0 : j0 + n] (b is [kk, ldb], row-major), by the gemm_f64 kernel. */
function gemm(a: Float64Array, m: number, kk: number, b: Ref, ldb: number, j0: number, n: number): Float64Array {
  const c = ref(new Float64Array(m * n));
  kernel('gemm_f64')({
    m,
    n,
    k: kk,
    alpha: 1,
    a: ref(a),
    rsa: kk,
    csa: 1,
    b: { storage: b.storage, offset: j0 },
    rsb: ldb,
    csb: 1,
    beta: 0,
    c,
    rsc: n,
    csc: 1,
  });
  return c.storage.view(Float64Array).slice(0, m * n);
}

/** One codebook to update: its columns, codes, stored values and scales. */
export interface CodebookBlock {
  /** First working column and number of columns (a multiple of d). */
  readonly j0: number;
  readonly width: number;
  /** Codes [rows, width / d]. */
  readonly codes: Int32Array;
  /** Stored codebook [k, d] (updated in place when the update is kept). */
  readonly stored: Float32Array;
  /** Row scales [rows], one scale [1] for every row, or null (1). */
  readonly scale: Float32Array | null;
  /** Rounds solved values (stored units) to the storage dtype. */
  readonly round: (v: number) => number;
}

/** What `updateCodebooks` did. */
export interface CodebookUpdateResult {
  /** Loss tr(ΔHΔᵀ) before and after (with the H given). */
  readonly before: number;
  readonly after: number;
  /** Codebooks whose update was kept. */
  readonly kept: number;
}

/**
 * One pass of exact least-squares codebook updates (see the file header). `q` is the current
 * quantized weight [rows, cols] (the sum of every block's contribution) and is updated in place.
 * @example
 * const r = updateCodebooks(w, q, h, rows, cols, 2, 16, blocks); // r.after <= r.before
 */
export function updateCodebooks(
  w: Float64Array,
  q: Float64Array,
  h: Float64Array,
  rows: number,
  cols: number,
  d: number,
  k: number,
  blocks: readonly CodebookBlock[],
): CodebookUpdateResult {
  const before = loss(w, q, h, rows, cols);
  const hRef = ref(h);
  let kept = 0;
  for (const blk of blocks) if (updateOne(w, q, h, hRef, rows, cols, d, k, blk)) kept++;
  return { before, after: loss(w, q, h, rows, cols), kept };
}

/**
 * tr((W − Q) H (W − Q)ᵀ) in f64 (one GEMM).
 * @example
 * loss(Float64Array.of(1, 0), Float64Array.of(0, 0), Float64Array.of(2, 0, 0, 1), 1, 2); // 2
 */
export function loss(w: Float64Array, q: Float64Array, h: Float64Array, rows: number, cols: number): number {
  const dm = new Float64Array(rows * cols);
  for (let i = 0; i < dm.length; i++) dm[i] = w[i] - q[i];
  const dh = gemm(dm, rows, cols, ref(h), cols, 0, cols);
  let total = 0;
  for (let i = 0; i < dm.length; i++) total += dm[i] * dh[i];
  return total;
}

function scaleOf(blk: CodebookBlock, r: number): number {
  return blk.scale ? blk.scale[blk.scale.length === 1 ? 0 : r] : 1;
}

function updateOne(w: Float64Array, q: Float64Array, h: Float64Array, hRef: Ref, rows: number, cols: number, d: number, k: number, blk: CodebookBlock): boolean {
  const { j0, width, codes, stored } = blk;
  const per = width / d;
  const m = k * d;
  // Used codewords: only those enter the system.
  const used = new Uint8Array(k);
  for (let i = 0; i < codes.length; i++) used[codes[i]] = 1;
  const idx = new Int32Array(m).fill(-1);
  let nu = 0;
  for (let c = 0; c < k; c++) if (used[c]) for (let t = 0; t < d; t++) idx[c * d + t] = nu++;
  if (nu === 0) return false;

  // D = W − Q + this block's contribution; G = D H[:, j0:j0+width].
  const cur = (r: number, v: number, t: number): number => Math.fround(stored[codes[r * per + v] * d + t] * scaleOf(blk, r));
  const A = new Float64Array(nu * nu);
  const b = new Float64Array(nu);
  const dm = new Float64Array(rows * cols);
  for (let i = 0; i < dm.length; i++) dm[i] = w[i] - q[i];
  for (let r = 0; r < rows; r++) for (let v = 0; v < per; v++) for (let t = 0; t < d; t++) dm[r * cols + j0 + v * d + t] += cur(r, v, t);
  const gAll = gemm(dm, rows, cols, hRef, cols, j0, width);
  for (let r = 0; r < rows; r++) {
    const g = gAll.subarray(r * width, (r + 1) * width);
    const s = scaleOf(blk, r);
    for (let v = 0; v < per; v++) {
      const cv = codes[r * per + v] * d;
      for (let t = 0; t < d; t++) {
        const a = idx[cv + t];
        b[a] += s * g[v * d + t];
        const hr = (j0 + v * d + t) * cols + j0;
        for (let v2 = 0; v2 < per; v2++) {
          const cv2 = codes[r * per + v2] * d;
          for (let t2 = 0; t2 < d; t2++) A[a * nu + idx[cv2 + t2]] += s * s * h[hr + v2 * d + t2];
        }
      }
    }
  }
  let tr = 0;
  for (let a = 0; a < nu; a++) tr += A[a * nu + a];
  const ridge = 1e-9 * (tr / nu || 1);
  for (let a = 0; a < nu; a++) A[a * nu + a] += ridge;
  const sol = solveSpd(A, b, nu);
  if (!sol) return false;
  for (let a = 0; a < nu; a++) A[a * nu + a] -= ridge;

  // Old and new (rounded) values in stored units; keep the new ones only if the loss drops.
  const oldV = new Float64Array(nu);
  const newV = new Float64Array(nu);
  for (let c = 0; c < k; c++) {
    if (!used[c]) continue;
    for (let t = 0; t < d; t++) {
      const a = idx[c * d + t];
      oldV[a] = stored[c * d + t];
      newV[a] = blk.round(sol[a]);
      if (!Number.isFinite(newV[a])) return false;
    }
  }
  if (!(quad(A, b, newV, nu) < quad(A, b, oldV, nu))) return false;
  for (let c = 0; c < k; c++) if (used[c]) for (let t = 0; t < d; t++) stored[c * d + t] = newV[idx[c * d + t]];
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < per; v++) {
      for (let t = 0; t < d; t++) {
        const c = codes[r * per + v];
        const j = r * cols + j0 + v * d + t;
        q[j] += Math.fround(newV[idx[c * d + t]] * scaleOf(blk, r)) - Math.fround(oldV[idx[c * d + t]] * scaleOf(blk, r));
      }
    }
  }
  return true;
}

/** xᵀ A x − 2 bᵀ x: the loss up to a constant (A without the ridge). */
function quad(A: Float64Array, b: Float64Array, x: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += A[i * n + j] * x[j];
    s += x[i] * ax - 2 * b[i] * x[i];
  }
  return s;
}

/**
 * Solves A x = b for SPD A (row-major n × n) by the cholesky_f64 kernel (lower, in place on a copy)
 * and two substitutions; null when A is not positive definite.
 */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const lr = ref(Float64Array.from(a));
  if (kernel('cholesky_f64')({ n, a: lr, rsa: n, csa: 1, upper: false }) !== 0) return null;
  const l = lr.storage.view(Float64Array);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= l[i * n + p] * y[p];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let p = i + 1; p < n; p++) s -= l[p * n + i] * x[p];
    x[i] = s / l[i * n + i];
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) return null;
  return x;
}
