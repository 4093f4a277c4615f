/**
 * Reference activation kernels of the Llama forward pass, in f32: the definition of
 * `causal_softmax_f32` and `swiglu_f32` (assembly/act.ts) and their fallback without WebAssembly
 * SIMD. Every step is one f32 operation rounded with Math.fround (a double computation of +, −, ×, ÷
 * on f32 operands rounds to the same f32 as the f32 operation), so the WASM kernels give these bits.
 *
 *   exp32(x): k = nearest(x·log2 e) (ties to even), r = x − k·C1 − k·C2 (C1 + C2 = ln 2),
 *     e^r = ((P0 r + P1) r + ... + P5) r² + r + 1 (Cephes' expf coefficients), times 2^k.
 *     Within 2 ulps of e^x on [LO, HI]; 0 below LO (e^x subnormal), +Inf above HI (from 88.37,
 *     where k would need the exponent 128), NaN for NaN.
 *   causal softmax of row i (query position i): m = max of columns 0..min(i, cols − 1) (NaN if one
 *     is NaN), e_j = exp32(s_j − m), sum in four lanes (j mod 4, up to the last multiple of 4) added
 *     as (l0 + l1) + (l2 + l3), then the rest in order; s_j = e_j · (1 / sum); later columns 0.
 *   swiglu: g = (g / (1 + exp32(−g))) · u.
 *
 * Not the model's other fused loops (src/models/fused.ts).
 */
import { roundHalfEven } from '../../dtype/round.js';
import { view, type Ref } from '../ref.js';

const f = Math.fround;
const LOG2E = f(1.44269504088896341);
const C1 = f(0.693359375);
const C2 = f(-2.1219444e-4);
const P = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(f);
const LO = f(-87.33654);
const HI = f(88.37);

/**
 * e^x in f32 as the kernels compute it (x an f32 value).
 * @example
 * exp32(Math.fround(-1)); // 0.3678794503211975 (f32 nearest to e^-1)
 */
export function exp32(x: number): number {
  if (x < LO) return 0;
  if (x > HI) return Infinity;
  const k = roundHalfEven(f(x * LOG2E));
  let r = f(x - f(k * C1));
  r = f(r - f(k * C2));
  let p = f(f(P[0] * r) + P[1]);
  for (let i = 2; i < P.length; i++) p = f(f(p * r) + P[i]);
  p = f(f(f(p * f(r * r)) + r) + 1);
  return f(p * 2 ** k);
}

/** Arguments of `causal_softmax_f32`: rows [r0, r1) of s, row i at s.offset + (i − r0)·rs. */
export interface CausalSoftmaxArgs {
  readonly s: Ref;
  readonly r0: number;
  readonly r1: number;
  readonly cols: number;
  readonly rs: number;
}

/**
 * Causal softmax in place (see the file's definition).
 * @example
 * causalSoftmaxF32({ s: tensorRef(scores), r0: 0, r1: 512, cols: 512, rs: 512 });
 */
export function causalSoftmaxF32(g: CausalSoftmaxArgs): void {
  const S = view(g.s, Float32Array);
  for (let i = g.r0; i < g.r1; i++) {
    const row = g.s.offset + (i - g.r0) * g.rs;
    const n = Math.min(i, g.cols - 1) + 1;
    const n4 = n & ~3;
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, S[row + j]); // NaN-propagating, as f32.max
    const lanes = [0, 0, 0, 0];
    for (let j = 0; j < n4; j++) {
      const e = exp32(f(S[row + j] - m));
      S[row + j] = e;
      lanes[j & 3] = f(lanes[j & 3] + e);
    }
    let sum = f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
    for (let j = n4; j < n; j++) {
      const e = exp32(f(S[row + j] - m));
      S[row + j] = e;
      sum = f(sum + e);
    }
    const inv = f(1 / sum);
    for (let j = 0; j < n; j++) S[row + j] = f(S[row + j] * inv);
    for (let j = n; j < g.cols; j++) S[row + j] = 0;
  }
}

/** Arguments of `swiglu_f32`: g[i] ← silu(g[i]) · u[i] for i < n. */
export interface SwigluArgs {
  readonly g: Ref;
  readonly u: Ref;
  readonly n: number;
}

/**
 * SwiGLU in place (see the file's definition).
 * @example
 * swigluF32({ g: tensorRef(gate), u: tensorRef(up), n: gate.size });
 */
export function swigluF32(a: SwigluArgs): void {
  const G = view(a.g, Float32Array);
  const U = view(a.u, Float32Array);
  for (let i = 0; i < a.n; i++) {
    const x = G[a.g.offset + i];
    G[a.g.offset + i] = f(f(x / f(1 + exp32(-x))) * U[a.u.offset + i]);
  }
}
