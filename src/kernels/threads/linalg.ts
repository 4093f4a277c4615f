/**
 * The blocked linear algebra of assembly/inline/linalg-core.ts replayed from TS over threads, with
 * the same block boundaries and the same kernel calls per block, so results are bit-identical to
 * the single exports (`syrk_*`, `cholesky_*`, `tri_inv_*`, `cholesky_inverse_*`) for any thread
 * count. The O(n^3) parts are split:
 * - syrk: by row ranges of about equal triangle area (rows of 8), each one `syrk_rows` call (its
 *   rows of the lower triangle, then their mirror above the diagonal). With a triangular A (the
 *   cholesky inverse's W^T W) by block rows (NB = 128 rows) instead: block row r is one gemm left
 *   of the diagonal block plus the diagonal block, as syrkLower's triA path runs them.
 * - cholesky (potrf): per NB block column, the diagonal block is factored on the calling thread
 *   (cholesky export on jb x jb: potf2), the panel solve (trsm) is split by right-hand sides, and
 *   the trailing update is the threaded syrk.
 * - triangular inverse (trtri): column blocks are independent solves, grouped by work.
 * - cholesky inverse: the three above, then W^T W with the depth trimmed per block row (triA).
 * The O(n^2) passes (mirroring a triangle, zeroing one, an identity) run in JS on the calling thread.
 *
 * Why each split is exact: every element is produced by the same sequence of gemm micro-kernel
 * steps or substitution steps whichever range holds it (gemm is invariant to row and column
 * splits; a trsm's right-hand sides never interact). Only the block size NB of linalg-core.ts must
 * match `NB` here; the thread tests compare 1, 2 and 3 threads bit for bit on sizes crossing it.
 *
 * Not the kernels' meaning (src/kernels/js/linalg.ts) and not the single-thread wrappers
 * (src/kernels/wasm/linalg.ts, which call these when threads are on).
 */
import type { WasmRuntime } from '../wasm/runtime.js';
import type { WasmCall } from './pool.js';

/** Block size of assembly/inline/linalg-core.ts (`NB`): potrf, syrk and trtri blocks start at its multiples. */
export const NB = 128;

/**
 * What the threaded routines need: the runtime, the element size, and one scratch block per item
 * of a dispatch (`scratch.length` items at most; linalg_scratch of the largest dimension: enough for
 * any gemm, trsm or syrk call here), reused by every dispatch of one top-level call (dispatches run
 * one after another, and one item runs on one thread at a time).
 */
export interface ThreadedCtx {
  readonly rt: WasmRuntime;
  readonly bpe: 4 | 8;
  readonly scratch: readonly number[];
  /** Bytes of each scratch block (linalg_scratch of the largest dimension). */
  readonly scratchBytes: number;
  readonly run: (tasks: readonly (readonly WasmCall[])[]) => void;
}

/**
 * A context splitting work into at most `items` items per dispatch, for calls with dimensions <=
 * maxDim; `alloc` allocates scratch that stays valid until the kernel returns (Marshal.scratch).
 * @example
 * const ctx = threadedCtx(rt, 4, 2 * getThreads(), n, (b) => mm.scratch(b), runParallel);
 */
export function threadedCtx(
  rt: WasmRuntime,
  bpe: 4 | 8,
  items: number,
  maxDim: number,
  alloc: (bytes: number) => number,
  run: ThreadedCtx['run'],
): ThreadedCtx {
  const d = Math.max(NB, maxDim, 1);
  const bytes = bpe === 4 ? rt.exports.linalg_scratch_f32(d) : rt.exports.linalg_scratch_f64(d);
  return { rt, bpe, run, scratchBytes: bytes, scratch: Array.from({ length: Math.max(1, items) }, () => alloc(bytes)) };
}

/** A strided matrix in the wasm memory: byte pointer, row and column strides in elements. */
export interface Mat {
  readonly p: number;
  readonly rs: number;
  readonly cs: number;
}

const f = (ctx: ThreadedCtx, base: 'gemm' | 'syrk' | 'trsm' | 'cholesky' | 'tri_inv'): WasmCall['fn'] =>
  `${base}_${ctx.bpe === 4 ? 'f32' : 'f64'}` as WasmCall['fn'];

/** Byte address of element (i, j). */
const at = (ctx: ThreadedCtx, m: Mat, i: number, j: number): number => m.p + (i * m.rs + j * m.cs) * ctx.bpe;

function floatView(ctx: ThreadedCtx): Float32Array | Float64Array {
  return ctx.bpe === 4 ? new Float32Array(ctx.rt.memory.buffer) : new Float64Array(ctx.rt.memory.buffer);
}

/**
 * Splits items 0..weights.length into at most `parts` contiguous groups of about equal total weight
 * (every group non-empty).
 * @example
 * partitionByWeight([1, 1, 1, 3], 2); // [[0, 3], [3, 4]]
 */
export function partitionByWeight(weights: readonly number[], parts: number): [number, number][] {
  const total = weights.reduce((s, w) => s + w, 0);
  const out: [number, number][] = [];
  let start = 0;
  let acc = 0;
  for (let g = 0; g < parts && start < weights.length; g++) {
    const target = (total * (g + 1)) / parts;
    let end = start;
    do acc += weights[end++];
    while (end < weights.length && (g === parts - 1 || acc + weights[end] / 2 <= target));
    out.push([start, end]);
    start = end;
  }
  return out;
}

/** C[j][i] = C[i][j] for row i in [from, n) and column j < min(i, limit(i)): the strict lower onto the upper. */
function mirrorJs(ctx: ThreadedCtx, c: Mat, n: number, colLimit: (i: number) => number): void {
  const C = floatView(ctx);
  const base = c.p / ctx.bpe;
  for (let i = 1; i < n; i++) {
    const lim = Math.min(i, colLimit(i));
    const ri = base + i * c.rs;
    for (let j = 0; j < lim; j++) C[base + j * c.rs + i * c.cs] = C[ri + j * c.cs];
  }
}

/** Zeros over the strict upper triangle of the n x n matrix. */
function zeroStrictUpperJs(ctx: ThreadedCtx, a: Mat, n: number): void {
  const A = floatView(ctx);
  const base = a.p / ctx.bpe;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[base + i * a.rs + j * a.cs] = 0;
}

/** Arguments of `syrkThreaded`: C (n x n, lower) = alpha A A^T + beta C with A n x k. */
export interface SyrkJob {
  readonly n: number;
  readonly k: number;
  readonly alpha: number;
  readonly a: Mat;
  readonly beta: number;
  readonly c: Mat;
  /** A is upper triangular (linalg-core's triA): block row i0 only reads depth [i0, k). */
  readonly triA: boolean;
  /** Copy the strict lower triangle above the diagonal afterwards (default true; potrf's trailing update does not need it). */
  readonly mirror?: boolean;
}

/** Rows per granule of the plain syrk split (the micro-tile width: ranges start on whole tiles). */
const SYRK_ROWS = 8;

/** syrk over threads by row ranges of about equal triangle area (`syrk_rows` per range). */
function syrkRowsThreaded(ctx: ThreadedCtx, job: SyrkJob): void {
  const { n, k, alpha, a, beta, c } = job;
  const mirror = job.mirror ?? true;
  const weights: number[] = [];
  for (let r0 = 0; r0 < n; r0 += SYRK_ROWS) {
    const r1 = Math.min(n, r0 + SYRK_ROWS);
    // Row i costs (i + 1) k multiply-adds, plus packing its share of B (~k per row) and the mirror.
    weights.push((r1 - r0) * ((r0 + r1 + 1) / 2 + 8) * Math.max(1, k));
  }
  const fn = (ctx.bpe === 4 ? 'syrk_rows_f32' : 'syrk_rows_f64') as WasmCall['fn'];
  const groups = partitionByWeight(weights, ctx.scratch.length);
  ctx.run(
    groups.map(([g0, g1], g) => [
      {
        fn,
        args: [n, k, g0 * SYRK_ROWS, Math.min(n, g1 * SYRK_ROWS), alpha, a.p, a.rs, a.cs, beta, c.p, c.rs, c.cs, mirror ? 1 : 0, ctx.scratch[g]],
      },
    ]),
  );
}

/**
 * syrkLower over threads, then (unless `mirror: false`) the mirror, as the syrk export does. With
 * triA by block rows: the diagonal blocks are mirrored by the syrk export, the blocks left of them
 * here.
 * @example
 * syrkThreaded(ctx, { n, k, alpha: 1, a: { p: a, rs: k, cs: 1 }, beta: 0, c: { p: c, rs: n, cs: 1 }, triA: false });
 */
export function syrkThreaded(ctx: ThreadedCtx, job: SyrkJob): void {
  if (!job.triA) {
    syrkRowsThreaded(ctx, job);
    return;
  }
  const { n, k, alpha, a, beta, c, triA } = job;
  const blocks = Math.ceil(n / NB);
  const weights: number[] = [];
  for (let r = 0; r < blocks; r++) {
    const i0 = r * NB;
    const ib = Math.min(NB, n - i0);
    weights.push(ib * (i0 + ib / 2) * Math.max(1, triA ? k - i0 : k));
  }
  const groups = partitionByWeight(weights, ctx.scratch.length);
  const tasks = groups.map(([r0, r1], g) => {
    const s = ctx.scratch[g];
    const calls: WasmCall[] = [];
    for (let r = r0; r < r1; r++) {
      const i0 = r * NB;
      const ib = Math.min(NB, n - i0);
      const k0 = triA ? i0 : 0;
      const kk = k - k0;
      const ai = at(ctx, a, i0, k0);
      if (i0 > 0) {
        // B = A^T restricted to columns [0, i0): element (p, j) = A[j][k0 + p].
        calls.push({ fn: f(ctx, 'gemm'), args: [ib, i0, kk, alpha, ai, a.rs, a.cs, at(ctx, a, 0, k0), a.cs, a.rs, beta, at(ctx, c, i0, 0), c.rs, c.cs, s] });
      }
      calls.push({ fn: f(ctx, 'syrk'), args: [ib, kk, alpha, ai, a.rs, a.cs, beta, at(ctx, c, i0, i0), c.rs, c.cs, s] });
    }
    return calls;
  });
  ctx.run(tasks);
  mirrorJs(ctx, c, n, (i) => Math.floor(i / NB) * NB);
}

/**
 * The triangular solves of trtri / potrf as one dispatch: `solves[i]` is a trsm argument list
 * (without scratch); they are grouped contiguously by `weights` into items, each with its scratch.
 */
function trsmBatch(ctx: ThreadedCtx, solves: readonly number[][], weights: readonly number[]): void {
  const groups = partitionByWeight(weights, ctx.scratch.length);
  ctx.run(groups.map(([g0, g1], g) => solves.slice(g0, g1).map((args) => ({ fn: f(ctx, 'trsm'), args: [...args, ctx.scratch[g]] }))));
}

/**
 * choleskyLower over threads: returns 0 or the failing leading minor (1-based). Outside the
 * diagonal blocks the strict upper triangle is not written (trailing updates skip the mirror), as
 * choleskyLower leaves it for cholesky_inverse; `choleskyThreaded` adds the export's final passes.
 * @example
 * const info = choleskyLowerThreaded(ctx, n, { p: a, rs: n, cs: 1 });
 */
export function choleskyLowerThreaded(ctx: ThreadedCtx, n: number, a: Mat): number {
  const s0 = ctx.scratch[0];
  const ex = ctx.rt.exports;
  const potf2 = ctx.bpe === 4 ? ex.cholesky_f32 : ex.cholesky_f64;
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = Math.min(NB, n - j0);
    const a11 = at(ctx, a, j0, j0);
    // The cholesky export on one block is potf2 (plus zeros over the block's strict upper triangle,
    // which the blocked algorithm never reads).
    const info = potf2(jb, a11, a.rs, a.cs, 0, s0);
    if (info !== 0) return j0 + info;
    const r = n - j0 - jb;
    if (r === 0) continue;
    const a21: Mat = { p: at(ctx, a, j0 + jb, j0), rs: a.rs, cs: a.cs };
    // X L11^T = A21  <=>  L11 X^T = A21^T: a left solve on the transposed panel, its right-hand
    // sides (rows of A21) split over the threads.
    const parts = Math.min(ctx.scratch.length, Math.max(1, Math.floor(r / 16)));
    const solves: number[][] = [];
    const weights: number[] = [];
    for (let t = 0; t < parts; t++) {
      const c0 = Math.floor((r * t) / parts);
      const c1 = Math.floor((r * (t + 1)) / parts);
      if (c1 === c0) continue;
      solves.push([0, 0, 0, 0, jb, c1 - c0, 1, a11, a.rs, a.cs, a21.p + c0 * a.rs * ctx.bpe, a.cs, a.rs]);
      weights.push(c1 - c0);
    }
    trsmBatch(ctx, solves, weights);
    syrkThreaded(ctx, { n: r, k: jb, alpha: -1, a: a21, beta: 1, c: { p: at(ctx, a, j0 + jb, j0 + jb), rs: a.rs, cs: a.cs }, triA: false, mirror: false });
  }
  return 0;
}

/**
 * The cholesky export over threads (lower, or upper through the same mirroring as the export):
 * returns 0 or the failing leading minor.
 * @example
 * const info = choleskyThreaded(ctx, n, { p: a, rs: n, cs: 1 }, false);
 */
export function choleskyThreaded(ctx: ThreadedCtx, n: number, a: Mat, upper: boolean): number {
  const swapped: Mat = { p: a.p, rs: a.cs, cs: a.rs };
  if (upper) mirrorJs(ctx, swapped, n, (i) => i);
  const info = choleskyLowerThreaded(ctx, n, a);
  if (upper) {
    mirrorJs(ctx, a, n, (i) => i);
    zeroStrictUpperJs(ctx, swapped, n);
  } else {
    zeroStrictUpperJs(ctx, a, n);
  }
  return info;
}

/**
 * The tri_inv export over threads. Upper: X = T^-1 by independent column-block solves. Lower: the
 * left-looking blocks of triInvLower, in two dispatches: every diagonal block X_ii = L_ii^-1 (the
 * export on the block), then the block columns, each one item of gemm pairs through an NB x NB tile
 * at the end of the item's scratch (past what gemm uses, as the export's own tile).
 * @example
 * triInvThreaded(ctx, n, { p: t, rs: n, cs: 1 }, false, false, { p: x, rs: n, cs: 1 });
 */
export function triInvThreaded(ctx: ThreadedCtx, n: number, t: Mat, upper: boolean, unit: boolean, x: Mat): void {
  const X = floatView(ctx);
  const base = x.p / ctx.bpe;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) X[base + i * x.rs + j * x.cs] = i === j ? 1 : 0;
  if (!upper) {
    triInvLowerThreaded(ctx, n, t, unit, x);
    return;
  }
  const solves: number[][] = [];
  const weights: number[] = [];
  for (let j0 = 0; j0 < n; j0 += NB) {
    const jb = Math.min(NB, n - j0);
    // trsmUpper(j0 + jb, jb, U, X[0, j0])
    solves.push([0, 1, 0, unit ? 1 : 0, j0 + jb, jb, 1, t.p, t.rs, t.cs, at(ctx, x, 0, j0), x.rs, x.cs]);
    weights.push((j0 + jb) * (j0 + jb) * jb);
  }
  trsmBatch(ctx, solves, weights);
}

/** Lower triangular inverse over threads (X already holds the identity); see triInvThreaded. */
function triInvLowerThreaded(ctx: ThreadedCtx, n: number, l: Mat, unit: boolean, x: Mat): void {
  const parts = ctx.scratch.length;
  const blocks: number[] = [];
  for (let j0 = 0; j0 < n; j0 += NB) blocks.push(j0);
  const diag = partitionByWeight(blocks.map(() => 1), parts);
  ctx.run(
    diag.map(([b0, b1], g) =>
      blocks.slice(b0, b1).map((j0) => {
        const jb = Math.min(NB, n - j0);
        return { fn: f(ctx, 'tri_inv'), args: [jb, at(ctx, l, j0, j0), l.rs, l.cs, 0, unit ? 1 : 0, at(ctx, x, j0, j0), x.rs, x.cs, ctx.scratch[g]] };
      }),
    ),
  );
  const cols = partitionByWeight(blocks.map((j0) => Math.max(1, (n - j0 - NB) * (n - j0 - NB))), parts);
  // The NB x NB tile in the last bytes of the item's scratch, as linalg-core's ownTile places it.
  const tileOf = (g: number): number => (ctx.scratch[g] + ctx.scratchBytes - NB * NB * ctx.bpe - 16) & ~15;
  const gemm = f(ctx, 'gemm');
  ctx.run(
    cols.map(([b0, b1], g) => {
      const tile = tileOf(g);
      const calls: WasmCall[] = [];
      for (const j0 of blocks.slice(b0, b1)) {
        const jb = Math.min(NB, n - j0);
        for (let i0 = j0 + NB; i0 < n; i0 += NB) {
          const ib = Math.min(NB, n - i0);
          // tile = L[i, j:i] X[j:i, j]; X_ij = -X_ii tile
          calls.push({ fn: gemm, args: [ib, jb, i0 - j0, 1, at(ctx, l, i0, j0), l.rs, l.cs, at(ctx, x, j0, j0), x.rs, x.cs, 0, tile, NB, 1, ctx.scratch[g]] });
          calls.push({ fn: gemm, args: [ib, jb, ib, -1, at(ctx, x, i0, i0), x.rs, x.cs, tile, NB, 1, 0, at(ctx, x, i0, j0), x.rs, x.cs, ctx.scratch[g]] });
        }
      }
      return calls;
    }),
  );
}

/**
 * The cholesky_inverse export over threads: L = chol(A), W = L^-1 (into `w`), A^-1 = W^T W
 * (syrk on W^T with the depth trimmed per block row), mirrored. Returns 0 or the failing minor.
 * @example
 * const info = choleskyInverseThreaded(ctx, n, { p: a, rs: n, cs: 1 }, { p: w, rs: n, cs: 1 });
 */
export function choleskyInverseThreaded(ctx: ThreadedCtx, n: number, a: Mat, w: Mat): number {
  const info = choleskyLowerThreaded(ctx, n, a);
  if (info !== 0) return info;
  triInvThreaded(ctx, n, a, false, false, w);
  syrkThreaded(ctx, { n, k: n, alpha: 1, a: { p: w.p, rs: w.cs, cs: w.rs }, beta: 0, c: a, triA: true });
  return 0;
}
