/**
 * `quantensor inspect <file-or-dir>`: lists the tensors of a checkpoint without reading their data:
 * name, dtype, shape, bits per weight and bytes as stored. Understands a safetensors file, a
 * (sharded) Hugging Face checkpoint directory, the library's quantized format (QTensors shown with
 * their quantized dtype and the bytes of all their parts) and the GPTQ and AWQ layouts (each
 * qweight/qzeros/scales[/g_idx] group shown as one `intN` weight). Not a loader: nothing is decoded.
 */
import { FormatError } from '../errors.js';
import { openCheckpoint, readConfig } from '../io/checkpoint.js';
import { isJsonObject } from '../io/json.js';
import { openQuantized, type QuantizedReader } from '../io/quantized.js';
import type { TensorReader } from '../io/safetensors.js';
import { importFs } from '../io/sources.js';

/** One row of the listing. */
export interface InspectRow {
  readonly name: string;
  /** Library dtype (`bf16`, `int4`, ...). */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Logical elements. */
  readonly params: number;
  /** Bytes stored (all parts of a quantized tensor). */
  readonly bytes: number;
  /** bytes · 8 / params (NaN for an empty tensor). */
  readonly bitsPerWeight: number;
  /** 'dense', 'quantized' (library format), 'gptq' or 'awq'. */
  readonly kind: 'dense' | 'quantized' | 'gptq' | 'awq';
}

/** What `inspect` reports. */
export interface InspectReport {
  readonly path: string;
  readonly format: 'safetensors' | 'quantensor' | 'gptq' | 'awq';
  readonly files: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly InspectRow[];
  readonly totalParams: number;
  readonly totalBytes: number;
  /** totalBytes · 8 / totalParams. */
  readonly bitsPerWeight: number;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function row(name: string, dtype: string, shape: readonly number[], bytes: number, kind: InspectRow['kind']): InspectRow {
  const params = numel(shape);
  return { name, dtype, shape: [...shape], params, bytes, bitsPerWeight: params > 0 ? (bytes * 8) / params : NaN, kind };
}

/** A packed-int layout: its parts and how a layer's logical [out, in] follows from its qweight shape. */
interface PackedLayout {
  readonly kind: 'gptq' | 'awq';
  readonly bits: number;
  readonly parts: readonly string[];
  /** [out, in] from qweight's shape. */
  shape(qweight: readonly number[]): number[];
}

/** The packed layout of a directory, from quantize_config.json or config.json, or null. */
async function packedLayout(dir: string): Promise<PackedLayout | null> {
  for (const [file, key] of [['quantize_config.json', null], ['config.json', 'quantization_config']] as const) {
    let cfg: Record<string, unknown>;
    try {
      cfg = await readConfig(dir, file);
    } catch (e) {
      if (e instanceof FormatError && /not found/.test(e.message)) continue;
      throw e;
    }
    const qc = key ? cfg[key] : cfg;
    if (!isJsonObject(qc) || typeof qc.bits !== 'number') continue;
    const bits = qc.bits;
    if (qc.quant_method === undefined || qc.quant_method === 'gptq') {
      return { kind: 'gptq', bits, parts: ['qweight', 'qzeros', 'scales', 'g_idx'], shape: ([words, out]) => [out, (words * 32) / bits] };
    }
    if (qc.quant_method === 'awq') {
      return { kind: 'awq', bits, parts: ['qweight', 'qzeros', 'scales'], shape: ([inn, words]) => [(words * 32) / bits, inn] };
    }
  }
  return null;
}

function packedRows(ckpt: TensorReader, layout: PackedLayout): InspectRow[] {
  const rows: InspectRow[] = [];
  const prefixes = new Set(ckpt.names.filter((n) => n.endsWith('.qweight')).map((n) => n.slice(0, -'.qweight'.length)));
  const parts = new Set([...prefixes].flatMap((p) => layout.parts.map((k) => `${p}.${k}`)));
  for (const n of ckpt.names) {
    if (n.endsWith('.qweight') && prefixes.has(n.slice(0, -'.qweight'.length))) {
      const p = n.slice(0, -'.qweight'.length);
      const bytes = layout.parts.reduce((s, k) => s + (ckpt.has(`${p}.${k}`) ? ckpt.info(`${p}.${k}`).byteLength : 0), 0);
      rows.push(row(`${p}.weight`, `int${layout.bits}`, layout.shape(ckpt.info(n).shape), bytes, layout.kind));
    } else if (!parts.has(n)) {
      const i = ckpt.info(n);
      rows.push(row(n, i.dtype, i.shape, i.byteLength, 'dense'));
    }
  }
  return rows;
}

function quantizedRows(r: QuantizedReader): InspectRow[] {
  return r.names.map((n) => {
    const i = r.info(n);
    return row(n, i.dtype, i.shape, i.byteLength, i.kind);
  });
}

/**
 * Lists a checkpoint's tensors (no tensor data is read).
 * @example
 * const rep = await inspectPath('test/fixtures/tiny-llama-bytes');
 * rep.totalParams; // 9638784
 */
export async function inspectPath(path: string): Promise<InspectReport> {
  const fs = await importFs();
  const isDir = (await fs.stat(path)).isDirectory();
  let rows: InspectRow[];
  let format: InspectReport['format'];
  let files: readonly string[];
  let metadata: Readonly<Record<string, string>>;
  const layout = isDir ? await packedLayout(path) : null;
  if (layout !== null) {
    const ckpt = await openCheckpoint(path);
    try {
      rows = packedRows(ckpt, layout);
      files = ckpt.files;
      metadata = ckpt.metadata;
    } finally {
      await ckpt.close();
    }
    format = layout.kind;
  } else {
    const r = await openQuantized(isDir ? { checkpoint: path } : path);
    try {
      rows = quantizedRows(r);
      metadata = r.metadata;
      files = r.files;
    } finally {
      await r.close();
    }
    format = rows.some((x) => x.kind === 'quantized') ? 'quantensor' : 'safetensors';
  }
  const totalParams = rows.reduce((s, x) => s + x.params, 0);
  const totalBytes = rows.reduce((s, x) => s + x.bytes, 0);
  return { path, format, files, metadata, tensors: rows, totalParams, totalBytes, bitsPerWeight: totalParams > 0 ? (totalBytes * 8) / totalParams : NaN };
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/**
 * The report as an aligned text table with a summary line.
 * @example
 * console.log(formatInspect(await inspectPath('model.safetensors')));
 */
export function formatInspect(rep: InspectReport): string {
  const head = ['name', 'dtype', 'shape', 'bits/w', 'size'];
  const body = rep.tensors.map((t) => [
    t.name,
    t.dtype,
    `[${t.shape.join(', ')}]`,
    Number.isNaN(t.bitsPerWeight) ? '-' : t.bitsPerWeight.toFixed(t.kind === 'dense' ? 0 : 3),
    fmtBytes(t.bytes),
  ]);
  const width = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const right = new Set([3, 4]);
  const line = (r: string[]) => r.map((s, c) => (right.has(c) ? s.padStart(width[c]) : s.padEnd(width[c]))).join('  ').trimEnd();
  const byDtype = new Map<string, number>();
  for (const t of rep.tensors) byDtype.set(t.dtype, (byDtype.get(t.dtype) ?? 0) + t.params);
  const mix = [...byDtype].map(([d, n]) => `${d} ${((100 * n) / Math.max(1, rep.totalParams)).toFixed(1)}%`).join(', ');
  const summary =
    `${rep.path} (${rep.format}, ${rep.files.length} file${rep.files.length === 1 ? '' : 's'}): ${rep.tensors.length} tensors, ` +
    `${rep.totalParams.toLocaleString('en-US')} parameters, ${fmtBytes(rep.totalBytes)}, ` +
    `${Number.isNaN(rep.bitsPerWeight) ? '-' : rep.bitsPerWeight.toFixed(3)} bits/weight (${mix})`;
  const meta = Object.keys(rep.metadata).length > 0 ? [`metadata: ${JSON.stringify(rep.metadata)}`] : [];
  return [summary, ...meta, '', line(head), ...body.map(line)].join('\n');
}
