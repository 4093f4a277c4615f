/**
 * `npm start`: the main job on the bundled tiny model (test/fixtures/tiny-llama-bytes).
 *
 * 1. One real weight matrix quantized to every quantized dtype: bits per weight and relative error.
 * 2. The model, through the `quantensor quantize` command: perplexity of the bf16 model on held-out
 *    text, GPTQ int4 group 128 with sequential calibration, the quantized model's perplexity, size
 *    and time; the checkpoint and its report (report.html, report.json) go to build/demo/.
 *
 * Flags: `--windows N` scores the first N windows of 512 bytes of test.txt (default 32, about 16 KB,
 * so the demo takes a minute or two; `--windows 0` scores all 1668 windows, the protocol behind the
 * 1.1937 nats/byte reference, which takes much longer). `--samples N` calibration sequences of 512
 * bytes (default 32). `--threads N` kernel threads (default: every core; same results, less time).
 */
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { dequantize, hardwareThreads, norm, quantize, sub, type QuantDType, type QuantizeOptions } from '../src/index.js';

const MODEL = join(import.meta.dirname, '../test/fixtures/tiny-llama-bytes');
const MODEL_ARG = 'test/fixtures/tiny-llama-bytes';
const MATRIX = 'model.layers.3.mlp.down_proj.weight';

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : Number(process.argv[i + 1]);
}

/** The formats shown, each with the granularity it is normally used at. */
const FORMATS: readonly { dtype: QuantDType; opts: Omit<QuantizeOptions, 'dtype'>; label: string }[] = [
  { dtype: 'int8', opts: { groupSize: 'channel', symmetric: true }, label: 'per channel, symmetric' },
  { dtype: 'int4', opts: { groupSize: 128 }, label: 'group 128' },
  { dtype: 'int4', opts: { groupSize: 32 }, label: 'group 32' },
  { dtype: 'int3', opts: { groupSize: 128 }, label: 'group 128' },
  { dtype: 'int2', opts: { groupSize: 64 }, label: 'group 64' },
  { dtype: 'nf4', opts: { groupSize: 64, symmetric: true }, label: 'group 64' },
  { dtype: 'fp4', opts: { groupSize: 32, symmetric: true }, label: 'group 32' },
  { dtype: 'mxfp4', opts: { symmetric: true }, label: 'block 32, e8m0 scale' },
];

async function dtypeTable(): Promise<void> {
  const ckpt = await openCheckpoint(MODEL);
  const raw = await ckpt.read(MATRIX);
  await ckpt.close();
  const w = raw.astype('f32');
  const wNorm = norm(w).item();
  console.log(`\n1. ${MATRIX} ${JSON.stringify(w.shape)} (${raw.dtype} on disk), round to nearest\n`);
  console.log('   dtype   granularity              bits/weight   relative error');
  for (const f of FORMATS) {
    const q = quantize(w, { dtype: f.dtype, ...f.opts });
    const err = norm(sub(w, dequantize(q))).item() / wNorm;
    console.log(`   ${f.dtype.padEnd(7)} ${f.label.padEnd(24)} ${q.bitsPerWeight.toFixed(3).padStart(11)}   ${err.toFixed(4).padStart(14)}`);
    q.dispose();
  }
}

async function model(): Promise<number> {
  const windows = flag('windows') ?? 32;
  const out = join(import.meta.dirname, '../build/demo/tiny-llama-w4g128');
  // Every core of the machine: the results do not depend on the thread count, only the time.
  const threads = String(flag('threads') ?? hardwareThreads());
  console.log(`\n2. GPTQ int4 group 128 on the whole model: quantensor quantize ${MODEL_ARG} --method gptq --dtype int4 --group-size 128 --threads ${threads} ...\n`);
  const args = ['quantize', MODEL, '--method', 'gptq', '--dtype', 'int4', '--group-size', '128', '--samples', String(flag('samples') ?? 32), '--seq-len', '512', '--threads', threads];
  args.push('--eval-text', join(MODEL, 'test.txt'), '--out', out);
  if (windows > 0) args.push('--windows', String(windows));
  return main(args);
}

console.log('quantensor demo: test/fixtures/tiny-llama-bytes');
await dtypeTable();
process.exitCode = await model();
