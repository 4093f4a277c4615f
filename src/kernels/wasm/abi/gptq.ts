/** ABI of assembly/gptq.ts: GPTQ column steps on a scalar grid (affine or a value table). */

/** Exports of the gptq family. */
export interface GptqExports {
  /** w, e: f64 (nb, rows); u: f64 (nb, nb); grid: f64 (4, rows); codes: u8 (a1 − a0, rows); returns the loss. */
  gptq_affine_f64(rows: number, nb: number, a0: number, a1: number, kEnd: number, w: number, e: number, u: number, grid: number, codes: number, loss: number): number;
  /** As gptq_affine_f64 with grid f64 (3, rows) and table f64 (4, nv); returns the loss. */
  gptq_table_f64(rows: number, nb: number, a0: number, a1: number, kEnd: number, w: number, e: number, u: number, grid: number, table: number, nv: number, codes: number, loss: number): number;
}

/** Parameter count of every gptq export. */
export const GPTQ_ARITY = {
  gptq_affine_f64: 11,
  gptq_table_f64: 13,
} as const satisfies Record<keyof GptqExports, number>;
