/**
 * `quantensor eval`: perplexity of a Llama-family checkpoint (bf16/f16/f32 or quantized) over a text
 * file, in non-overlapping windows (the protocol of DESIGN.md). Bytes are tokens (the byte-level
 * models this release evaluates). Not the quantize command, which calls `evaluate` before and after.
 */
import { readFile } from 'node:fs/promises';
import { loadModel } from '../models/save.js';
import { perplexity, type CausalLM, type PerplexityResult } from '../models/perplexity.js';
import { EXIT, UsageError, intOption, type ParsedArgs } from './args.js';
import { THREADS_OPTION, withThreads } from './threads-option.js';
import type { CliIO, Command } from './main.js';
import { Progress, type ProgressSink } from './progress.js';

/** Window options shared by `eval` and `quantize --eval-text`. */
export const EVAL_OPTIONS = {
  ctx: { type: 'string', value: 'N', help: 'tokens per window (default 512)' },
  windows: { type: 'string', value: 'N', help: 'score only the first N windows (default: the whole text)' },
} as const;

/**
 * Scores `model` on the bytes of `textPath` with a progress line on `sink`.
 * @example
 * const r = await evaluate(model, 'test.txt', { ctx: 512, windows: 8 }, process.stderr, false);
 */
export async function evaluate(model: CausalLM, textPath: string, o: { ctx?: number; windows?: number }, sink: ProgressSink, quiet: boolean): Promise<PerplexityResult> {
  const text = await readFile(textPath);
  const ctx = o.ctx ?? 512;
  const total = Math.min(Math.ceil(text.length / ctx), o.windows ?? Infinity);
  const p = new Progress(sink, total, { quiet });
  try {
    return perplexity(model, text, { ctx, maxWindows: o.windows, onProgress: (d, t) => p.update(d, `eval window ${d}/${t}`) });
  } finally {
    p.done();
  }
}

/** One line for a perplexity result. */
export function formatPerplexity(r: PerplexityResult): string {
  return `${r.nats.toFixed(4)} nats/token, ppl ${r.ppl.toFixed(3)} (${r.tokens} tokens, ${r.windows} windows, ${(r.timeMs / 1000).toFixed(1)} s)`;
}

/** The `eval` command. */
export const evalCommand: Command = {
  summary: 'perplexity of a model over a text file (non-overlapping windows)',
  usage: '<model-dir>',
  options: {
    text: { type: 'string', value: 'FILE', help: 'text to score (required)' },
    ...EVAL_OPTIONS,
    ...THREADS_OPTION,
    json: { type: 'boolean', help: 'print one JSON object with the figures' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress output' },
  },
  async run(args: ParsedArgs, io: CliIO) {
    if (args.positionals.length !== 1) throw new UsageError(`eval: expected one model directory, got ${args.positionals.length} arguments`);
    const textPath = args.values.text;
    if (typeof textPath !== 'string') throw new UsageError('eval: --text FILE is required');
    const ctx = intOption(args, 'ctx', 2);
    const windows = intOption(args, 'windows');
    return withThreads(args, async () => {
      const model = await loadModel(args.positionals[0]);
      const r = await evaluate(model, textPath, { ctx, windows }, process.stderr, Boolean(args.values.quiet || args.values.json));
      io.out(args.values.json ? JSON.stringify({ model: args.positionals[0], text: textPath, ctx: ctx ?? 512, ...r }) : `${args.positionals[0]}: ${formatPerplexity(r)}`);
      return EXIT.ok;
    });
  },
};
