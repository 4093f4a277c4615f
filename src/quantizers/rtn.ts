/**
 * Round-to-nearest (RTN) for every quantized dtype (int2..int8, fp4, nf4, mxfp4; codebook with a given
 * codebook: the nearest codeword), with an optional clipping search for the scalar ones: the range of each (row, group) is shrunk over a grid of factors
 * p = 1, 1 − s/grid, ..., 1 − s(grid−1)/grid (s = maxShrink) and the factor with the smallest error
 * is kept, per (row, group). The error is Σ|w − q|^norm (IST-DASLab/gptq quant.py, `mse` mode: grid
 * 100, maxshrink 0.8, norm 2.4), or, given a Hessian, the group's output error δᵀ H_gg δ (AWQ's
 * auto_clip, scored on the layer input instead of on the weights).
 *
 * Grids, codes and packing are src/ops/quant.ts (`chooseQParams` with its `clip` option, `quantize`);
 * this file only searches the clip factor. Not GPTQ (./gptq.ts), which uses `chooseGroupQParams` for
 * its groups.
 */
import { ShapeError, ValueError, checkOptions, fmtShape } from '../errors.js';
import { checkQuantDType, quantInfo, type QuantDType, type ScaleDType } from '../dtype/table.js';
import type { QParams, QTensor } from '../qtensor.js';
import { chooseQParams, dequantize, quantize, type QuantizeOptions } from '../ops/quant.js';
import { Tensor, checkTensor, empty } from '../tensor.js';
import { fromArray } from './arrays.js';
import { Phases, makeReport, type QuantReport } from './report.js';
import { groupOutputErrors } from './hessian.js';

/** Clipping search settings (all optional). */
export interface ClipSearchOptions {
  /** Number of shrink factors tried, including 1 (default 20). */
  readonly grid?: number;
  /** The smallest factor tried is 1 − maxShrink · (grid − 1) / grid (default 0.8). */
  readonly maxShrink?: number;
  /** Exponent p of the weight error Σ|w − q|^p (default 2.4, as quant.py). Ignored when `hessian` is given. */
  readonly norm?: number;
  /** Score by output error δᵀ H_gg δ per (row, group) instead: H [cols, cols] (e.g. 2/n Σ xᵀx). */
  readonly hessian?: Tensor;
}

/** Options of `rtn` and `chooseGroupQParams`: those of `quantize` plus the clip search. */
export interface RtnOptions {
  readonly dtype: QuantDType;
  /** Columns per group, or 'channel' (default). mxfp4: 32. */
  readonly groupSize?: number | 'channel';
  readonly symmetric?: boolean;
  readonly scaleDtype?: ScaleDType;
  /** true for the defaults, or settings; false/absent: plain RTN over the full range. */
  readonly clipSearch?: boolean | ClipSearchOptions;
  /** AWQ input scales (see QuantizeOptions.inputScale); errors are measured on the original weight. */
  readonly inputScale?: Tensor | ArrayLike<number>;
  /** codebook dtype only: the codebook [2^indexBits, vectorDim] (RTN = nearest codeword); no clip search. */
  readonly codebook?: Tensor;
}

/** Extras of an RTN report. */
export interface RtnExtras {
  /** Mean chosen clip factor over all (row, group) pairs (1 without a clip search). */
  readonly meanClip: number;
}

/** A clip search with its defaults filled in, or null for none. */
export function resolveClipSearch(c: boolean | ClipSearchOptions | undefined): Required<Omit<ClipSearchOptions, 'hessian'>> & { hessian?: Tensor } | null {
  if (!c) return null;
  const o = c === true ? {} : c;
  const grid = o.grid ?? 20;
  const maxShrink = o.maxShrink ?? 0.8;
  const norm = o.norm ?? 2.4;
  if (!Number.isInteger(grid) || grid < 1) throw new ValueError(`clipSearch.grid must be a positive integer, got ${grid}`);
  if (!(maxShrink >= 0 && maxShrink < 1)) throw new ValueError(`clipSearch.maxShrink must be in [0, 1), got ${maxShrink}`);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new ValueError(`clipSearch.norm must be a positive number, got ${norm}`);
  return { grid, maxShrink, norm, hessian: o.hessian };
}

function quantizeOptions(opts: RtnOptions, clip: number): QuantizeOptions {
  checkQuantDType('rtn', opts.dtype);
  const facts = quantInfo(opts.dtype);
  if (facts.family === 'codebook') {
    if (!opts.codebook) throw new ValueError(`RTN with the ${opts.dtype} dtype needs opts.codebook (a learned codebook comes from VQ)`);
    if (opts.clipSearch) throw new ValueError(`the clip search applies to scalar dtypes, not to ${opts.dtype}`);
    return { dtype: opts.dtype, groupSize: opts.groupSize, codebook: opts.codebook, inputScale: opts.inputScale };
  }
  if (opts.codebook) throw new ValueError(`opts.codebook applies to the codebook dtype only, not ${opts.dtype}`);
  return {
    dtype: opts.dtype,
    groupSize: opts.groupSize ?? facts.blockSize ?? 'channel',
    symmetric: opts.symmetric,
    scaleDtype: opts.scaleDtype,
    clip,
    inputScale: opts.inputScale,
  };
}

/**
 * Chooses scales (and zero points) for `x` [rows, cols], with the clip search when asked: every
 * (row, group) keeps the shrink factor with the smallest error. Returns the qparams (owned by the
 * caller) and the chosen factor of each (row, group).
 * @throws as chooseQParams; ShapeError unless x is 2-D
 * @example
 * const { qparams, clip } = chooseGroupQParams(w, { dtype: 'int3', groupSize: 128, clipSearch: true });
 * const q = quantize(w, { dtype: 'int3', qparams });
 */
export function chooseGroupQParams(x: Tensor, opts: RtnOptions): { qparams: QParams; clip: Float64Array } {
  if (!(x instanceof Tensor) || x.ndim !== 2) throw new ShapeError(`RTN expects a weight [rows, cols], got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`);
  const [rows, cols] = x.shape;
  const search = resolveClipSearch(opts.clipSearch);
  if (!search) {
    const qparams = chooseQParams(x, quantizeOptions(opts, 1));
    const nG = qparams.scales ? qparams.scales.shape[1] : 1;
    return { qparams, clip: new Float64Array(rows * nG).fill(1) };
  }
  const first = quantize(x, quantizeOptions(opts, 1));
  const { nGroups } = first.geometry;
  const gs = first.qparams.groupSize;
  const clip = new Float64Array(rows * nGroups).fill(1);
  if (search.hessian && (search.hessian.ndim !== 2 || search.hessian.shape[0] !== cols || search.hessian.shape[1] !== cols)) {
    throw new ShapeError(`clipSearch.hessian must be [${cols},${cols}] for weight ${fmtShape(x.shape)}, got ${fmtShape(search.hessian.shape)}`);
  }
  const w = x.dtype === 'f64' ? (x.data() as Float64Array) : Float64Array.from(x.toFloat32());
  const fq = first.qparams;
  const scales = fq.scales!.data() as Float32Array;
  const zeros = fq.zeros ? (fq.zeros.data() as Uint8Array) : null;
  const best = errorsOf(first, w, rows, cols, gs, search);
  const qparams: QParams = {
    groupSize: fq.groupSize,
    perTensor: fq.perTensor,
    scaleDtype: fq.scaleDtype,
    symmetric: fq.symmetric,
    ...(fq.inputScale ? { inputScale: fromArray(fq.inputScale.data() as Float32Array, [cols], 'f32') } : {}),
  };
  first.dispose();
  for (let i = 1; i < search.grid; i++) {
    const p = 1 - (i * search.maxShrink) / search.grid;
    const q = quantize(x, quantizeOptions(opts, p));
    const err = errorsOf(q, w, rows, cols, gs, search);
    const s = q.qparams.scales!.data() as Float32Array;
    const z = q.qparams.zeros ? (q.qparams.zeros.data() as Uint8Array) : null;
    for (let k = 0; k < err.length; k++) {
      if (err[k] < best[k]) {
        best[k] = err[k];
        scales[k] = s[k];
        if (zeros) zeros[k] = z![k];
        clip[k] = p;
      }
    }
    q.dispose();
  }
  return {
    qparams: {
      ...qparams,
      scales: fromArray(scales, [rows, nGroups], 'f32'),
      ...(zeros ? { zeros: fromArray(zeros, [rows, nGroups], 'uint8') } : {}),
    },
    clip,
  };
}

function errorsOf(q: QTensor, w: Float64Array, rows: number, cols: number, gs: number, search: NonNullable<ReturnType<typeof resolveClipSearch>>): Float64Array {
  const dq = dequantize(q);
  const v = dq.raw() as Float32Array;
  const nG = Math.ceil(cols / gs);
  let out: Float64Array;
  if (search.hessian) {
    const delta = new Float64Array(rows * cols);
    for (let i = 0; i < delta.length; i++) delta[i] = w[i] - v[i];
    dq.dispose();
    out = groupOutputErrors(delta, rows, cols, search.hessian, gs);
  } else {
    out = new Float64Array(rows * nG);
    const p = search.norm;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) out[r * nG + Math.floor(j / gs)] += Math.abs(w[r * cols + j] - v[r * cols + j]) ** p;
    }
    dq.dispose();
  }
  return out;
}

/**
 * Round-to-nearest quantization of a weight [rows, cols] (optionally with the clip search), with a
 * report (error: mean squared weight error).
 * @example
 * const { q, report } = rtn(w, { dtype: 'int4', groupSize: 128 });
 * const c = rtn(w, { dtype: 'int3', groupSize: 128, clipSearch: { grid: 40 } });
 * report.bitsPerWeight; // 4 + 16 / 128 + 4 / 128
 */
export function rtn(w: Tensor, opts: RtnOptions): { q: QTensor; report: QuantReport<RtnExtras> } {
  checkTensor('rtn', w, 'the weight');
  checkOptions('rtn', opts, 'required');
  const sw = new Phases();
  const { qparams, clip } = chooseGroupQParams(w, opts);
  sw.lap('choose');
  const q = quantize(w, { dtype: opts.dtype, qparams });
  for (const t of [qparams.scales, qparams.zeros, qparams.codebook, qparams.perm, qparams.inputScale]) t?.dispose(); // quantize copied them
  sw.lap('encode');
  const dq = dequantize(q);
  const a = dq.raw() as Float32Array;
  const b = w.dtype === 'f64' ? (w.data() as Float64Array) : w.toFloat32();
  let se = 0;
  for (let i = 0; i < b.length; i++) se += (a[i] - b[i]) ** 2;
  dq.dispose();
  let meanClip = 0;
  for (const c of clip) meanClip += c;
  const report = makeReport('rtn', q, { kind: 'weight', value: se / b.length }, sw.start, sw.record, { meanClip: meanClip / clip.length });
  return { q, report };
}
