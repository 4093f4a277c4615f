/** ABI of assembly/copy.ts: 2-D copies with a change of element type. */

/** Exports of the copy family. */
export interface CopyExports {
  /** src: f32 (rows, cols) strides (rss, css) → dst: f64 strides (rsd, csd). */
  copy2d_f32_f64(rows: number, cols: number, src: number, rss: number, css: number, dst: number, rsd: number, csd: number): void;
  /** f64 → f32 (round to nearest even). */
  copy2d_f64_f32(rows: number, cols: number, src: number, rss: number, css: number, dst: number, rsd: number, csd: number): void;
  /** f64 → f64. */
  copy2d_f64_f64(rows: number, cols: number, src: number, rss: number, css: number, dst: number, rsd: number, csd: number): void;
}

/** Parameter count of every copy export. */
export const COPY_ARITY = {
  copy2d_f32_f64: 8,
  copy2d_f64_f32: 8,
  copy2d_f64_f64: 8,
} as const satisfies Record<keyof CopyExports, number>;
