/**
 * Fused loops of the Llama forward pass over contiguous f32 tensors: embedding gather, RMSNorm,
 * rotary embeddings, SwiGLU (on the `swiglu_f32` kernel), residual add and cross-entropy (the causal
 * softmax is the `causal_softmax_f32` kernel, called by ./attention.ts). Each would be two to five
 * elementwise ops (and as many temporaries the size of the activations) if written with src/ops;
 * here each is one pass over the data. Not the matrix products (src/ops/matmul.ts and the
 * gemm kernel, see ./attention.ts) and not a general elementwise library.
 *
 * Layout everywhere: activations are f32 [T, width] row-major, T = tokens of one window.
 * Views of storage are taken after every allocation (wasm memory growth detaches them).
 */
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { Tensor, empty } from '../tensor.js';
import { kernel } from '../kernels/table.js';
import { tensorRef } from '../kernels/ref.js';

/** The f32 data of a contiguous tensor (a view; valid until the next allocation). */
export function f32View(t: Tensor): Float32Array {
  if (t.dtype !== 'f32' || !t.isContiguous) throw new ShapeError(`expected a contiguous f32 tensor, got ${t.dtype} ${fmtShape(t.shape)}`);
  return t.storage.view(Float32Array, t.offset, t.size);
}

/**
 * Rows of an embedding table [vocab, width] (f32) for `tokens`: f32 [T, width].
 * @throws ValueError for a token outside [0, vocab)
 * @example
 * embed(table, [72, 105]).shape; // [2, width]
 */
export function embed(table: Tensor, tokens: ArrayLike<number>): Tensor {
  const [vocab, width] = table.shape;
  const out = empty([tokens.length, width], 'f32');
  const o = f32View(out);
  const w = f32View(table);
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new ValueError(`token ${id} at position ${t} is outside the vocabulary [0, ${vocab})`);
    o.set(w.subarray(id * width, (id + 1) * width), t * width);
  }
  return out;
}

/**
 * RMSNorm as Hugging Face LlamaRMSNorm computes it: y = g · x / sqrt(mean(x²) + eps), the mean in
 * f32 arithmetic order-independent enough at these widths (summed in f64, rounded once).
 * @example
 * rmsNorm(x, gamma, 1e-5); // f32 [T, width]
 */
export function rmsNorm(x: Tensor, gamma: Tensor, eps: number): Tensor {
  const [T, n] = x.shape;
  if (gamma.size !== n) throw new ShapeError(`rmsNorm: weight ${fmtShape(gamma.shape)} does not match activations ${fmtShape(x.shape)}`);
  const out = empty([T, n], 'f32');
  const o = f32View(out);
  const a = f32View(x);
  const g = f32View(gamma);
  for (let t = 0; t < T; t++) {
    const base = t * n;
    let ss = 0;
    for (let j = 0; j < n; j++) ss += a[base + j] * a[base + j];
    const r = Math.fround(1 / Math.sqrt(Math.fround(ss / n) + eps));
    for (let j = 0; j < n; j++) o[base + j] = g[j] * Math.fround(a[base + j] * r);
  }
  return out;
}

/** cos and sin of the rotary angles, f32 [T, headDim / 2] each. */
export interface RopeTables {
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  readonly half: number;
  readonly length: number;
}

/**
 * Rotary tables for positions 0..T-1 (Su et al. 2021, as Hugging Face's default rope): angle of
 * position p, pair i = p · theta^(-2i / headDim), inverse frequencies and angles rounded to f32 as
 * the reference computes them.
 * @example
 * const rope = ropeTables(512, 64, 10000);
 */
export function ropeTables(T: number, headDim: number, theta: number): RopeTables {
  const half = headDim / 2;
  const cos = new Float32Array(T * half);
  const sin = new Float32Array(T * half);
  for (let i = 0; i < half; i++) {
    const inv = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headDim)));
    for (let p = 0; p < T; p++) {
      const ang = Math.fround(p * inv);
      cos[p * half + i] = Math.cos(ang);
      sin[p * half + i] = Math.sin(ang);
    }
  }
  return { cos, sin, half, length: T };
}

/**
 * Rotates the heads of x f32 [T, heads * headDim] in place (rotate_half convention: element i pairs
 * with i + headDim/2 within a head).
 * @example
 * applyRope(q, rope, 6);
 */
export function applyRope(x: Tensor, rope: RopeTables, heads: number): void {
  const [T, width] = x.shape;
  const half = rope.half;
  if (width !== heads * 2 * half || T > rope.length) {
    throw new ShapeError(`applyRope: activations ${fmtShape(x.shape)} do not fit ${heads} heads of ${2 * half} over ${rope.length} positions`);
  }
  const a = f32View(x);
  const { cos, sin } = rope;
  for (let t = 0; t < T; t++) {
    const cb = t * half;
    for (let h = 0; h < heads; h++) {
      const base = t * width + h * 2 * half;
      for (let i = 0; i < half; i++) {
        const u = a[base + i];
        const v = a[base + half + i];
        const c = cos[cb + i];
        const s = sin[cb + i];
        a[base + i] = u * c - v * s;
        a[base + half + i] = v * c + u * s;
      }
    }
  }
}

/**
 * SwiGLU in place: gate ← silu(gate) · up (f32 tensors of one shape), by the `swiglu_f32` kernel
 * (its exp is src/kernels/js/act.ts `exp32`). Returns `gate`.
 * @example
 * swiglu(g, u); // g now holds g·σ(g)·u
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (gate.size !== up.size) throw new ShapeError(`swiglu: gate ${fmtShape(gate.shape)} and up ${fmtShape(up.shape)} differ`);
  f32View(gate); // throws unless contiguous f32
  f32View(up);
  kernel('swiglu_f32')({ g: tensorRef(gate), u: tensorRef(up), n: gate.size });
  return gate;
}

/**
 * acc += x in place (f32 tensors of one shape). Returns `acc`.
 * @example
 * addInto(h, attnOut);
 */
export function addInto(acc: Tensor, x: Tensor): Tensor {
  if (acc.size !== x.size) throw new ShapeError(`addInto: ${fmtShape(acc.shape)} and ${fmtShape(x.shape)} differ`);
  const a = f32View(acc);
  const b = f32View(x);
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return acc;
}

/**
 * Σ over rows t < count of −log softmax(logits[t])[targets[t]], in f64: the summed cross-entropy in
 * nats. logits f32 [rows >= count, vocab].
 * @example
 * crossEntropySum(logits, bytes.subarray(1), bytes.length - 1);
 */
export function crossEntropySum(logits: Tensor, targets: ArrayLike<number>, count: number): number {
  const [rows, vocab] = logits.shape;
  if (count > rows || count > targets.length) throw new ShapeError(`crossEntropySum: ${count} targets for logits ${fmtShape(logits.shape)}`);
  const z = f32View(logits);
  let total = 0;
  for (let t = 0; t < count; t++) {
    const base = t * vocab;
    let m = -Infinity;
    for (let j = 0; j < vocab; j++) if (z[base + j] > m) m = z[base + j];
    let s = 0;
    for (let j = 0; j < vocab; j++) s += Math.exp(z[base + j] - m);
    const y = targets[t];
    if (!Number.isInteger(y) || y < 0 || y >= vocab) throw new ValueError(`target ${y} at position ${t} is outside the vocabulary [0, ${vocab})`);
    total += m + Math.log(s) - z[base + y];
  }
  return total;
}
