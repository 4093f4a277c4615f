/**
 * `quantensor quantize`: sequential post-training quantization of a Llama-family checkpoint
 * (src/models/quantize-model.ts), optional perplexity before and after, the quantized checkpoint
 * written to `--out`, and a report: per-layer error, bits per weight and time on stdout (or one JSON
 * object with `--json`) and as an HTML page with a bar chart of the per-layer error.
 *
 * Not the algorithms (src/quantizers) and not the file formats (src/io).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isQuantDType, QUANT_DTYPES, type QuantDType } from '../dtype/table.js';
import { readConfig } from '../io/checkpoint.js';
import { llamaConfig } from '../models/config.js';
import { PROJECTIONS, type LlamaModel } from '../models/llama.js';
import { LINEAR_GROUPS, QUANT_METHODS, quantizeModel, type LinearReport, type QuantMethod } from '../models/quantize-model.js';
import type { PerplexityResult } from '../models/perplexity.js';
import { loadModel, saveModel, SAVE_FORMATS, type SaveFormat } from '../models/save.js';
import { EXIT, UsageError, intOption, type ParsedArgs } from './args.js';
import { evaluate, EVAL_OPTIONS, formatPerplexity } from './eval.js';
import { THREADS_OPTION, withThreads } from './threads-option.js';
import type { CliIO, Command } from './main.js';
import { Progress } from './progress.js';
import { renderReportHtml } from './report-html.js';

/** Everything `quantize` measured (the `--json` output). */
export interface QuantizeSummary {
  readonly model: string;
  readonly out: string;
  readonly method: QuantMethod;
  readonly dtype: QuantDType;
  readonly groupSize: number | 'channel';
  readonly actOrder: boolean;
  readonly staticGroups: boolean;
  readonly clipSearch: boolean;
  readonly samples: number;
  readonly seqLen: number;
  /** Storage bits per weight over every quantized projection, qparams included. */
  readonly bitsPerWeight: number;
  /** Bytes of the projection weights at 16 bits (as on disk for bf16) and quantized. */
  readonly projectionBytes16: number;
  readonly projectionBytesQuantized: number;
  readonly quantizeSeconds: number;
  readonly before?: PerplexityResult;
  readonly after?: PerplexityResult;
  readonly layers: readonly LinearReport[];
}

function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

function dampOption(args: ParsedArgs): number | undefined {
  const v = stringOption(args, 'damp');
  if (v === undefined) return undefined;
  const f = Number(v);
  if (!Number.isFinite(f) || f <= 0) throw new UsageError(`--damp must be a positive number, got '${v}'`);
  return f;
}

function groupSizeOption(args: ParsedArgs): number | 'channel' {
  const v = stringOption(args, 'group-size');
  if (v === undefined) return 128;
  if (v === 'channel') return 'channel';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--group-size must be a positive integer or 'channel', got '${v}'`);
  return n;
}

function layerName(r: LinearReport): string {
  const group = (Object.keys(LINEAR_GROUPS) as (keyof typeof LINEAR_GROUPS)[]).find((g) => LINEAR_GROUPS[g].includes(r.name));
  return `layers.${r.layer}.${group === 'qkv' || group === 'o' ? 'self_attn' : 'mlp'}.${r.name}_proj`;
}

function projectionElements(model: LlamaModel): number {
  let n = 0;
  for (const l of model.layers) for (const p of PROJECTIONS) n += l[p].shape.reduce((a, b) => a * b, 1);
  return n;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

/** The method and its settings in one line, e.g. `gptq int4 group 128 act-order static-groups`. */
export function describeSettings(s: QuantizeSummary): string {
  // PVQ codes D = 16 columns per record and sizes K from the dtype's bits: no scale groups.
  const grid = s.method === 'pvq' ? `(about ${s.dtype.replace(/\D/g, '')} bits per weight)` : `group ${s.groupSize}`;
  const flags = [s.actOrder && 'act-order', s.staticGroups && 'static-groups', s.clipSearch && 'clip-search'].filter(Boolean);
  return [s.method, s.dtype, grid, ...flags].join(' ');
}

/** The per-layer table and the summary as text. */
export function formatSummary(s: QuantizeSummary): string {
  const lines = [
    `layer                               bits/w   error (${s.layers[0]?.errorKind ?? 'output'})      ms`,
    ...s.layers.map((r) => `${layerName(r).padEnd(34)} ${r.bitsPerWeight.toFixed(3).padStart(7)}   ${r.error.toExponential(3).padStart(14)} ${r.timeMs.toFixed(0).padStart(7)}`),
    '',
    `${describeSettings(s)}, ${s.samples} x ${s.seqLen} calibration tokens`,
    `bits per weight   ${s.bitsPerWeight.toFixed(3)}`,
    `projections       ${mb(s.projectionBytes16)} at 16 bits -> ${mb(s.projectionBytesQuantized)} (${(s.projectionBytes16 / s.projectionBytesQuantized).toFixed(2)}x smaller)`,
    `quantize time     ${s.quantizeSeconds.toFixed(1)} s`,
  ];
  if (s.before) lines.push(`perplexity before ${formatPerplexity(s.before)}`);
  if (s.after) lines.push(`perplexity after  ${formatPerplexity(s.after)}`);
  if (s.before && s.after) lines.push(`change            ${(((s.after.ppl - s.before.ppl) / s.before.ppl) * 100).toFixed(2)}% perplexity`);
  lines.push(`written to        ${s.out}`);
  return lines.join('\n');
}

/** The HTML page of a summary. */
export function summaryHtml(s: QuantizeSummary): string {
  const summary: [string, string][] = [
    ['model', s.model],
    ['method', describeSettings(s)],
    ['calibration', `${s.samples} x ${s.seqLen} tokens`],
    ['bits per weight', s.bitsPerWeight.toFixed(3)],
    ['projection size', `${mb(s.projectionBytes16)} -> ${mb(s.projectionBytesQuantized)}`],
    ['quantize time', `${s.quantizeSeconds.toFixed(1)} s`],
  ];
  if (s.before) summary.push(['perplexity before', formatPerplexity(s.before)]);
  if (s.after) summary.push(['perplexity after', formatPerplexity(s.after)]);
  const kind = s.layers[0]?.errorKind ?? 'output';
  return renderReportHtml({
    title: `quantensor: ${describeSettings(s)} on ${s.model}`,
    summary,
    errorLabel: kind === 'output' ? 'output error: mean over calibration tokens x of ||(W - Q) x||^2' : 'weight error: mean of (w - q)^2',
    layers: s.layers.map((r) => ({ name: layerName(r), error: r.error, bitsPerWeight: r.bitsPerWeight, timeMs: r.timeMs })),
  });
}

/** The `quantize` command. */
export const quantizeCommand: Command = {
  summary: `quantize a Llama-family checkpoint (${QUANT_METHODS.join(', ')}) and write it with a report`,
  usage: '<model-dir>',
  options: {
    method: { type: 'string', value: 'NAME', help: `${QUANT_METHODS.join(' | ')} (default gptq)` },
    dtype: { type: 'string', value: 'DTYPE', help: `quantized dtype (default int4): ${QUANT_DTYPES.join(', ')}` },
    'group-size': { type: 'string', value: 'N', help: "columns per scale group, or 'channel' (default 128)" },
    symmetric: { type: 'boolean', help: 'symmetric grid (no zero points)' },
    'act-order': { type: 'boolean', help: 'GPTQ: quantize columns by decreasing Hessian diagonal' },
    'static-groups': { type: 'boolean', help: 'GPTQ: group scales from the original weights, before error feedback' },
    'clip-search': { type: 'boolean', help: 'rtn, GPTQ: shrink each group range over a grid, keep the smallest error' },
    damp: { type: 'string', value: 'F', help: 'GPTQ: damping as a fraction of the mean Hessian diagonal (default 0.01)' },
    calib: { type: 'string', value: 'FILE', help: 'calibration tokens (default <model-dir>/calib.bin)' },
    samples: { type: 'string', value: 'N', help: 'calibration sequences (default 128)' },
    'seq-len': { type: 'string', value: 'N', help: 'tokens per calibration sequence (default 2048)' },
    out: { type: 'string', value: 'DIR', help: 'where to write the quantized checkpoint (required)' },
    format: { type: 'string', value: 'FMT', help: `${SAVE_FORMATS.join(' | ')} (default quantensor)` },
    'eval-text': { type: 'string', value: 'FILE', help: 'score perplexity on this text before and after' },
    ...EVAL_OPTIONS,
    ...THREADS_OPTION,
    json: { type: 'boolean', help: 'print one JSON object with the figures' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress output' },
  },
  async run(args: ParsedArgs, io: CliIO) {
    if (args.positionals.length !== 1) throw new UsageError(`quantize: expected one model directory, got ${args.positionals.length} arguments`);
    const dir = args.positionals[0];
    const out = stringOption(args, 'out');
    if (out === undefined) throw new UsageError('quantize: --out DIR is required');
    const method = (stringOption(args, 'method') ?? 'gptq') as QuantMethod;
    if (!QUANT_METHODS.includes(method)) throw new UsageError(`--method must be one of ${QUANT_METHODS.join(', ')}, got '${method}'`);
    const dtype = stringOption(args, 'dtype') ?? 'int4';
    if (!isQuantDType(dtype)) throw new UsageError(`--dtype must be one of ${QUANT_DTYPES.join(', ')}, got '${dtype}'`);
    const format = (stringOption(args, 'format') ?? 'quantensor') as SaveFormat;
    if (!SAVE_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${SAVE_FORMATS.join(', ')}, got '${format}'`);
    const groupSize = groupSizeOption(args);
    const samples = intOption(args, 'samples') ?? 128;
    const seqLen = intOption(args, 'seq-len') ?? 2048;
    const windows = intOption(args, 'windows');
    const ctx = intOption(args, 'ctx', 2);
    const evalText = stringOption(args, 'eval-text');
    const quiet = Boolean(args.values.quiet || args.values.json);
    const actOrder = Boolean(args.values['act-order']);
    const staticGroups = Boolean(args.values['static-groups']);
    const clipSearch = Boolean(args.values['clip-search']);
    const percDamp = dampOption(args);

    const calibPath = stringOption(args, 'calib') ?? join(dir, 'calib.bin');
    const calib = method === 'rtn' ? undefined : existsSync(calibPath) ? await readFile(calibPath) : undefined;
    if (method !== 'rtn' && !calib) throw new UsageError(`quantize: ${method} needs calibration text: --calib FILE (no ${calibPath})`);
    // calib.bin holds chunks of 2048 tokens: sequences are the first seqLen tokens of each chunk.
    const chunkSize = calib && seqLen <= 2048 && calib.length >= 2048 ? 2048 : seqLen;
    const nSamples = calib ? Math.min(samples, Math.floor(calib.length / chunkSize)) : 0;
    if (calib && nSamples < 1) throw new UsageError(`quantize: ${calibPath} has ${calib.length} tokens, fewer than one sequence of ${seqLen}`);

    return withThreads(args, async () => {
      // Without a before-score the checkpoint streams: one block's f32 weights are read as it is quantized.
      const fp = evalText ? await loadModel(dir) : undefined;
      const before = fp ? await evaluate(fp, evalText!, { ctx, windows }, process.stderr, quiet) : undefined;
      const { numLayers } = fp?.config ?? llamaConfig(await readConfig(dir));
      const groups = Object.keys(LINEAR_GROUPS).length;
      const progress = new Progress(process.stderr, numLayers * groups, { quiet });
      let done = 0;
      const r = await quantizeModel(fp ?? dir, {
        method,
        dtype,
        groupSize,
        symmetric: Boolean(args.values.symmetric),
        actOrder,
        staticGroups,
        clipSearch,
        percDamp,
        calib,
        chunkSize,
        samples: calib ? nSamples : undefined,
        seqLen: calib ? seqLen : undefined,
        onProgress: (p) => progress.update(++done, `layer ${p.layer + 1}/${p.layers} ${p.group}`),
      });
      progress.done();
      const after = evalText ? await evaluate(r.model, evalText, { ctx, windows }, process.stderr, quiet) : undefined;
      await mkdir(out, { recursive: true });
      await saveModel(r.model, out, { format });
      const elements = projectionElements(r.model);
      const summary: QuantizeSummary = {
        model: dir,
        out,
        method,
        dtype,
        groupSize,
        actOrder,
        staticGroups,
        clipSearch,
        samples: nSamples,
        seqLen: calib ? seqLen : 0,
        bitsPerWeight: r.bitsPerWeight,
        projectionBytes16: elements * 2,
        projectionBytesQuantized: Math.ceil((elements * r.bitsPerWeight) / 8),
        quantizeSeconds: r.timeMs / 1000,
        before,
        after,
        layers: r.reports,
      };
      await writeFile(join(out, 'report.html'), summaryHtml(summary));
      await writeFile(join(out, 'report.json'), JSON.stringify(summary, null, 2));
      io.out(args.values.json ? JSON.stringify(summary) : formatSummary(summary));
      return EXIT.ok;
    });
  },
};
