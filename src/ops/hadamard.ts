/**
 * Randomized Hadamard rotation for coherence processing (QuIP#, QuaRot; used by PVQ for LLMs,
 * van der Ouderaa et al. 2024, §3): an orthogonal Q = B · diag(s) with s a ±1 vector drawn from a seed
 * and B = blockdiag(H_b / √b, ..., H_b / √b), H_b the Sylvester–Hadamard matrix of a power-of-two
 * block b dividing n (default: the largest such b, so n = 4096 uses one full H_4096 and n = 384 uses
 * three H_128 blocks). Rotating the rows of a weight W [out, n] gives W' = W Qᵀ, whose groups are
 * closer to i.i.d. Gaussian (fewer outliers); the layer is unchanged when its activations are rotated
 * the same way, W' (Q x) = W x, or when the dequantized W' is rotated back, W = W' Q.
 *
 * Runs on the `fwht_f32` kernel (WASM SIMD or the JS reference); results are f32, exact up to f32
 * rounding (log2(b) + 1 roundings per element). Not the FWHT itself (src/kernels/js/fwht.ts) and
 * not a quantizer.
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { kernel } from '../kernels/table.js';
import { refOf } from '../kernels/ref.js';
import { Rng } from './random.js';
import { Tensor, empty } from '../tensor.js';

/** Options of `randomHadamard`. */
export interface RandomHadamardOptions {
  /** Seed of the sign vector (default 0). */
  readonly seed?: number;
  /** Hadamard block: a power of two dividing n (default: the largest power of two dividing n). */
  readonly blockSize?: number;
}

/** Largest power of two dividing n (n >= 1). */
function largestPow2Divisor(n: number): number {
  let b = 1;
  while (n % (b * 2) === 0) b *= 2;
  return b;
}

/**
 * The rotation Q = blockdiag(H_b/√b) · diag(signs) on vectors of length n. Use `forward` on weight
 * rows (W' = W Qᵀ) and on activations (x' = Q x); `inverse` undoes either.
 * @example
 * const q = new RandomHadamard(384, { seed: 3 }); // q.blockSize === 128
 */
export class RandomHadamard {
  /** Vector length. */
  readonly n: number;
  /** Hadamard block size (a power of two dividing n). */
  readonly blockSize: number;
  /** Seed the signs were drawn from. */
  readonly seed: number;
  /** The ±1 signs (length n), drawn from `Rng(seed)`: bit 31 of one draw per entry. */
  readonly signs: Float32Array;

  constructor(n: number, opts: RandomHadamardOptions = {}) {
    if (!Number.isSafeInteger(n) || n < 1) throw new ValueError(`randomHadamard: length must be a positive integer, got ${n}`);
    checkOptions('randomHadamard', opts);
    const b = opts.blockSize ?? largestPow2Divisor(n);
    if (!Number.isSafeInteger(b) || b < 1 || (b & (b - 1)) !== 0 || n % b !== 0) {
      throw new ValueError(`randomHadamard: blockSize must be a power of two dividing ${n}, got ${b}`);
    }
    this.n = n;
    this.blockSize = b;
    this.seed = opts.seed ?? 0;
    const rng = new Rng(this.seed);
    this.signs = new Float32Array(n);
    for (let i = 0; i < n; i++) this.signs[i] = rng.nextU32() >>> 31 ? -1 : 1;
  }

  /**
   * Q x along the last axis of `x` (f32 result, same shape): signs first, then the block transforms.
   * @example
   * const q = randomHadamard(4, { seed: 1 });
   * q.forward(tensor([[1, 0, 0, 0]])); // [[±0.5, ±0.5, ±0.5, ±0.5]]
   */
  forward(x: Tensor): Tensor {
    return this.apply(x, false);
  }

  /**
   * Qᵀ x along the last axis (the inverse rotation): block transforms first, then the signs.
   * @example
   * q.inverse(q.forward(x)); // x, up to f32 rounding
   */
  inverse(x: Tensor): Tensor {
    return this.apply(x, true);
  }

  /**
   * The same as `forward`/`inverse` on a Float32Array of whole rows, in place (the arrays the
   * quantizers work on). `data.length` must be a multiple of n.
   * @example
   * q.applyInPlace(rowsF32, false);
   */
  applyInPlace(data: Float32Array, inverse: boolean): void {
    if (data.length % this.n !== 0) throw new ShapeError(`RandomHadamard(${this.n}): ${data.length} values are not whole rows of ${this.n}`);
    const xr = refOf(data);
    try {
      this.run(xr.storage, 0, data.length / this.n, inverse);
      data.set(xr.storage.view(Float32Array).subarray(0, data.length));
    } finally {
      xr.storage.dispose();
    }
  }

  private apply(x: Tensor, inverse: boolean): Tensor {
    if (!(x instanceof Tensor) || x.ndim < 1 || x.shape[x.ndim - 1] !== this.n) {
      throw new ShapeError(`RandomHadamard(${this.n}) rotates the last axis of length ${this.n}, got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`);
    }
    const rows = x.size / this.n;
    const vals = x.toFloat32();
    const out = empty(x.shape, 'f32');
    if (rows === 0) return out;
    (out.raw() as Float32Array).set(vals, out.offset);
    this.run(out.storage, out.offset, rows, inverse);
    return out;
  }

  /** Runs the kernel on `rows` contiguous rows of n f32 at element `offset` of `storage`. */
  private run(storage: Tensor['storage'], offset: number, rows: number, inverse: boolean): void {
    const b = this.blockSize;
    const scale = Math.fround(1 / Math.sqrt(b));
    const fwht = kernel('fwht_f32');
    const signs = refOf(this.signs);
    try {
      // One call per block column: rows of b values, row stride n, the block's slice of the signs.
      for (let k = 0; k < this.n; k += b) {
        const s = { storage: signs.storage, offset: k };
        fwht({
          rows,
          n: b,
          x: { storage, offset: offset + k },
          rsx: this.n,
          signsIn: inverse ? undefined : s,
          signsOut: inverse ? s : undefined,
          scale,
        });
      }
    } finally {
      signs.storage.dispose();
    }
  }
}

/**
 * A randomized Hadamard rotation of vectors of length n (see `RandomHadamard`).
 * @example
 * const q = randomHadamard(384, { seed: 7 });      // three H_128 blocks
 * const w2 = q.forward(w);                          // W' = W Qᵀ (rows rotated)
 * // y = W x = W' (Q x):
 * matmul(w2, q.forward(x).reshape([384, 1]));
 */
export function randomHadamard(n: number, opts: RandomHadamardOptions = {}): RandomHadamard {
  return new RandomHadamard(n, opts);
}

/**
 * Q H Qᵀ for a symmetric matrix H [n, n] (row-major, f32 or f64 values; result f32 values in a
 * Float64Array): the Hessian of a layer whose inputs are rotated by Q (x' = Q x gives
 * E[x'x'ᵀ] = Q E[xxᵀ] Qᵀ). Two passes of the row transform: rows(H) = H Qᵀ, then rows((H Qᵀ)ᵀ) =
 * rows(Q H) = Q H Qᵀ.
 * @example
 * rotateSymmetric(randomHadamard(384, { seed: 1 }), h); // H' for weights rotated by the same Q
 */
export function rotateSymmetric(q: RandomHadamard, h: ArrayLike<number>): Float64Array {
  const n = q.n;
  if (h.length !== n * n) throw new ShapeError(`rotateSymmetric: H must have ${n}x${n} = ${n * n} values for a rotation of ${n}, got ${h.length}`);
  const a = Float32Array.from(h);
  q.applyInPlace(a, false);
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  q.applyInPlace(t, false);
  // Symmetrise: rounding leaves tiny asymmetries that a Cholesky of the upper or lower triangle would see differently.
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 0.5 * (t[i * n + j] + t[j * n + i]);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}
