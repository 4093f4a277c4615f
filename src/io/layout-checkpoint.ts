/**
 * Shared plumbing of the packed-int checkpoint layouts (GPTQ, AWQ): a linear layer `p.weight` is
 * stored as several tensors `p.qweight`, `p.qzeros`, `p.scales`, ... next to the dense tensors, plus
 * JSON config files. This module writes such a directory from QTensors through a per-layout
 * converter, and reads one back into QTensors through a per-layout builder. The layouts themselves
 * are gptq-format.ts and awq-format.ts. Not a format of its own.
 */
import { FormatError, ValueError, describeValue, isPlainObject } from '../errors.js';
import { QTensor } from '../qtensor.js';
import { Tensor, checkTensor } from '../tensor.js';
import { checkPath, checkRecord } from './args.js';
import { writeFileAtomic } from './atomic.js';
import { openCheckpoint, type CheckpointFiles } from './checkpoint.js';
import { saveCheckpoint } from './safetensors-write.js';

/**
 * The module prefix of a weight name: `p.weight` -> `p`; any other name is its own prefix.
 * @example
 * prefixOf('model.layers.0.mlp.up_proj.weight'); // 'model.layers.0.mlp.up_proj'
 */
export function prefixOf(name: string): string {
  return name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : name;
}

/**
 * The entry check of exportGptq and exportAwq: `dir` is a path and `tensors` an object of Tensors
 * and QTensors.
 * @example
 * checkLayoutArgs('exportGptq', dir, tensors);
 */
export function checkLayoutArgs(op: string, dir: unknown, tensors: unknown): void {
  checkPath(op, dir, 'dir');
  checkRecord(op, tensors, 'tensors');
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor) && !(t instanceof QTensor)) throw new ValueError(`${op}: tensor "${name}" must be a Tensor or a QTensor, got ${describeValue(t)}`);
  }
}

/**
 * The entry check of gptqToQTensor and awqToQTensor: `layer` is an object holding a Tensor for every
 * name in `parts`.
 * @example
 * checkLayerParts('awqToQTensor', layer, ['qweight', 'qzeros', 'scales']);
 */
export function checkLayerParts(op: string, layer: unknown, parts: readonly string[]): void {
  if (!isPlainObject(layer)) {
    throw new ValueError(`${op}: the layer must be an object of tensors { ${parts.join(', ')} }, got ${describeValue(layer)}`);
  }
  for (const k of parts) checkTensor(op, (layer as Record<string, unknown>)[k], k);
}

/**
 * Writes a checkpoint directory: every QTensor through `convert` into `prefix.<part>` tensors, dense
 * tensors as they are, then each of `jsonFiles` (name -> value) — all atomically.
 * @example
 * await writeLayoutCheckpoint('out', tensors, (q, n) => qtensorToGptq(q, 'gptq', n), { 'quantize_config.json': cfg });
 */
export async function writeLayoutCheckpoint(
  dir: string,
  tensors: Readonly<Record<string, Tensor | QTensor>>,
  convert: (q: QTensor, name: string) => Readonly<Record<string, Tensor>>,
  jsonFiles: Readonly<Record<string, unknown>>,
  maxShardBytes?: number,
): Promise<void> {
  const out: Record<string, Tensor> = {};
  const owned: Tensor[] = [];
  try {
    for (const [name, t] of Object.entries(tensors)) {
      if (t instanceof Tensor) {
        out[name] = t;
        continue;
      }
      const p = prefixOf(name);
      for (const [k, v] of Object.entries(convert(t, name))) {
        owned.push(v);
        if (Object.prototype.hasOwnProperty.call(tensors, `${p}.${k}`) || Object.prototype.hasOwnProperty.call(out, `${p}.${k}`)) {
          throw new ValueError(`${name}: packed tensor name ${p}.${k} collides with another tensor`);
        }
        out[`${p}.${k}`] = v;
      }
    }
    await saveCheckpoint(dir, out, { maxShardBytes });
  } finally {
    for (const t of owned) t.dispose();
  }
  const { join } = await import('node:path');
  for (const [file, value] of Object.entries(jsonFiles)) {
    await writeFileAtomic(join(dir, file), new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n'));
  }
}

/**
 * Reads a checkpoint in which each layer `p` with a `p.<marker>` tensor is stored as `p.<part>` for
 * every name in `parts`: those become QTensors `p.weight` through `build`, everything else is read as
 * it is. Reads the whole checkpoint.
 * @throws FormatError naming the checkpoint and layer when a part is missing or `build` rejects it
 * @example
 * const t = await readLayoutCheckpoint(dir, 'qweight', ['qweight', 'qzeros', 'scales'], (p, name) => awqToQTensor(p, cfg, name));
 */
export async function readLayoutCheckpoint(
  input: string | CheckpointFiles,
  marker: string,
  parts: readonly string[],
  build: (parts: Readonly<Record<string, Tensor>>, name: string) => QTensor,
): Promise<Record<string, Tensor | QTensor>> {
  const ckpt = await openCheckpoint(input);
  const tensors: Record<string, Tensor | QTensor> = {};
  try {
    const suffix = `.${marker}`;
    const prefixes = ckpt.names.filter((n) => n.endsWith(suffix)).map((n) => n.slice(0, -suffix.length));
    const taken = new Set(prefixes.flatMap((p) => parts.map((k) => `${p}.${k}`)));
    for (const p of prefixes) {
      const got: Record<string, Tensor> = {};
      try {
        for (const k of parts) {
          if (!ckpt.has(`${p}.${k}`)) throw new FormatError(`${ckpt.label}: layer ${p} has a ${marker} but no ${k}`);
          got[k] = await ckpt.read(`${p}.${k}`);
        }
        tensors[`${p}.weight`] = build(got, `${ckpt.label}: ${p}`);
      } finally {
        Object.values(got).forEach((t) => t.dispose());
      }
    }
    for (const n of ckpt.names) {
      if (taken.has(n)) continue;
      if (Object.prototype.hasOwnProperty.call(tensors, n)) throw new FormatError(`${ckpt.label}: ${n} is both a dense tensor and a packed layer`);
      tensors[n] = await ckpt.read(n);
    }
  } catch (e) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw e;
  } finally {
    await ckpt.close();
  }
  return tensors;
}
