/**
 * Wrong arguments from plain JavaScript, where the types do not hold: every function the package
 * exports refuses a wrong first argument (undefined, null, a string, a plain object, a number) with a
 * library error (a QuantensorError) whose message names the function, thrown at once or, for an
 * async function, as a rejected promise; never a TypeError from deep inside. The exports are read
 * from the package entry, so a new export without its checks fails here. The few that legitimately
 * take one of these values are listed in ACCEPTED with the reason, and are not called with it.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { QuantensorError, ShapeError, ValueError } from '../src/index.js';
import { publicApi } from './public-api.js';

const BAD: readonly (readonly [label: string, value: unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ["'x'", 'x'],
  ['{}', {}],
  ['3', 3],
];
const LABELS = BAD.map(([label]) => label);

/** Exports that accept some of the values (by label) as a first argument, grouped by the reason. */
const ACCEPTED: readonly { readonly names: readonly string[]; readonly values: readonly string[]; readonly why: string }[] = [
  { names: ['isDTypeName', 'isDenseDType', 'isQuantDType'], values: LABELS, why: 'predicates: false for anything that is not such a name' },
  {
    names: ['toF16Bits', 'fromF16Bits', 'toBF16Bits', 'fromBF16Bits', 'roundToF16', 'roundToBF16'],
    values: LABELS,
    why: 'scalar conversions on hot paths, unchecked like Math.fround (NaN in, NaN out)',
  },
  { names: ['getBackend', 'getThreads', 'hardwareThreads', 'wasmAvailable', 'ready', 'threadsReady'], values: LABELS, why: 'take no argument' },
  { names: ['arange', 'eye', 'randomHadamard'], values: ['3'], why: 'a size' },
  { names: ['tensor', 'clamp'], values: ['3'], why: 'a JS number is a scalar (a 0-d tensor)' },
  { names: ['pvqConfigForBits'], values: ['3'], why: 'a bit width' },
  { names: ['setThreads'], values: ['3'], why: 'a thread count (and calling it would start workers)' },
  { names: ['useRelaxedSimd'], values: ['undefined'], why: 'the default, true (and calling it would pick the kernel build for this file)' },
  {
    names: ['openSafetensors', 'loadSafetensors', 'openQuantized', 'loadQuantized', 'loadCharRnn', 'loadModel', 'loadLlama'],
    values: ["'x'"],
    why: "a path: that 'x' does not exist is reported by the file system (ENOENT) or as a FormatError naming the path",
  },
  {
    names: ['openCheckpoint', 'readConfig', 'importGptq', 'importAwq'],
    values: ["'x'", '{}'],
    why: 'a directory, or a map of file names to bytes (browsers): a missing one is a FormatError naming the place, or ENOENT',
  },
  { names: ['serializeSafetensors', 'serializeQuantized'], values: ['{}'], why: 'no tensors: the bytes of an empty file' },
];

const accepted = new Map<string, Set<string>>();
for (const { names, values } of ACCEPTED) {
  for (const n of names) accepted.set(n, new Set([...(accepted.get(n) ?? []), ...values]));
}

const exported = api as unknown as Record<string, unknown>;
const functions = Object.keys(exported)
  .filter((name) => /^[a-z]/.test(name) && typeof exported[name] === 'function')
  .sort();

const isAsync = (f: Function): boolean => f.constructor.name === 'AsyncFunction';

/**
 * Why `call()` is not a refusal whose message `names` accepts (thrown at once, or as a rejection
 * when `async`), or null.
 */
async function notARefusal(call: () => unknown, async: boolean, names: (message: string) => boolean, want: string): Promise<string | null> {
  const judge = (e: unknown, how: string): string | null => {
    if (!(e instanceof QuantensorError)) return `${how} ${(e as Error)?.name}: ${(e as Error)?.message}`;
    return names(e.message) ? null : `${how} ${e.name} without ${want}: ${e.message}`;
  };
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    return async ? `threw instead of rejecting: ${(e as Error)?.message}` : judge(e, 'threw');
  }
  if (!(result instanceof Promise)) return `returned ${String(result)}`;
  if (!async) return 'returned a promise (not an async function)';
  try {
    await result;
  } catch (e) {
    return judge(e, 'rejected with');
  }
  return 'resolved';
}

/** Why calling `name(x)` is not a refusal naming `name` (as a rejection for an async function), or null. */
function misbehaviour(name: string, x: unknown): Promise<string | null> {
  const f = exported[name] as (x: unknown) => unknown;
  return notARefusal(() => f(x), isAsync(f), (m) => m.startsWith(`${name}: `), `starting with "${name}: "`);
}

describe('every exported function refuses a wrong first argument with a library error naming it', () => {
  it('reads the whole entry point', () => {
    expect(functions.length).toBeGreaterThan(150);
    expect(functions).toEqual(expect.arrayContaining(['sum', 'reshape', 'matmul', 'dequantize', 'loadSafetensors']));
  });

  it('lists only exported functions and tested values as accepted', () => {
    const stale = [...accepted].flatMap(([n, vs]) => [
      ...(functions.includes(n) ? [] : [`${n} is not an exported function`]),
      ...[...vs].filter((v) => !LABELS.includes(v)).map((v) => `${n}: ${v} is not a tested value`),
    ]);
    expect(stale).toEqual([]);
  });

  it.each(functions)('%s', async (name) => {
    const bad: string[] = [];
    for (const [label, x] of BAD) {
      if (accepted.get(name)?.has(label)) continue;
      const m = await misbehaviour(name, x);
      if (m) bad.push(`${name}(${label}) ${m}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('a wrong second argument of the most used functions', () => {
  const t = api.tensor([[1, 2], [3, 4]]);

  it.each([
    ['matmul', 'matmul(t, undefined)', ValueError, () => api.matmul(t, undefined as never)],
    ['matmul', 'matmul(t, nested array)', ValueError, () => api.matmul(t, [[1], [2]] as never)],
    ['linear', 'linear(x, undefined)', ValueError, () => api.linear(t, undefined as never)],
    ['linear', 'linear(x, {})', ValueError, () => api.linear(t, {} as never)],
    ['reshape', 'reshape(t, "x")', ShapeError, () => api.reshape(t, 'x' as never)],
    ['view', 'view(t, 4)', ShapeError, () => api.view(t, 4 as never)],
    ['broadcastTo', 'broadcastTo(t, "x")', ShapeError, () => api.broadcastTo(t, 'x' as never)],
    ['permute', 'permute(t, "x")', ShapeError, () => api.permute(t, 'x' as never)],
    ['concat', 'concat([t, "x"])', ValueError, () => api.concat([t, 'x' as never])],
    ['stack', 'stack([t, null])', ValueError, () => api.stack([t, null as never])],
    ['solveTriangular', 'solveTriangular(t, undefined)', ValueError, () => api.solveTriangular(t, undefined as never)],
    ['gptqToQTensor', 'gptqToQTensor(layer, undefined)', ValueError, () => api.gptqToQTensor({ qweight: t, qzeros: t, scales: t, g_idx: t }, undefined as never)],
  ] as const)('%s: %s', (name, _label, cls, call) => {
    expect(call).toThrow(cls);
    expect(call).toThrow(name);
  });

  it.each([
    ['saveSafetensors', () => api.saveSafetensors('never-written.safetensors', { w: 3 } as never)],
    ['exportGptq', () => api.exportGptq('never-written', { w: 'x' } as never)],
    ['serializeSafetensors', () => api.serializeSafetensors({ w: t, v: null } as never)],
  ] as const)('%s rejects a record holding a non-tensor before writing', async (name, call) => {
    await expect(call()).rejects.toThrow(ValueError);
    await expect(call()).rejects.toThrow(name);
  });
});

/**
 * The exported functions (and, as `new Name`, class constructors) with an options parameter, read
 * with the TypeScript compiler from src/index.ts: a parameter named `opts`/`options` or typed
 * `...Options`. `required`: the parameter has no `?` and no default.
 */
function optionTakers(): Map<string, { readonly required: boolean }> {
  const found = new Map<string, { required: boolean }>();
  const scan = (key: string, params: ts.NodeArray<ts.ParameterDeclaration>) => {
    for (const p of params) {
      if (!/^opt(ion)?s$/.test(p.name.getText()) && !/Options\b/.test(p.type?.getText() ?? '')) continue;
      const required = !p.questionToken && !p.initializer;
      found.set(key, { required: required || (found.get(key)?.required ?? false) });
    }
  };
  for (const { name, symbol } of publicApi().exports) {
    for (const d of symbol.getDeclarations() ?? []) {
      if (ts.isFunctionDeclaration(d)) scan(name, d.parameters);
      if (ts.isClassDeclaration(d)) for (const m of d.members) if (ts.isConstructorDeclaration(m)) scan(`new ${name}`, m.parameters);
      if (ts.isVariableDeclaration(d) && d.initializer && ts.isFunctionLike(d.initializer)) scan(name, d.initializer.parameters);
    }
  }
  return found;
}

describe('every exported function that takes an options object refuses a wrong one with a library error naming it', () => {
  const dir = join(tmpdir(), `quantensor-api-args-${process.pid}`); // never written: the checks come first
  const t = api.tensor([[4, 2], [2, 5]]);
  const w = api.randn([4, 8], { seed: 1 });
  const x = api.randn([16, 8], { seed: 2 });
  const h = api.hessianOf(x);
  const acc = new api.HessianAccumulator(8).add(x);
  const q = api.quantize(w, { dtype: 'int4', groupSize: 8 });
  const rnn = new api.CharRnn(new Map([['a', 0], ['b', 1]]), api.randn([2, 2], { seed: 3 }), [], api.randn([2, 2], { seed: 4 }), api.zeros([2]));
  const fx = {} as { model: api.LlamaModel; bytes: Uint8Array };

  beforeAll(async () => {
    fx.model = await api.loadLlama('test/fixtures/tiny-llama-bytes');
    fx.bytes = await api.serializeSafetensors({ w });
  });
  afterAll(async () => {
    fx.model?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  /** Each function with valid leading arguments and `o` as its options; the op its error names. */
  const CALLS: Readonly<Record<string, { readonly op?: string; readonly call: (o: never) => unknown }>> = {
    chooseQParams: { call: (o) => api.chooseQParams(w, o) },
    quantize: { call: (o) => api.quantize(w, o) },
    fakeQuantize: { call: (o) => api.fakeQuantize(w, o) },
    linear: { call: (o) => api.linear(x, w, o) },
    linspace: { call: (o) => api.linspace(0, 1, 3, o) },
    eye: { call: (o) => api.eye(2, 3, o) },
    rand: { call: (o) => api.rand([2], o) },
    randn: { call: (o) => api.randn([2], o) },
    randint: { call: (o) => api.randint(0, 4, [2], o) },
    sum: { call: (o) => api.sum(t, null, o) },
    prod: { call: (o) => api.prod(t, null, o) },
    mean: { call: (o) => api.mean(t, null, o) },
    variance: { call: (o) => api.variance(t, null, o) },
    std: { call: (o) => api.std(t, null, o) },
    max: { call: (o) => api.max(t, null, o) },
    min: { call: (o) => api.min(t, null, o) },
    any: { call: (o) => api.any(t, null, o) },
    all: { call: (o) => api.all(t, null, o) },
    norm: { call: (o) => api.norm(t, 2, null, o) },
    argmax: { call: (o) => api.argmax(t, null, o) },
    argmin: { call: (o) => api.argmin(t, null, o) },
    cholesky: { call: (o) => api.cholesky(t, o) },
    solveTriangular: { call: (o) => api.solveTriangular(t, api.ones([2]), o) },
    triangularInverse: { call: (o) => api.triangularInverse(t, o) },
    syrk: { call: (o) => api.syrk(x, o) },
    saveCheckpoint: { call: (o) => api.saveCheckpoint(dir, { w }, o) },
    saveQuantized: { call: (o) => api.saveQuantized(join(dir, 'q.safetensors'), { q }, undefined, o) },
    serializeQuantized: { call: (o) => api.serializeQuantized({ q }, undefined, o) },
    saveQuantizedCheckpoint: { call: (o) => api.saveQuantizedCheckpoint(dir, { q }, o) },
    openQuantized: { call: (o) => api.openQuantized(fx.bytes, o) },
    loadQuantized: { call: (o) => api.loadQuantized(fx.bytes, o) },
    exportGptq: { call: (o) => api.exportGptq(dir, { q }, o) },
    exportAwq: { call: (o) => api.exportAwq(dir, { q }, o) },
    'new HessianAccumulator': { op: 'HessianAccumulator', call: (o) => new api.HessianAccumulator(8, o) },
    hessianOf: { call: (o) => api.hessianOf(x, o) },
    rtn: { call: (o) => api.rtn(w, o) },
    gptq: { call: (o) => api.gptq(w, h, o) },
    errorFeedback: { call: (o) => api.errorFeedback(w, api.eye(8), { encode: (b) => b.values.map(Math.round) }, o) },
    prepareHessian: { call: (o) => api.prepareHessian(h, o) },
    awq: { call: (o) => api.awq([{ name: 'q_proj', weight: w }], acc, o) },
    pvqQuantize: { call: (o) => api.pvqQuantize(w, o) },
    pvqGptq: { call: (o) => api.pvqGptq(w, h, o) },
    pvqConfigForBits: { call: (o) => api.pvqConfigForBits(3, o) },
    randomHadamard: { call: (o) => api.randomHadamard(8, o) },
    'new RandomHadamard': { op: 'randomHadamard', call: (o) => new api.RandomHadamard(8, o) },
    vqQuantize: { call: (o) => api.vqQuantize(w, o) },
    kmeans: { call: (o) => api.kmeans({ points: new Float64Array(8), n: 4, d: 2, weights: null }, o) },
    perplexity: { call: (o) => api.perplexity(fx.model, [1, 2, 3], o) },
    quantizeModel: { call: (o) => api.quantizeModel(fx.model, o) },
    saveModel: { call: (o) => api.saveModel(fx.model, dir, o) },
    charRnnBitsPerChar: { call: (o) => api.charRnnBitsPerChar(rnn, 'ab', o) },
    quantizeCharRnn: { call: (o) => api.quantizeCharRnn(rnn, o) },
  };
  const takers = optionTakers();

  it('lists exactly the exports that take an options object', () => {
    expect(takers.size).toBeGreaterThan(40);
    expect(Object.keys(CALLS).sort()).toEqual([...takers.keys()].sort());
  });

  const WRONG: readonly (readonly [label: string, value: unknown])[] = [
    ['null', null],
    ["'x'", 'x'],
    ['3', 3],
    ['[]', []],
    ['a function', () => ({})],
    ['a Tensor', t],
  ];

  it.each(Object.keys(CALLS))('%s', async (name) => {
    const { op = name, call } = CALLS[name];
    const async = name.startsWith('new ') ? false : isAsync(exported[name] as Function);
    const values = takers.get(name)?.required ? [...WRONG, ['undefined', undefined] as const] : WRONG;
    const bad: string[] = [];
    for (const [label, o] of values) {
      const m = await notARefusal(() => call(o as never), async, (msg) => msg.startsWith(`${op}: options must be a plain object, got `), `"${op}: options must be a plain object"`);
      if (m) bad.push(`${name}(..., ${label}) ${m}`);
    }
    expect(bad).toEqual([]);
  });
});
