/**
 * Causal grouped-query attention over one window, on the f32 GEMM kernel (src/kernels, the engine
 * behind `matmul`) and the `causal_softmax_f32` kernel, with strided refs, so heads are read in
 * place from the projected q, k, v [T, heads * headDim] and written in place into the output: no
 * per-head copies. Query rows are processed in blocks of ATTN_BLOCK so that a block only multiplies
 * the keys it may see (positions < its end), which skips most of the masked upper triangle (about
 * 44% of the work at T = 512).
 *
 * Not the projections (./llama.ts runs them through `linear`) and not a KV cache: the forward pass
 * scores whole windows.
 */
import { ShapeError, fmtShape } from '../errors.js';
import { kernel } from '../kernels/table.js';
import { Tensor, empty } from '../tensor.js';
import { f32View } from './fused.js';

/** Query rows per block of the causal schedule. */
export const ATTN_BLOCK = 64;

/**
 * softmax(q kᵀ / sqrt(headDim) + causal mask) v for every query head; query head h reads key/value
 * head floor(h / (heads / kvHeads)). q f32 [T, heads·headDim], k and v f32 [T, kvHeads·headDim]
 * (contiguous, RoPE already applied). Returns f32 [T, heads·headDim].
 * @example
 * const a = causalAttention(q, k, v, 6, 2); // [T, 384] for 6 heads of 64 over 2 kv heads
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, kvHeads: number): Tensor {
  const [T, qw] = q.shape;
  const hd = qw / heads;
  const kw = kvHeads * hd;
  if (!Number.isInteger(hd) || k.shape[0] !== T || k.shape[1] !== kw || v.shape[0] !== T || v.shape[1] !== kw || heads % kvHeads !== 0) {
    throw new ShapeError(`causalAttention: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)} do not fit ${heads} heads over ${kvHeads} kv heads`);
  }
  for (const t of [q, k, v]) f32View(t); // throws unless contiguous f32
  const out = empty([T, qw], 'f32');
  const scores = empty([Math.min(ATTN_BLOCK, T), T], 'f32');
  const gemm = kernel('gemm_f32');
  const softmax = kernel('causal_softmax_f32');
  const scale = 1 / Math.sqrt(hd);
  const rep = heads / kvHeads;
  try {
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / rep);
      for (let r0 = 0; r0 < T; r0 += ATTN_BLOCK) {
        const r1 = Math.min(T, r0 + ATTN_BLOCK);
        const m = r1 - r0;
        // S (m x r1) = scale · Q[r0:r1, head h] · K[0:r1, head g]ᵀ
        gemm({
          m, n: r1, k: hd, alpha: scale,
          a: { storage: q.storage, offset: q.offset + r0 * qw + h * hd }, rsa: qw, csa: 1,
          b: { storage: k.storage, offset: k.offset + g * hd }, rsb: 1, csb: kw,
          beta: 0, c: { storage: scores.storage, offset: 0 }, rsc: r1, csc: 1,
        });
        softmax({ s: { storage: scores.storage, offset: 0 }, r0, r1, cols: r1, rs: r1 });
        // O[r0:r1, head h] = P (m x r1) · V[0:r1, head g]
        gemm({
          m, n: hd, k: r1, alpha: 1,
          a: { storage: scores.storage, offset: 0 }, rsa: r1, csa: 1,
          b: { storage: v.storage, offset: v.offset + g * hd }, rsb: kw, csb: 1,
          beta: 0, c: { storage: out.storage, offset: r0 * qw + h * hd }, rsc: qw, csc: 1,
        });
      }
    }
  } finally {
    scores.dispose();
  }
  return out;
}
