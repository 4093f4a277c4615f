/**
 * Library names of our own rows, shared by the runner (bench/run.ts) and the report (bench/report.ts).
 * Importing bench/run.ts would run it, so the names live here.
 */

/** Our rows measured on the opt-in relaxed-SIMD build (`npm run bench -- --relaxed-simd`). */
export const RELAXED_LIB = 'quantensor-relaxed';
