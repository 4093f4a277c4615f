/**
 * Perplexity of a causal language model over a token sequence, by non-overlapping windows (the
 * protocol of DESIGN.md "Real data": windows of `ctx` tokens, each scored from its own start, every
 * position but the first of a window predicted, the mean cross-entropy over all predictions).
 * Not a sliding-window (strided) evaluation: context does not carry over between windows.
 */
import { ValueError, checkOptions, describeValue } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { crossEntropySum } from './fused.js';

/** Anything that maps a window of tokens to logits f32 [T, vocab]. */
export interface CausalLM {
  forward(tokens: ArrayLike<number>): Tensor;
}

/** Options of `perplexity`. */
export interface PerplexityOptions {
  /** Tokens per window (default 512). */
  readonly ctx?: number;
  /** First window to score (default 0). */
  readonly startWindow?: number;
  /** Score at most this many windows (default: all). */
  readonly maxWindows?: number;
  /** Called after each window with (windows done, windows total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The result of `perplexity`. */
export interface PerplexityResult {
  /** Mean cross-entropy in nats per predicted token. */
  readonly nats: number;
  /** exp(nats). */
  readonly ppl: number;
  /** nats / ln 2. */
  readonly bitsPerToken: number;
  /** Predicted tokens (each window of n tokens predicts n - 1). */
  readonly tokens: number;
  /** Windows scored. */
  readonly windows: number;
  /** Wall time in milliseconds. */
  readonly timeMs: number;
}

/**
 * Scores `tokens` (for the byte-level model: the bytes of a text) in non-overlapping windows of
 * `ctx`. A last partial window is scored too when it has at least 2 tokens.
 * @throws ValueError for a bad ctx or a sequence with nothing to predict
 * @example
 * const r = perplexity(model, readFileSync('test.txt'), { ctx: 512, maxWindows: 8 });
 * r.nats; r.ppl;
 */
export function perplexity(model: CausalLM, tokens: ArrayLike<number>, opts: PerplexityOptions = {}): PerplexityResult {
  if (typeof (model as Partial<CausalLM> | null | undefined)?.forward !== 'function') {
    throw new ValueError(`perplexity: the model must have a forward(tokens) method (a LlamaModel), got ${describeValue(model)}`);
  }
  if (typeof tokens !== 'object' || tokens === null || typeof tokens.length !== 'number') {
    throw new ValueError(`perplexity: tokens must be an array or typed array of token ids, got ${describeValue(tokens)}`);
  }
  checkOptions('perplexity', opts);
  const ctx = opts.ctx ?? 512;
  if (!Number.isInteger(ctx) || ctx < 2) throw new ValueError(`ctx must be an integer >= 2, got ${ctx}`);
  const all = Math.ceil(tokens.length / ctx);
  const start = opts.startWindow ?? 0;
  if (!Number.isInteger(start) || start < 0) throw new ValueError(`startWindow must be a non-negative integer, got ${start}`);
  const end = Math.min(all, opts.maxWindows === undefined ? all : start + opts.maxWindows);
  const t0 = performance.now();
  let total = 0;
  let count = 0;
  let windows = 0;
  const arr = ArrayBuffer.isView(tokens) ? (tokens as unknown as Uint8Array) : Array.from(tokens);
  for (let w = start; w < end; w++) {
    const win = arr.slice(w * ctx, Math.min(tokens.length, (w + 1) * ctx));
    if (win.length < 2) continue;
    const logits = model.forward(win);
    try {
      total += crossEntropySum(logits, win.slice(1), win.length - 1);
    } finally {
      logits.dispose();
    }
    count += win.length - 1;
    windows++;
    opts.onProgress?.(w - start + 1, end - start);
  }
  if (count === 0) throw new ValueError(`nothing to score: ${tokens.length} tokens, windows [${start}, ${end}) of ${ctx}`);
  const nats = total / count;
  return { nats, ppl: Math.exp(nats), bitsPerToken: nats / Math.LN2, tokens: count, windows, timeMs: performance.now() - t0 };
}
