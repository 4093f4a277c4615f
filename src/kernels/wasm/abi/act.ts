/** ABI of assembly/act.ts: the forward pass's causal softmax and SwiGLU, f32. */

/** Exports of the act family. */
export interface ActExports {
  /** s: f32 rows [r0, r1), row i at s + 4 (i − r0) rs, columns [0, cols), in place. */
  causal_softmax_f32(s: number, r0: number, r1: number, cols: number, rs: number): void;
  /** g, u: f32 [n]; g ← g / (1 + exp(−g)) · u in place. */
  swiglu_f32(g: number, u: number, n: number): void;
}

/** Parameter count of every act export. */
export const ACT_ARITY = {
  causal_softmax_f32: 5,
  swiglu_f32: 3,
} as const satisfies Record<keyof ActExports, number>;
