/**
 * The tables of docs/results.md:
 * 1. tiny-llama-bytes quantized by each method at W4 g128, W3 g128 and W2 g64, with perplexity on a
 *    fixed subset of test.txt, storage bits per weight of the projections and wall time of the
 *    quantization (`--part llama`);
 * 2. the charRNN LSTMs of ../shared/models/charrnn in fp32 and RTN/GPTQ int4/int3 g128, bits per
 *    character on held-out text (`--part charrnn`).
 *
 *   npx tsx scripts/results.ts [--part llama|charrnn|all|render] [--methods rtn,gptq,...]
 *     [--configs W4g128,W3g128,W2g64] [--windows 8] [--samples 8] [--seqlen 256]
 *
 * Measured rows are kept in docs/results.json (one row per method × config, or model × method × dtype;
 * a re-run replaces its rows and keeps the others). After every row the file is re-read, the row
 * merged in and docs/results.md regenerated (both atomically), so an interrupted run keeps what it
 * measured and parts (e.g. --part charrnn, --methods awq) can run in separate processes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ready } from '../src/kernels/backend.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { loadLlama } from '../src/models/load.js';
import { perplexity } from '../src/models/perplexity.js';
import { QUANT_METHODS, quantizeModel, type QuantMethod, type QuantizeModelOptions } from '../src/models/quantize-model.js';
import { charRnnBitsPerChar, loadCharRnn } from '../src/models/charrnn.js';
import { quantizeCharRnn } from '../src/models/charrnn-quant.js';
import type { QuantDType } from '../src/dtype/table.js';

const DIR = 'test/fixtures/tiny-llama-bytes';
const CHARRNN = '../shared/models/charrnn';
const JSON_PATH = 'docs/results.json';
const MD_PATH = 'docs/results.md';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const part = arg('part', 'all');
const windows = Number(arg('windows', '8'));
const samples = Number(arg('samples', '8'));
const seqLen = Number(arg('seqlen', '256'));
const ALL_CONFIGS: { label: string; dtype: QuantDType; groupSize: number }[] = [
  { label: 'W4 g128', dtype: 'int4', groupSize: 128 },
  { label: 'W3 g128', dtype: 'int3', groupSize: 128 },
  { label: 'W2 g64', dtype: 'int2', groupSize: 64 },
];
const wanted = arg('configs', 'W4g128,W3g128,W2g64').split(',');
const CONFIGS = ALL_CONFIGS.filter((c) => wanted.includes(c.label.replace(' ', '')));

/**
 * The rows of the table: each method (the row label is the method) with the settings a user would
 * pick (docs/results.md's notes explain them), plus two ablations labelled apart. GPTQ-based methods:
 * act-order with static groups and the clip search for each group's scales; RTN gets the same clip
 * search, so the two differ only by the error feedback. AWQ: a 10-point α grid instead of 20 to halve
 * its scale search on this shared machine. Ablations: RTN with min-max groups, and GPTQ as the
 * reference runs it by default (min-max, dynamic groups, no act-order, damping 0.01).
 */
const VARIANTS: { label: string; method: QuantMethod; opts: Partial<QuantizeModelOptions>; note: string }[] = [
  { label: 'rtn', method: 'rtn', opts: { clipSearch: true }, note: 'clip search' },
  { label: 'gptq', method: 'gptq', opts: { clipSearch: true, actOrder: true, staticGroups: true }, note: 'act-order, static groups, clip search' },
  { label: 'awq', method: 'awq', opts: { awqGrid: 10 }, note: 'α grid 10, clip search' },
  { label: 'awq+gptq', method: 'awq+gptq', opts: { awqGrid: 10, clipSearch: true, actOrder: true, staticGroups: true }, note: 'α grid 10; GPTQ as above' },
  { label: 'pvq', method: 'pvq', opts: {}, note: 'pvqGptq, dim 16, budget = int bits' },
  { label: 'vq', method: 'vq', opts: {}, note: 'GPTVQ 2-d, 2·bits-bit index' },
  { label: 'rtn min-max', method: 'rtn', opts: {}, note: 'ablation: no clip search' },
  { label: 'gptq ref-default', method: 'gptq', opts: {}, note: 'ablation: min-max, dynamic groups, no act-order' },
  // Single changes to 'gptq ref-default' (run with --configs W2g64; docs/results.md's notes).
  { label: 'gptq ref + damp 0.1', method: 'gptq', opts: { percDamp: 0.1 }, note: 'ablation: damping 0.1' },
  { label: 'gptq ref + calib 32x512', method: 'gptq', opts: { samples: 32, seqLen: 512 }, note: 'ablation: 32 × 512 calibration' },
  { label: 'gptq ref + act-order static', method: 'gptq', opts: { actOrder: true, staticGroups: true }, note: 'ablation: act-order, static groups' },
  { label: 'gptq ref + clip', method: 'gptq', opts: { clipSearch: true }, note: 'ablation: clip search' },
];
const methods = arg('methods', [...QUANT_METHODS, 'rtn min-max', 'gptq ref-default'].join(',')).split(',');
for (const m of methods) if (!VARIANTS.some((v) => v.label === m)) throw new Error(`unknown row ${m} (one of ${VARIANTS.map((v) => v.label).join(', ')})`);

interface Row {
  method: string;
  config: string;
  settings: string;
  nats: number;
  ppl: number;
  bpw: number;
  quantS: number;
  /** Evaluation protocol the row was measured with (rows of another protocol are not shown together). */
  protocol: string;
}

interface CharRow {
  model: string;
  method: string;
  dtype: string;
  bpc: number;
  chars: number;
  bpw: number;
  quantS: number;
}

interface Store {
  llama: Row[];
  charrnn: CharRow[];
}

const protocol = `windows ${windows}, calib ${samples}x${seqLen}`;

function load(): Store {
  if (!existsSync(JSON_PATH)) return { llama: [], charrnn: [] };
  const s = JSON.parse(readFileSync(JSON_PATH, 'utf8')) as Store;
  return { llama: s.llama ?? [], charrnn: s.charrnn ?? [] };
}

function upsert<T>(rows: T[], row: T, same: (a: T) => boolean): void {
  const i = rows.findIndex(same);
  if (i >= 0) rows[i] = row;
  else rows.push(row);
}

const sameRow = (a: Row) => (b: Row) => a.method === b.method && a.config === b.config && a.protocol === b.protocol;
const sameCharRow = (a: CharRow) => (b: CharRow) => a.model === b.model && a.method === b.method && a.dtype === b.dtype;

/** Merges the row into docs/results.json as it is on disk now and regenerates docs/results.md. */
async function record(row: { llama?: Row; charrnn?: CharRow }, tokens: number | null): Promise<void> {
  const store = load();
  if (row.llama) upsert(store.llama, row.llama, sameRow(row.llama));
  if (row.charrnn) upsert(store.charrnn, row.charrnn, sameCharRow(row.charrnn));
  await write(store, tokens);
}

async function llamaPart(): Promise<void> {
  const testBytes = readFileSync(`${DIR}/test.txt`);
  const calib = readFileSync(`${DIR}/calib.bin`);
  const fp = await loadLlama(DIR);
  const base = perplexity(fp, testBytes, { maxWindows: windows });
  fp.dispose();
  await record({ llama: { method: 'bf16 (f32 compute)', config: '-', settings: '-', nats: base.nats, ppl: base.ppl, bpw: 16, quantS: 0, protocol } }, base.tokens);
  for (const c of CONFIGS) {
    for (const label of methods) {
      const model = await loadLlama(DIR);
      const t0 = performance.now();
      const { method, opts, note } = VARIANTS.find((v) => v.label === label)!;
      const r = await quantizeModel(model, { method, dtype: c.dtype, groupSize: c.groupSize, calib, samples, seqLen, trueSequential: false, ...opts });
      const quantS = (performance.now() - t0) / 1000;
      const p = perplexity(model, testBytes, { maxWindows: windows });
      model.dispose();
      const row: Row = { method: label, config: c.label, settings: note, nats: p.nats, ppl: p.ppl, bpw: r.bitsPerWeight, quantS, protocol };
      console.log(row);
      await record({ llama: row }, base.tokens);
    }
  }
}

async function charRnnPart(): Promise<void> {
  const text = readFileSync(`${DIR}/test.txt`, 'utf8');
  const calib = readFileSync(`${DIR}/calib.bin`).toString('latin1');
  const EVAL = { streams: 32, maxChars: 32768 };
  const models = existsSync(CHARRNN) ? ['charlotte_bronte', 'darwin', 'dubois', 'shakespeare', 'zora_neale_hurston'].filter((m) => existsSync(`${CHARRNN}/${m}`)) : [];
  for (const name of models) {
    for (const [method, dtype] of [['fp32', '-'], ['rtn', 'int4'], ['gptq', 'int4'], ['rtn', 'int3'], ['gptq', 'int3']] as const) {
      const rnn = await loadCharRnn(`${CHARRNN}/${name}`);
      const t0 = performance.now();
      let bpw = 32;
      if (method !== 'fp32') {
        const reports = quantizeCharRnn(rnn, { method, dtype, groupSize: 128, calib, streams: 32, calibChars: 16384 });
        let bits = 0;
        let n = 0;
        for (const r of reports) {
          const size = r.shape.reduce((a, b) => a * b, 1);
          bits += r.bitsPerWeight * size;
          n += size;
        }
        bpw = bits / n;
      }
      const quantS = (performance.now() - t0) / 1000;
      const e = charRnnBitsPerChar(rnn, text, EVAL);
      rnn.dispose();
      const row: CharRow = { model: name, method, dtype, bpc: e.bitsPerChar, chars: e.chars, bpw, quantS };
      console.log(row);
      await record({ charrnn: row }, null);
    }
  }
}

const fmtPct = (x: number, base: number): string => `${x >= base ? '+' : ''}${(((x / base) - 1) * 100).toFixed(2)}%`;

async function write(store: Store, tokens: number | null): Promise<void> {
  await writeFileAtomic(JSON_PATH, new TextEncoder().encode(JSON.stringify(store, null, 1) + '\n'));
  // The table shows the rows of this run's protocol (those of another protocol stay in the JSON).
  const shown = store.llama.filter((r) => r.protocol === protocol);
  const order = (r: Row) => [ALL_CONFIGS.findIndex((c) => c.label === r.config), VARIANTS.findIndex((v) => v.label === r.method)];
  const rows = [...shown].sort((a, b) => {
    const [ca, ma] = order(a);
    const [cb, mb] = order(b);
    return ca - cb || ma - mb;
  });
  const base = rows.find((r) => r.config === '-');
  const proto = base?.protocol ?? protocol;
  const w = /windows (\d+)/.exec(proto)?.[1] ?? String(windows);
  const [cs, cl] = (/calib (\d+)x(\d+)/.exec(proto) ?? ['', String(samples), String(seqLen)]).slice(1);
  const bytes = tokens ?? Number(w) * 511;
  const rnnModels = [...new Set(store.charrnn.map((r) => r.model))];
  const rnnCols = [['fp32', '-'], ['rtn', 'int4'], ['gptq', 'int4'], ['rtn', 'int3'], ['gptq', 'int3']] as const;
  const notes = readFileSync('scripts/results-notes.md', 'utf8').trimEnd();
  const md = [
    '# Results: quantizing tiny-llama-bytes (and the charRNN family)',
    '',
    'Generated by `npx tsx scripts/results.ts` from the rows in docs/results.json (do not edit by hand;',
    'the notes come from scripts/results-notes.md). Model: test/fixtures/tiny-llama-bytes (6 layers,',
    'hidden 384, byte vocabulary, bf16 weights computed in f32). Every projection of every block is',
    'quantized; embeddings and the head stay f32.',
    '',
    `- Perplexity: non-overlapping 512-byte windows, the first ${w} windows of test.txt`,
    `  (${bytes} predicted bytes), mean nats per byte and exp of it. Every row uses the same windows, so`,
    '  rows compare with each other more finely than the window count suggests. The full test.txt',
    '  (1668 windows) gives 1.19377 nats/byte for the fp model (numpy transcription,',
    '  test/models/numpy_llama.py; the reference states 1.1937).',
    `- Calibration: the first ${cs} chunks of calib.bin, ${cl} bytes each (rtn uses none), one pass per`,
    '  block (the block\'s linear groups quantized from the inputs of the block with earlier blocks',
    '  quantized; `trueSequential: false`).',
    '- Bits per weight: storage of the projections with everything stored (codes, f16 scales, zero',
    '  points, permutations, codebooks, PVQ row scales, level tables and rotation seeds).',
    '- Time: wall time of `quantizeModel` on a shared 2-core machine with other jobs running; compare',
    '  rows with each other, not with other machines.',
    '',
    '| method | config | settings | nats/byte | ppl | Δppl vs fp | bits/weight | quantize (s) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.method} | ${r.config} | ${r.settings} | ${r.nats.toFixed(4)} | ${r.ppl.toFixed(3)} | ${r.config === '-' || !base ? '-' : fmtPct(r.ppl, base.ppl)} | ${r.bpw.toFixed(3)} | ${r.quantS.toFixed(1)} |`,
    ),
    '',
    '## charRNN (a second model family)',
    '',
    'The ml5 character LSTMs of ../shared/models/charrnn (2 layers), loaded through the same tensor API',
    '(src/models/charrnn.ts). Each layer\'s gate weight is quantized with group size 128 (f16 scale and',
    'zero point per group); embedding and softmax stay f32. Bits per character on held-out text: the',
    'first 32768 characters of tiny-llama-bytes test.txt (not the authors\' training text) as 32',
    'parallel streams; GPTQ calibrates on the first 16384 characters of calib.bin (32 streams), layer',
    'by layer with the layers below quantized. bits/weight is that of the gate weights.',
    '',
    '| model | fp32 | rtn int4 | gptq int4 | rtn int3 | gptq int3 | bits/weight int4 / int3 |',
    '|---|---|---|---|---|---|---|',
    ...rnnModels.map((m) => {
      const cell = (method: string, dtype: string) => store.charrnn.find((r) => r.model === m && r.method === method && r.dtype === dtype);
      const fp = cell('fp32', '-');
      const cells = rnnCols.map(([method, dtype]) => {
        const r = cell(method, dtype);
        if (!r) return 'not run';
        return method === 'fp32' || !fp ? r.bpc.toFixed(4) : `${r.bpc.toFixed(4)} (${fmtPct(r.bpc, fp.bpc)})`;
      });
      const b4 = cell('rtn', 'int4')?.bpw;
      const b3 = cell('rtn', 'int3')?.bpw;
      return `| ${m} | ${cells.join(' | ')} | ${b4?.toFixed(3) ?? '-'} / ${b3?.toFixed(3) ?? '-'} |`;
    }),
    '',
    notes,
    '',
  ].join('\n');
  await writeFileAtomic(MD_PATH, new TextEncoder().encode(md));
}

async function main(): Promise<void> {
  await ready();
  if (part === 'llama' || part === 'all') await llamaPart();
  if (part === 'charrnn' || part === 'all') await charRnnPart();
  if (part === 'render') await write(load(), null);
}

await main();
