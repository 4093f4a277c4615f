/** ABI of assembly/gptq.ts: GPTQ column steps on an affine grid. */

/** Exports of the gptq family. */
export interface GptqExports {
  /** w, e: f64 (nb, rows); u: f64 (nb, nb); grid: f64 (4, rows); codes: u8 (a1 − a0, rows); returns the loss. */
  gptq_affine_f64(rows: number, nb: number, a0: number, a1: number, kEnd: number, w: number, e: number, u: number, grid: number, codes: number, loss: number): number;
}

/** Parameter count of every gptq export. */
export const GPTQ_ARITY = {
  gptq_affine_f64: 11,
} as const satisfies Record<keyof GptqExports, number>;
