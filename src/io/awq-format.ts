/**
 * The AutoAWQ "GEMM" checkpoint layout (what AutoAWQ saves and transformers / vLLM load with
 * `quant_method: "awq", version: "gemm"`), to and from int4 QTensors. A linear layer `p.weight`
 * [out, in] becomes:
 *
 * ```
 * p.qweight  int32 [in, out/8]        codes packed along the OUTPUT axis, 8 per word, interleaved:
 *                                     nibble k of word (i, c) holds output channel 8c + ORDER[k],
 *                                     ORDER = [0, 2, 4, 6, 1, 3, 5, 7] (the GEMM kernel's order)
 * p.qzeros   int32 [in/groupSize, out/8]   zero points, packed and interleaved the same way (no offset)
 * p.scales   f16   [in/groupSize, out]
 * ```
 * W[o, i] = scales[g, o] · (q[i, o] - zero[g, o]), g = floor(i / groupSize): the QTensor affine
 * formula with groups along the input axis in original order. So only int4 QTensors without act-order
 * (AWQ has no g_idx), with f16 scales, no unfolded input scales (fold them first) and groups that
 * divide `in` can be written. Symmetric QTensors are written with explicit zero points 8.
 * Not the AWQ scale search (src/quantizers/awq.ts).
 */
import { DTypeError, FormatError, ShapeError, ValueError, checkOptions, describeValue, fmtShape } from '../errors.js';
import { packBits, packedBytes, unpackBits } from '../dtype/pack.js';
import { roundToF16 } from '../dtype/half.js';
import { QTensor, checkQTensor } from '../qtensor.js';
import { Tensor, empty, tensor } from '../tensor.js';
import { checkCheckpointInput } from './args.js';
import { readConfig, type CheckpointFiles } from './checkpoint.js';
import { isJsonObject } from './json.js';
import { checkLayerParts, checkLayoutArgs, readLayoutCheckpoint, writeLayoutCheckpoint } from './layout-checkpoint.js';
import { gatherWords, scatterWords } from './packed-words.js';

/** Nibble k of a packed word holds channel ORDER[k] of its 8 (AutoAWQ's `AWQ_ORDER`). */
export const AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7] as const;

/** The three tensors of one AWQ GEMM linear layer. */
export interface AwqTensors {
  readonly qweight: Tensor;
  readonly qzeros: Tensor;
  readonly scales: Tensor;
}

/** The `quantization_config` of an AWQ checkpoint. */
export interface AwqConfig {
  readonly bits: 4;
  readonly group_size: number;
  readonly zero_point: boolean;
  readonly version: 'gemm';
}

/** Interleaves a row of codes (length a multiple of 8) into AWQ nibble order and packs it to words. */
function packInterleaved(codes: Uint8Array): Uint8Array {
  const inter = new Uint8Array(codes.length);
  for (let c = 0; c < codes.length; c += 8) for (let k = 0; k < 8; k++) inter[c + k] = codes[c + AWQ_ORDER[k]];
  return packBits(inter, 4);
}

/** Inverse of `packInterleaved`: `n` codes in channel order. */
function unpackInterleaved(bytes: Uint8Array, n: number): Uint8Array {
  const inter = unpackBits(bytes, 4, n);
  const codes = new Uint8Array(n);
  for (let c = 0; c < n; c += 8) for (let k = 0; k < 8; k++) codes[c + AWQ_ORDER[k]] = inter[c + k];
  return codes;
}

/**
 * The AWQ GEMM tensors of an int4 QTensor [out, in].
 * @throws DTypeError / ShapeError / ValueError when the QTensor has no AWQ equivalent
 * @example
 * const a = qtensorToAwq(quantize(w, { dtype: 'int4', groupSize: 128 }));
 * a.qweight.shape; // [in, out / 8]
 */
export function qtensorToAwq(q: QTensor, name = 'QTensor'): AwqTensors {
  checkQTensor('qtensorToAwq', q);
  q.checkAlive();
  if (q.dtype !== 'int4') throw new DTypeError(`${name}: the AWQ GEMM layout stores int4 codes, got ${q.dtype}`);
  if (q.shape.length !== 2) throw new ShapeError(`${name}: AWQ stores 2-D [out, in] weights, got shape ${fmtShape(q.shape)}`);
  const [out, inn] = q.shape;
  const qp = q.qparams;
  if (qp.perm) throw new ValueError(`${name}: AWQ has no g_idx, so act-order (perm) cannot be stored; export it as GPTQ`);
  if (qp.inputScale) throw new ValueError(`${name}: AWQ checkpoints carry no input scales; fold them into the previous layer first`);
  const gs = qp.perTensor ? inn : qp.groupSize;
  if (out % 8 !== 0 || inn % gs !== 0) {
    throw new ShapeError(`${name}: AWQ needs out a multiple of 8 and groups dividing in; shape ${fmtShape(q.shape)}, group ${gs}`);
  }
  const nGroups = inn / gs;
  const sIn = qp.scales!.data() as Float32Array;
  for (let i = 0; i < sIn.length; i++) {
    if (roundToF16(sIn[i]) !== sIn[i]) throw new ValueError(`${name}: scale ${sIn[i]} is not an f16 value and AWQ stores f16 scales; quantize with scaleDtype 'f16'`);
  }
  const zIn = qp.zeros ? (qp.zeros.data() as Uint8Array) : null;
  const { rowBytes } = q.geometry;
  const codes = unpackBits(q.codeBytes().slice(), 4, out * (rowBytes * 2));
  const words = out / 8;
  const qweight = new Int32Array(inn * words);
  const col = new Uint8Array(out);
  for (let i = 0; i < inn; i++) {
    for (let o = 0; o < out; o++) col[o] = codes[o * rowBytes * 2 + i];
    scatterWords(packInterleaved(col), qweight, i * words, 1);
  }
  const qzeros = new Int32Array(nGroups * words);
  const scales = new Float32Array(nGroups * out);
  for (let g = 0; g < nGroups; g++) {
    for (let o = 0; o < out; o++) {
      const at = qp.perTensor ? 0 : o * q.geometry.nGroups + g;
      col[o] = zIn ? zIn[at] : 8;
      scales[g * out + o] = sIn[at];
    }
    scatterWords(packInterleaved(col), qzeros, g * words, 1);
  }
  return {
    qweight: tensor(qweight, [inn, words], 'int32'),
    qzeros: tensor(qzeros, [nGroups, words], 'int32'),
    scales: tensor(scales, [nGroups, out], 'f16'),
  };
}

function expectShape(t: Tensor, what: string, dtype: string, shape: readonly number[]): void {
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new FormatError(`${what} must be ${dtype} ${fmtShape(shape)}, got ${t.dtype} ${fmtShape(t.shape)}`);
  }
}

/**
 * The int4 QTensor [out, in] of one AWQ GEMM layer (asymmetric unless `zero_point` is false and every
 * zero is 8).
 * @throws FormatError naming `name` when shapes or dtypes are inconsistent
 * @example
 * const q = awqToQTensor(layer, { bits: 4, group_size: 128, zero_point: true, version: 'gemm' });
 */
export function awqToQTensor(t: AwqTensors, config: AwqConfig, name = 'AWQ layer'): QTensor {
  checkLayerParts('awqToQTensor', t, ['qweight', 'qzeros', 'scales']);
  if (!isJsonObject(config)) throw new ValueError(`awqToQTensor: config must be an AWQ config object { bits, group_size, ... }, got ${describeValue(config)}`);
  if (t.qweight.ndim !== 2) throw new FormatError(`${name}.qweight must be 2-D, got ${fmtShape(t.qweight.shape)}`);
  const [inn, words] = t.qweight.shape;
  const out = words * 8;
  const gs = config.group_size === -1 ? inn : config.group_size;
  if (!Number.isInteger(gs) || gs < 1 || inn % gs !== 0) throw new FormatError(`${name}: group_size ${config.group_size} does not divide in = ${inn}`);
  const nGroups = inn / gs;
  expectShape(t.qweight, `${name}.qweight`, 'int32', [inn, words]);
  expectShape(t.qzeros, `${name}.qzeros`, 'int32', [nGroups, words]);
  expectShape(t.scales, `${name}.scales`, t.scales.dtype === 'f32' ? 'f32' : t.scales.dtype === 'bf16' ? 'bf16' : 'f16', [nGroups, out]);
  const qw = t.qweight.data() as Int32Array;
  const rowBytes = packedBytes(inn, 4);
  const codesByRow = new Uint8Array(out * inn);
  for (let i = 0; i < inn; i++) {
    const c = unpackInterleaved(gatherWords(qw, i * words, 1, words), out);
    for (let o = 0; o < out; o++) codesByRow[o * inn + i] = c[o];
  }
  const codes = empty([out, rowBytes], 'uint8');
  const packed = new Uint8Array(out * rowBytes);
  for (let o = 0; o < out; o++) packed.set(packBits(codesByRow.subarray(o * inn, (o + 1) * inn), 4), o * rowBytes);
  (codes.raw() as Uint8Array).set(packed);
  const qz = t.qzeros.data() as Int32Array;
  const sc = t.scales.toFloat32();
  const zeros = new Uint8Array(out * nGroups);
  const scales = new Float32Array(out * nGroups);
  let allEight = true;
  for (let g = 0; g < nGroups; g++) {
    const z = unpackInterleaved(gatherWords(qz, g * words, 1, words), out);
    for (let o = 0; o < out; o++) {
      zeros[o * nGroups + g] = z[o];
      scales[o * nGroups + g] = sc[g * out + o];
      if (z[o] !== 8) allEight = false;
    }
  }
  const symmetric = !config.zero_point && allEight;
  try {
    return new QTensor('int4', [out, inn], codes, {
      groupSize: gs,
      perTensor: false,
      scales: tensor(scales, [out, nGroups], 'f32'),
      scaleDtype: t.scales.dtype as 'f16' | 'bf16' | 'f32',
      zeros: symmetric ? undefined : tensor(zeros, [out, nGroups], 'uint8'),
      symmetric,
    });
  } catch (e) {
    throw new FormatError(`${name}: the AWQ tensors do not form a valid int4 QTensor: ${(e as Error).message}`);
  }
}

/**
 * Writes a checkpoint directory in the AWQ GEMM layout: each int4 QTensor `p.weight` as p.qweight /
 * p.qzeros / p.scales, dense tensors as they are, and config.json (the given model config, or an
 * empty object) with `quantization_config`. All QTensors must share one group size.
 * @returns the quantization config written
 * @example
 * await exportAwq('out-awq', tensors, { config: await readConfig(srcDir) });
 */
export async function exportAwq(
  dir: string,
  tensors: Readonly<Record<string, Tensor | QTensor>>,
  opts: { config?: Readonly<Record<string, unknown>>; maxShardBytes?: number } = {},
): Promise<AwqConfig> {
  checkLayoutArgs('exportAwq', dir, tensors);
  checkOptions('exportAwq', opts);
  const qs = Object.entries(tensors).filter((e): e is [string, QTensor] => e[1] instanceof QTensor);
  if (qs.length === 0) throw new ValueError('exportAwq needs at least one QTensor');
  const gsOf = (q: QTensor) => (q.qparams.perTensor ? q.shape[1] : q.qparams.groupSize);
  for (const [n, q] of qs) {
    if (gsOf(q) !== gsOf(qs[0][1])) throw new ValueError(`AWQ checkpoints have one group_size: ${qs[0][0]} uses ${gsOf(qs[0][1])}, ${n} uses ${gsOf(q)}`);
  }
  const config: AwqConfig = { bits: 4, group_size: gsOf(qs[0][1]), zero_point: qs.some(([, q]) => !q.qparams.symmetric), version: 'gemm' };
  const qc = { quant_method: 'awq', ...config, modules_to_not_convert: null };
  await writeLayoutCheckpoint(dir, tensors, (q, name) => ({ ...qtensorToAwq(q, name) }), { 'config.json': { ...(opts.config ?? {}), quantization_config: qc } }, opts.maxShardBytes);
  return config;
}

/**
 * Reads an AWQ GEMM checkpoint directory (or a browser file map): `quantization_config` from
 * config.json, each `p.qweight` group as an int4 QTensor `p.weight`, other tensors as they are.
 * @throws FormatError when the config is not AWQ GEMM 4-bit or a layer is inconsistent
 * @example
 * const { tensors } = await importAwq('out-awq');
 */
export async function importAwq(input: string | CheckpointFiles): Promise<{ tensors: Record<string, Tensor | QTensor>; config: AwqConfig }> {
  checkCheckpointInput('importAwq', input);
  const cfg = await readConfig(input);
  const qc = cfg.quantization_config;
  const label = 'config.json quantization_config';
  if (!isJsonObject(qc) || qc.quant_method !== 'awq') throw new FormatError(`${label}: quant_method must be "awq"`);
  const version = String(qc.version ?? 'gemm').toLowerCase();
  if (version !== 'gemm') throw new FormatError(`${label}: only the GEMM layout is supported, got version ${JSON.stringify(qc.version)}`);
  const bits = qc.bits ?? qc.w_bit;
  if (bits !== 4) throw new FormatError(`${label}: AWQ GEMM stores 4-bit codes, got bits ${JSON.stringify(bits)}`);
  const gs = qc.group_size ?? qc.q_group_size;
  if (typeof gs !== 'number') throw new FormatError(`${label}: group_size must be a number, got ${JSON.stringify(gs)}`);
  const config: AwqConfig = { bits: 4, group_size: gs, zero_point: qc.zero_point !== false, version: 'gemm' };
  const tensors = await readLayoutCheckpoint(input, 'qweight', ['qweight', 'qzeros', 'scales'], (p, name) => awqToQTensor(p as unknown as AwqTensors, config, name));
  return { tensors, config };
}
