/**
 * Benchmark shapes: the cache ladder (sizes that fit L1, L2, L3 and then only main memory) and the
 * model shapes the library is for (a 7B-class Llama layer: hidden 4096, MLP 11008; decode is one
 * token, prefill is 16 and 128 tokens). `--quick` swaps in small shapes that finish in seconds.
 *
 * Not the benchmark cases: the suites (bench/*.bench.ts) pick from these.
 */

/** A matmul shape: Y (m, n) = X (m, k) W (k, n). */
export interface MatShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/**
 * `MxKxN`, the label used in results.
 * @example
 * label({ m: 1, k: 4096, n: 4096 }); // '1x4096x4096'
 */
export const label = (s: MatShape): string => `${s.m}x${s.k}x${s.n}`;

const sq = (n: number): MatShape => ({ m: n, k: n, n });

/** Square GEMM ladder: 128^3 (L1/L2), 512^3 (L2/L3), 1024^3 (L3/DRAM). */
export const GEMM_LADDER = [sq(128), sq(512), sq(1024)] as const;
/** Matrix-vector ladder: the weight grows from 256 KiB (L2) to 64 MiB f32 (DRAM). */
export const GEMV_LADDER = [
  { m: 1, k: 256, n: 256 },
  { m: 1, k: 1024, n: 1024 },
  { m: 1, k: 4096, n: 4096 },
] as const satisfies readonly MatShape[];
/** Llama-7B-class linear layers: decode (one token) and prefill (16 and 128 tokens). */
export const MODEL_SHAPES = {
  decode: { m: 1, k: 4096, n: 4096 },
  decodeMlp: { m: 1, k: 4096, n: 11008 },
  prefill16: { m: 16, k: 4096, n: 4096 },
  prefill128: { m: 128, k: 4096, n: 4096 },
} as const satisfies Record<string, MatShape>;

/** Linear algebra sizes: Cholesky and SPD inverse of n x n, XᵀX of X (rows, cols). */
export const LINALG_SIZES = { spd: [1024, 4096], gram: { rows: 2048, cols: 4096 } } as const;

/** The same families at sizes that run in seconds (`--quick`). */
export const QUICK = {
  gemm: [sq(128), sq(256)],
  gemv: [{ m: 1, k: 512, n: 512 }, { m: 1, k: 1024, n: 1024 }],
  model: { decode: { m: 1, k: 1024, n: 1024 }, decodeMlp: { m: 1, k: 1024, n: 2816 }, prefill16: { m: 16, k: 1024, n: 1024 }, prefill128: { m: 128, k: 1024, n: 1024 } },
  linalg: { spd: [256, 512], gram: { rows: 512, cols: 1024 } },
} as const;
