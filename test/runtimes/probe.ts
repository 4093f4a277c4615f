/**
 * The program test/runtimes/run.ts bundles and runs in Node, Bun and Deno. It reads its input (a
 * JSON file named by the first argument), exercises the library as a user of that runtime would, and
 * prints one line `PROBE <json>` (ProbeOutput) for the driver to compare across runtimes. A failure
 * is printed as `PROBE {"error": ...}`: the driver shows it.
 *
 * - the wasm module instantiates (backend 'wasm');
 * - the shared cases (test/portable/cases.ts): dense matmul, int4 codes, packed matmul f32 and int8;
 * - threads: setThreads(2) starts workers that take part (threadStats) and change no bit;
 * - I/O on the bundled checkpoint: a bf16 tensor read from the sharded safetensors, a quantized
 *   file saved atomically and read back;
 * - the model: GPTQ int4 of the bundled tiny Llama on two threads, perplexity before and after.
 * With `--relaxed` after the input file it asks for the relaxed-SIMD build (useRelaxedSimd) and
 * runs the shared cases only (RelaxedOutput).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as qt from '../../src/index.js';
import { threadStats } from '../../src/kernels/threads.js';
import { runCase, type CaseApi, type CaseInput, type CaseOutput } from '../portable/cases.js';
import { programArgs, runtimeName } from '../portable/runtime-name.js';

/** The driver's input. */
export interface ProbeInput {
  readonly cases: CaseInput[];
  /** The bundled model's directory. */
  readonly fixture: string;
}

/** What the probe prints with `--relaxed`: whether the relaxed wasm build runs, and the shared cases on it. */
export interface RelaxedOutput {
  readonly runtime: string;
  readonly relaxed: boolean;
  readonly cases: CaseOutput[];
}

/** What the probe prints. */
export interface ProbeOutput {
  readonly runtime: string;
  readonly backend: string;
  readonly cases: CaseOutput[];
  readonly threads: { readonly threads: number; readonly workerItems: number; readonly identical: boolean };
  readonly io: {
    /** Sum of the f32 values of the embedding (bf16 on disk), and its first values. */
    readonly embedSum: number;
    readonly embedHead: number[];
    readonly roundTrip: boolean;
    /** Files in the save directory besides the saved one (a temp file left behind would show here). */
    readonly leftovers: string[];
  };
  readonly model: { readonly ppl: number; readonly pplInt4: number; readonly ms: number };
}

/**
 * Runs a packed GEMV on one thread, then on two: the items the workers ran and whether every result
 * has the bits of one thread. The calling thread claims items too, so a call may finish before a
 * worker wakes: at least MIN_ROUNDS calls, more (up to MAX_ROUNDS) until a worker has run an item.
 */
async function threads(): Promise<ProbeOutput['threads']> {
  const MIN_ROUNDS = 8;
  const MAX_ROUNDS = 200;
  const w = qt.randn([1024, 4096], { seed: 3 });
  const x = qt.randn([1, 4096], { seed: 4 });
  const q = qt.quantize(w, { dtype: 'int4', groupSize: 128 });
  const one = Array.from(qt.linear(x, q).data() as Float32Array);
  qt.setThreads(2);
  await qt.threadsReady();
  const before = threadStats().workerItems;
  let identical = true;
  for (let i = 0; i < MAX_ROUNDS && (i < MIN_ROUNDS || threadStats().workerItems === before); i++) {
    const two = qt.linear(x, q);
    identical &&= Array.from(two.data() as Float32Array).every((v, j) => Object.is(v, one[j]));
    two.dispose();
  }
  const workerItems = threadStats().workerItems - before;
  for (const t of [w, x, q]) t.dispose();
  return { threads: qt.getThreads(), workerItems, identical };
}

async function io(fixture: string): Promise<ProbeOutput['io']> {
  const ckpt = await qt.openCheckpoint(fixture);
  let embedSum = 0;
  let embedHead: number[] = [];
  try {
    const e = await ckpt.read('model.embed_tokens.weight');
    const f = qt.astype(e, 'f32');
    const d = f.data() as Float32Array;
    for (const v of d) embedSum += v;
    embedHead = Array.from(d.subarray(0, 8));
    e.dispose();
    f.dispose();
  } finally {
    await ckpt.close();
  }
  const dir = await mkdtemp(join(tmpdir(), 'qt-runtime-'));
  try {
    const w = qt.randn([64, 256], { seed: 5 });
    const q = qt.quantize(w, { dtype: 'nf4', groupSize: 64, symmetric: true });
    await qt.saveQuantized(join(dir, 'w.safetensors'), { w: q });
    const back = (await qt.loadQuantized(join(dir, 'w.safetensors'))).tensors.w as qt.QTensor;
    const same = (a: qt.Tensor, b: qt.Tensor): boolean => {
      const x = Array.from(a.data() as ArrayLike<number>);
      const y = Array.from(b.data() as ArrayLike<number>);
      return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
    };
    const [dBack, dq] = [qt.dequantize(back), qt.dequantize(q)];
    const roundTrip = back.dtype === q.dtype && same(back.codes, q.codes) && same(dBack, dq);
    const leftovers = (await readdir(dir)).filter((n) => n !== 'w.safetensors');
    for (const t of [w, q, back, dBack, dq]) t.dispose();
    return { embedSum, embedHead, roundTrip, leftovers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function model(fixture: string): Promise<ProbeOutput['model']> {
  const t0 = performance.now();
  const text = new Uint8Array(await readFile(join(fixture, 'test.txt')));
  const calib = new Uint8Array(await readFile(join(fixture, 'calib.bin')));
  const opts = { ctx: 256, maxWindows: 2 };
  const base = await qt.loadLlama(fixture);
  const ppl = qt.perplexity(base, text, opts).ppl;
  const { model: q } = await qt.quantizeModel(base, { method: 'gptq', dtype: 'int4', groupSize: 128, calib, samples: 4, seqLen: 256 });
  const pplInt4 = qt.perplexity(q, text, opts).ppl;
  return { ppl, pplInt4, ms: Math.round(performance.now() - t0) };
}

async function main(): Promise<void> {
  const [file, mode] = programArgs();
  if (!file) throw new Error('usage: probe <input.json> [--relaxed]');
  const input = JSON.parse(await readFile(file, 'utf8')) as ProbeInput;
  if (mode === '--relaxed') {
    // asked before the first kernel call instantiates the module; a build that fails to instantiate
    // leaves the JS kernels running, which match the cases too: only 'wasm' counts as the relaxed build
    const asked = qt.useRelaxedSimd();
    const relaxed = asked && (await qt.ready()) === 'wasm';
    const out: RelaxedOutput = { runtime: runtimeName(), relaxed, cases: input.cases.map((c) => runCase(qt as unknown as CaseApi, c)) };
    console.log(`PROBE ${JSON.stringify(out)}`);
    return;
  }
  const backend = await qt.ready();
  const cases = input.cases.map((c) => runCase(qt as unknown as CaseApi, c));
  const out: ProbeOutput = {
    runtime: runtimeName(),
    backend,
    cases,
    threads: await threads(),
    io: await io(input.fixture),
    model: await model(input.fixture),
  };
  console.log(`PROBE ${JSON.stringify(out)}`);
}

main().then(
  () => (globalThis as { process?: { exit(c: number): void } }).process?.exit(0),
  (e: unknown) => {
    console.log(`PROBE ${JSON.stringify({ error: e instanceof Error ? `${e.stack ?? e.message}` : String(e) })}`);
    (globalThis as { process?: { exit(c: number): void } }).process?.exit(1);
  },
);
