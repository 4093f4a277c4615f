/**
 * Wrong arguments from plain JavaScript, where the types do not hold: every function the package
 * exports refuses a wrong first argument (undefined, null, a string, a plain object, a number) with a
 * library error (a QuantensorError) whose message names the function, thrown at once or, for an
 * async function, as a rejected promise; never a TypeError from deep inside. The exports are read
 * from the package entry, so a new export without its checks fails here. The few that legitimately
 * take one of these values are listed in ACCEPTED with the reason, and are not called with it.
 */
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { QuantensorError, ShapeError, ValueError } from '../src/index.js';

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
    names: ['openSafetensors', 'loadSafetensors', 'openQuantized', 'loadQuantized', 'loadCharRnn', 'loadModel'],
    values: ["'x'"],
    why: "a path: that 'x' does not exist is reported by the file system (ENOENT) or as a FormatError naming the path",
  },
  {
    names: ['openCheckpoint', 'readConfig', 'importGptq', 'importAwq', 'loadLlama'],
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

/** Why calling `name(x)` is not a refusal naming `name` (as a rejection for an async function), or null. */
async function misbehaviour(name: string, x: unknown): Promise<string | null> {
  const f = exported[name] as (x: unknown) => unknown;
  const judge = (e: unknown, how: string): string | null => {
    if (!(e instanceof QuantensorError)) return `${how} ${(e as Error)?.name}: ${(e as Error)?.message}`;
    return e.message.includes(name) ? null : `${how} ${e.name} without naming ${name}: ${e.message}`;
  };
  let result: unknown;
  try {
    result = f(x);
  } catch (e) {
    return isAsync(f) ? `threw instead of rejecting: ${(e as Error)?.message}` : judge(e, 'threw');
  }
  if (!(result instanceof Promise)) return `returned ${String(result)}`;
  if (!isAsync(f)) return 'returned a promise (not an async function)';
  try {
    await result;
  } catch (e) {
    return judge(e, 'rejected with');
  }
  return 'resolved';
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
