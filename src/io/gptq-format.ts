/**
 * The Hugging Face GPTQ checkpoint layout, as AutoGPTQ / GPTQModel / transformers write and read it,
 * to and from QTensors of the affine dtypes (int2, int3, int4, int8). A linear layer `p.weight`
 * [out, in] becomes four tensors:
 *
 * ```
 * p.qweight  int32 [in·bits/32, out]       codes packed along the INPUT axis: column o of qweight, read
 *                                          as little-endian 32-bit words in row order, is the bit stream
 *                                          of codes (o, 0..in) in original input order, code i at bits
 *                                          [i·bits, (i+1)·bits) (for 3 bits, 32 codes fill 3 words with
 *                                          codes 10 and 21 straddling words, as AutoGPTQ's pack does)
 * p.qzeros   int32 [nGroups, out·bits/32]  zero points packed the same way along the OUTPUT axis;
 *                                          format 'gptq' (v1) stores zero - 1, 'gptq_v2' stores zero
 * p.scales   f16   [nGroups, out]
 * p.g_idx    int32 [in]                    group of each original input column
 * ```
 * and W[o, i] = scales[g, o] · (q[i, o] - zero[g, o]) with g = g_idx[i], which is the QTensor's affine
 * formula. Act-order (a QTensor `perm`, stored column j = original column perm[j]) is expressed by
 * g_idx[perm[j]] = floor(j / groupSize); on import, columns are stably sorted by g_idx to recover a
 * permutation (within a group the order is free: every column of a group has the same scale and zero).
 *
 * Zero-point convention. The historical v1 format ('gptq', what transformers/optimum, AutoGPTQ and
 * vLLM read by default) subtracts 1 from every zero point before packing and adds it back after
 * unpacking; a zero point of 0 cannot be written in v1 (AutoGPTQ's packer wrote -1 and corrupted
 * the neighbouring fields), so `exportGptq` refuses it with format 'gptq' and asks for 'gptq_v2'
 * (GPTQModel's format, zero points stored as they are, `checkpoint_format: "gptq_v2"`). Symmetric
 * QTensors (zero 2^(bits-1)) are always valid v1. Default: 'gptq'.
 *
 * Not a quantizer and not the safetensors codec (safetensors.ts / safetensors-write.ts).
 */
import { DTypeError, FormatError, ShapeError, ValueError, checkOptions, describeValue, fmtShape } from '../errors.js';
import { quantInfo, type QuantDType } from '../dtype/table.js';
import { packBits, unpackBits, packedBytes } from '../dtype/pack.js';
import { roundToF16 } from '../dtype/half.js';
import { QTensor, checkQTensor } from '../qtensor.js';
import { Tensor, empty, tensor } from '../tensor.js';
import { checkCheckpointInput } from './args.js';
import { readConfig, type CheckpointFiles } from './checkpoint.js';
import { isJsonObject } from './json.js';
import { checkLayerParts, checkLayoutArgs, readLayoutCheckpoint, writeLayoutCheckpoint } from './layout-checkpoint.js';
import { gatherWords, scatterWords } from './packed-words.js';

/** Which zero-point convention a GPTQ checkpoint uses (see the file header). */
export type GptqFormat = 'gptq' | 'gptq_v2';

/** The four tensors of one GPTQ linear layer. */
export interface GptqTensors {
  readonly qweight: Tensor;
  readonly qzeros: Tensor;
  readonly scales: Tensor;
  readonly g_idx: Tensor;
}

/** The quantization config of a GPTQ checkpoint (`quantize_config.json` / `quantization_config`). */
export interface GptqConfig {
  readonly bits: 2 | 3 | 4 | 8;
  /** Columns per group; -1: one group per output channel (groupSize = in). */
  readonly group_size: number;
  /** Act-order: g_idx is not monotone. */
  readonly desc_act: boolean;
  readonly sym: boolean;
  readonly checkpoint_format: GptqFormat;
}

const GPTQ_DTYPES: Readonly<Record<number, QuantDType>> = { 2: 'int2', 3: 'int3', 4: 'int4', 8: 'int8' };

function checkExportable(q: QTensor, name: string): { out: number; inn: number; bits: number } {
  q.checkAlive();
  if (quantInfo(q.dtype).family !== 'affine') throw new DTypeError(`${name}: GPTQ stores affine integer codes (int2/3/4/8), got ${q.dtype}`);
  if (q.shape.length !== 2) throw new ShapeError(`${name}: GPTQ stores 2-D [out, in] weights, got shape ${fmtShape(q.shape)}`);
  if (q.qparams.inputScale) throw new ValueError(`${name}: GPTQ has no unfolded input scales; fold the AWQ scales into the previous layer first`);
  const [out, inn] = q.shape;
  const bits = q.bits;
  if ((inn * bits) % 32 !== 0 || (out * bits) % 32 !== 0) {
    throw new ShapeError(`${name}: GPTQ packs ${bits}-bit codes in 32-bit words, so in·${bits} and out·${bits} must be multiples of 32; shape is ${fmtShape(q.shape)}`);
  }
  return { out, inn, bits };
}

/**
 * The GPTQ tensors of one affine QTensor [out, in] (see the file header for the layout).
 * @throws DTypeError / ShapeError / ValueError when the QTensor has no GPTQ equivalent (non-affine
 *   dtype, not 2-D, input scales, scales not f16 values, a zero point of 0 in format 'gptq')
 * @example
 * const g = qtensorToGptq(quantize(w, { dtype: 'int4', groupSize: 128, symmetric: true }));
 * g.qweight.shape; // [in / 8, out]
 */
export function qtensorToGptq(q: QTensor, format: GptqFormat = 'gptq', name = 'QTensor'): GptqTensors {
  checkQTensor('qtensorToGptq', q);
  const { out, inn, bits } = checkExportable(q, name);
  const qp = q.qparams;
  const { rowBytes, nGroups } = q.geometry;
  const gs = qp.groupSize;
  const sIn = qp.scales!.data() as Float32Array;
  for (let i = 0; i < sIn.length; i++) {
    if (roundToF16(sIn[i]) !== sIn[i]) {
      throw new ValueError(`${name}: scale ${sIn[i]} is not an f16 value and GPTQ stores f16 scales; quantize with scaleDtype 'f16'`);
    }
  }
  const zIn = qp.zeros ? (qp.zeros.data() as Uint8Array) : null;
  const perm = qp.perm ? (qp.perm.data() as Int32Array) : null;
  const symZero = 2 ** (bits - 1);
  const shift = format === 'gptq' ? 1 : 0;
  // Per row o: unpack the stored codes, undo act-order, pack along the input axis.
  const qweight = new Int32Array((inn * bits) / 32 * out);
  const codes = q.codeBytes().slice();
  const stored = new Uint8Array(inn);
  const orig = new Uint8Array(inn);
  for (let o = 0; o < out; o++) {
    unpackBits(codes.subarray(o * rowBytes, (o + 1) * rowBytes), bits, inn, stored);
    if (perm) for (let j = 0; j < inn; j++) orig[perm[j]] = stored[j];
    else orig.set(stored);
    scatterWords(packBits(orig, bits), qweight, o, out);
  }
  const zWords = (out * bits) / 32;
  const qzeros = new Int32Array(nGroups * zWords);
  const scales = new Float32Array(nGroups * out);
  const zrow = new Uint8Array(out);
  for (let g = 0; g < nGroups; g++) {
    for (let o = 0; o < out; o++) {
      const at = qp.perTensor ? 0 : o * nGroups + g;
      const z = zIn ? zIn[at] : symZero;
      if (z - shift < 0) {
        throw new ValueError(`${name}: zero point 0 (row ${o}, group ${g}) cannot be stored in GPTQ v1 (which stores zero - 1); export with format 'gptq_v2'`);
      }
      zrow[o] = z - shift;
      scales[g * out + o] = sIn[at];
    }
    scatterWords(packBits(zrow, bits), qzeros, g * zWords, 1);
  }
  const gIdx = new Int32Array(inn);
  for (let j = 0; j < inn; j++) gIdx[perm ? perm[j] : j] = Math.floor(j / gs);
  return {
    qweight: tensor(qweight, [(inn * bits) / 32, out], 'int32'),
    qzeros: tensor(qzeros, [nGroups, (out * bits) / 32], 'int32'),
    scales: tensor(scales, [nGroups, out], 'f16'),
    g_idx: tensor(gIdx, [inn], 'int32'),
  };
}

function expectTensor(t: Tensor, what: string, dtype: string, shape: readonly number[]): void {
  if (t.dtype !== dtype) throw new FormatError(`${what} must be ${dtype}, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new FormatError(`${what} must have shape ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}

/**
 * The QTensor [out, in] of one GPTQ layer: codes re-packed along the input axis of each output row,
 * act-order recovered from g_idx, scales widened from f16, zero points (v1: plus one) stored unless
 * every zero equals 2^(bits-1) and `sym` is set.
 * @throws FormatError naming `name` when shapes, dtypes, zero points or g_idx are inconsistent
 * @example
 * const q = gptqToQTensor(layer, { bits: 4, group_size: 128, desc_act: false, sym: true, checkpoint_format: 'gptq' });
 */
export function gptqToQTensor(t: GptqTensors, config: GptqConfig, name = 'GPTQ layer'): QTensor {
  checkLayerParts('gptqToQTensor', t, ['qweight', 'qzeros', 'scales', 'g_idx']);
  if (!isJsonObject(config)) throw new ValueError(`gptqToQTensor: config must be a GPTQ config object { bits, group_size, ... }, got ${describeValue(config)}`);
  const bits = config.bits;
  const dtype = GPTQ_DTYPES[bits];
  if (!dtype) throw new FormatError(`${name}: GPTQ bits must be 2, 3, 4 or 8, got ${bits}`);
  if (t.qweight.ndim !== 2) throw new FormatError(`${name}.qweight must be 2-D, got ${fmtShape(t.qweight.shape)}`);
  const [words, out] = t.qweight.shape;
  const inn = (words * 32) / bits;
  const gs = config.group_size === -1 ? inn : config.group_size;
  if (!Number.isInteger(gs) || gs < 1) throw new FormatError(`${name}: group_size must be -1 or a positive integer, got ${config.group_size}`);
  const nGroups = Math.ceil(inn / gs);
  if ((out * bits) % 32 !== 0) throw new FormatError(`${name}: out ${out} times ${bits} bits is not a whole number of 32-bit words`);
  const zWords = (out * bits) / 32;
  expectTensor(t.qweight, `${name}.qweight`, 'int32', [words, out]);
  expectTensor(t.qzeros, `${name}.qzeros`, 'int32', [nGroups, zWords]);
  expectTensor(t.g_idx, `${name}.g_idx`, 'int32', [inn]);
  if (t.scales.dtype !== 'f16' && t.scales.dtype !== 'bf16' && t.scales.dtype !== 'f32') {
    throw new FormatError(`${name}.scales must be f16, bf16 or f32, got ${t.scales.dtype}`);
  }
  expectTensor(t.scales, `${name}.scales`, t.scales.dtype, [nGroups, out]);
  const scaleDtype = t.scales.dtype;

  // Act-order: stable sort of input columns by group must give groups of groupSize in order.
  const gIdx = t.g_idx.data() as Int32Array;
  const order = Array.from({ length: inn }, (_, i) => i);
  let identity = true;
  for (let i = 0; i < inn; i++) {
    if (gIdx[i] < 0 || gIdx[i] >= nGroups) throw new FormatError(`${name}.g_idx[${i}] = ${gIdx[i]} is outside 0..${nGroups - 1}`);
    if (gIdx[i] !== Math.floor(i / gs)) identity = false;
  }
  if (!identity) {
    order.sort((a, b) => gIdx[a] - gIdx[b] || a - b);
    for (let j = 0; j < inn; j++) {
      if (gIdx[order[j]] !== Math.floor(j / gs)) {
        throw new FormatError(`${name}.g_idx does not assign ${gs} columns to each group (group ${Math.floor(j / gs)} differs), so it is not an act-order permutation`);
      }
    }
  }

  const qw = t.qweight.data() as Int32Array;
  const rowBytes = packedBytes(inn, bits);
  const codes = new Uint8Array(out * rowBytes);
  const orig = new Uint8Array(inn);
  const stored = new Uint8Array(inn);
  for (let o = 0; o < out; o++) {
    unpackBits(gatherWords(qw, o, out, words), bits, inn, orig);
    for (let j = 0; j < inn; j++) stored[j] = orig[order[j]];
    codes.set(packBits(stored, bits), o * rowBytes);
  }

  const shift = config.checkpoint_format === 'gptq' ? 1 : 0;
  const mask = 2 ** bits - 1;
  const qz = t.qzeros.data() as Int32Array;
  const zeros = new Uint8Array(out * nGroups);
  const sc = t.scales.toFloat32();
  const scales = new Float32Array(out * nGroups);
  const zrow = new Uint8Array(out);
  let allSym = true;
  for (let g = 0; g < nGroups; g++) {
    unpackBits(gatherWords(qz, g * zWords, 1, zWords), bits, out, zrow);
    for (let o = 0; o < out; o++) {
      const z = zrow[o] + shift;
      if (z > mask) {
        throw new FormatError(`${name}.qzeros: zero point ${z} (stored ${zrow[o]} in ${config.checkpoint_format}) at group ${g}, column ${o} is outside 0..${mask}`);
      }
      if (z !== 2 ** (bits - 1)) allSym = false;
      zeros[o * nGroups + g] = z;
      scales[o * nGroups + g] = sc[g * out + o];
    }
  }
  const symmetric = config.sym && allSym;
  const perm = identity ? undefined : tensor(Int32Array.from(order), [inn], 'int32');
  const codesT = empty([out, rowBytes], 'uint8');
  (codesT.raw() as Uint8Array).set(codes);
  try {
    return new QTensor(dtype, [out, inn], codesT, {
      groupSize: gs,
      perTensor: false,
      scales: tensor(scales, [out, nGroups], 'f32'),
      scaleDtype,
      zeros: symmetric ? undefined : tensor(zeros, [out, nGroups], 'uint8'),
      symmetric,
      perm,
    });
  } catch (e) {
    throw new FormatError(`${name}: the GPTQ tensors do not form a valid ${dtype} QTensor: ${(e as Error).message}`);
  }
}

/** Options of `exportGptq`. */
export interface ExportGptqOptions {
  /** Zero-point convention (default 'gptq', v1; see the file header). */
  readonly format?: GptqFormat;
  /** The model's config.json: written back with `quantization_config` added. Omitted: no config.json. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Shard size for the safetensors files (default: transformers' 5 GB). */
  readonly maxShardBytes?: number;
}

/** The GPTQ config of a set of QTensors: they must agree on bits and group size. */
function configOf(qs: readonly [string, QTensor][], format: GptqFormat): GptqConfig {
  if (qs.length === 0) throw new ValueError('exportGptq needs at least one QTensor');
  const [n0, q0] = qs[0];
  const gsOf = (q: QTensor) => (q.qparams.perTensor || q.qparams.groupSize >= q.shape[1] ? -1 : q.qparams.groupSize);
  for (const [n, q] of qs) {
    if (q.bits !== q0.bits || gsOf(q) !== gsOf(q0)) {
      throw new ValueError(`GPTQ checkpoints have one bits/group_size for every layer: ${n0} is ${q0.dtype} group ${gsOf(q0)}, ${n} is ${q.dtype} group ${gsOf(q)}`);
    }
  }
  return {
    bits: q0.bits as GptqConfig['bits'],
    group_size: gsOf(q0),
    desc_act: qs.some(([, q]) => q.qparams.perm !== undefined),
    sym: qs.every(([, q]) => q.qparams.symmetric),
    checkpoint_format: format,
  };
}

/**
 * Writes a checkpoint directory in the GPTQ layout: each QTensor `p.weight` as p.qweight / p.qzeros /
 * p.scales / p.g_idx, dense tensors as they are, `quantize_config.json` (AutoGPTQ) and, when a model
 * config is given, config.json with `quantization_config` (transformers). All QTensors must share bits
 * and group size. Every file is written atomically.
 * @returns the config written
 * @example
 * await exportGptq('out-gptq', { 'model.layers.0.mlp.up_proj.weight': q, 'model.norm.weight': n }, { config: await readConfig(dir) });
 */
export async function exportGptq(
  dir: string,
  tensors: Readonly<Record<string, Tensor | QTensor>>,
  opts: ExportGptqOptions = {},
): Promise<GptqConfig> {
  checkLayoutArgs('exportGptq', dir, tensors);
  checkOptions('exportGptq', opts);
  const format = opts.format ?? 'gptq';
  const qs = Object.entries(tensors).filter((e): e is [string, QTensor] => e[1] instanceof QTensor);
  const config = configOf(qs, format);
  const qc = {
    ...config,
    quant_method: 'gptq',
    static_groups: false,
    true_sequential: true,
    damp_percent: 0.01,
    model_file_base_name: 'model',
    meta: { quantizer: ['quantensor'] },
  };
  const files: Record<string, unknown> = { 'quantize_config.json': qc };
  if (opts.config) files['config.json'] = { ...opts.config, quantization_config: qc };
  await writeLayoutCheckpoint(dir, tensors, (q, name) => ({ ...qtensorToGptq(q, format, name) }), files, opts.maxShardBytes);
  return config;
}

function parseGptqConfig(raw: unknown, label: string): GptqConfig {
  if (!isJsonObject(raw)) throw new FormatError(`${label}: quantization config must be an object`);
  if (raw.quant_method !== undefined && raw.quant_method !== 'gptq') {
    throw new FormatError(`${label}: quant_method is ${JSON.stringify(raw.quant_method)}, not "gptq"`);
  }
  const bits = raw.bits;
  if (bits !== 2 && bits !== 3 && bits !== 4 && bits !== 8) throw new FormatError(`${label}: bits must be 2, 3, 4 or 8, got ${JSON.stringify(bits)}`);
  const gs = raw.group_size ?? -1;
  if (typeof gs !== 'number' || !(gs === -1 || (Number.isInteger(gs) && gs > 0))) {
    throw new FormatError(`${label}: group_size must be -1 or a positive integer, got ${JSON.stringify(gs)}`);
  }
  const fmt = raw.checkpoint_format ?? raw.format ?? 'gptq';
  if (fmt !== 'gptq' && fmt !== 'gptq_v2') throw new FormatError(`${label}: checkpoint_format ${JSON.stringify(fmt)} is not "gptq" or "gptq_v2"`);
  return { bits, group_size: gs, desc_act: raw.desc_act === true, sym: raw.sym !== false, checkpoint_format: fmt };
}

/**
 * Reads a GPTQ checkpoint directory (or a browser file map): the config from quantize_config.json or
 * config.json's `quantization_config`, every `p.qweight` group as a QTensor `p.weight`, and every
 * other tensor as it is. Reads the whole checkpoint into memory.
 * @throws FormatError naming the file and layer when the layout is inconsistent
 * @example
 * const { tensors, config } = await importGptq('out-gptq');
 * dequantize(tensors['model.layers.0.mlp.up_proj.weight'] as QTensor);
 */
export async function importGptq(input: string | CheckpointFiles): Promise<{ tensors: Record<string, Tensor | QTensor>; config: GptqConfig }> {
  checkCheckpointInput('importGptq', input);
  let rawConfig: unknown;
  let label = 'quantize_config.json';
  try {
    rawConfig = await readConfig(input, 'quantize_config.json');
  } catch (e) {
    if (!(e instanceof FormatError) || !/not found/.test(e.message)) throw e;
    const cfg = await readConfig(input);
    label = 'config.json quantization_config';
    rawConfig = cfg.quantization_config;
    if (rawConfig === undefined) throw new FormatError(`${typeof input === 'string' ? input : '<files>'}: no quantize_config.json and no quantization_config in config.json`);
  }
  const config = parseGptqConfig(rawConfig, label);
  const tensors = await readLayoutCheckpoint(input, 'qweight', ['qweight', 'qzeros', 'scales', 'g_idx'], (p, name) =>
    gptqToQTensor(p as unknown as GptqTensors, config, name),
  );
  return { tensors, config };
}
