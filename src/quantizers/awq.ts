/**
 * AWQ (Lin et al. 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and
 * Acceleration"), after mit-han-lab/llm-awq and AutoAWQ: for a group of linears that share one input
 * (q/k/v after the attention norm, gate/up after the MLP norm, or a single linear), search one
 * per-input-channel scale s, quantize W·diag(s) and divide the input by s, so salient channels (large
 * mean |x|) get finer steps. Candidates (AutoAWQ's "duo scaling", §3.2 of the paper):
 *
 *   s_c(α) = mean|x_c|^α / mean|ŵ_c|^(1−α),  α ∈ {0, 1/grid, ..., (grid−1)/grid},
 *   normalised by sqrt(max s · min s),
 *
 * where ŵ is |W| divided by its group's max |W| (so mean|ŵ_c| is the relative weight magnitude of
 * channel c over all rows of all linears of the group). Each candidate is scored by the group's output
 * error Σ_l tr(Δ_l H Δ_lᵀ)/2 = mean over tokens of ‖(W_l − Q_l) x‖², with Q_l = deq(quant(W_l·s))/s;
 * the layer Hessian H = 2/n Σ xxᵀ makes this exact for the linear outputs without keeping X. Plain
 * RTN (s = 1) is scored too and kept when no α beats it (alpha = null). Then a clip search per (row,
 * group) scored by the group's share of the output error (AWQ's auto_clip: grid 20, max shrink 0.5).
 *
 * Folding: when the model allows, 1/s goes into the previous op (an RMSNorm/LayerNorm weight, or the
 * rows of a previous linear whose outputs are exactly this input) and the QTensors hold W·s plainly;
 * otherwise each QTensor keeps s as qparams.inputScale and dequantize divides it back out.
 * Not the calibration pass (src/models collects the activations into HessianAccumulators).
 */
import { ShapeError, ValueError, checkOptions, describeValue, fmtShape } from '../errors.js';
import { roundToF16 } from '../dtype/half.js';
import { checkQuantDType, quantInfo, type QuantDType, type ScaleDType } from '../dtype/table.js';
import type { QTensor } from '../qtensor.js';
import { dequantize, quantize } from '../ops/quant.js';
import { Tensor, checkTensor } from '../tensor.js';
import { fromArray } from './arrays.js';
import { HessianAccumulator, outputError } from './hessian.js';
import { gptq, type GptqOptions } from './gptq.js';
import { chooseGroupQParams, type ClipSearchOptions } from './rtn.js';
import { Phases, makeReport, type QuantReport } from './report.js';

/** One linear of an AWQ group: a name (for the results) and its weight [out, in]. */
export interface AwqLinear {
  readonly name: string;
  readonly weight: Tensor;
}

/** Where 1/s can be folded: a norm weight [in], or a previous linear [in, k] whose outputs are the input. */
export type AwqFoldTarget = { readonly kind: 'norm'; readonly weight: Tensor } | { readonly kind: 'linear'; readonly weight: Tensor };

/** Options of `awq`. */
export interface AwqOptions {
  /** A scalar quantized dtype (int2..int8, fp4, nf4). */
  readonly dtype: QuantDType;
  /** Columns per group or 'channel' (default 128, AWQ's usual setting; capped at in). */
  readonly groupSize?: number | 'channel';
  readonly symmetric?: boolean;
  readonly scaleDtype?: ScaleDType;
  /** Number of α points in [0, 1) (default 20). */
  readonly grid?: number;
  /** The clip search after scaling (default true: grid 20, maxShrink 0.5); false to skip. Off with `gptq`. */
  readonly clipSearch?: boolean | Omit<ClipSearchOptions, 'hessian' | 'norm'>;
  /** Linear names whose clip search is skipped (llm-awq skips q/k, whose errors the attention amplifies). */
  readonly noClip?: readonly string[];
  /** Fold 1/s into this op instead of storing inputScale in each QTensor. */
  readonly foldInto?: AwqFoldTarget;
  /** Run GPTQ on the scaled weights (AWQ scales first, then GPTQ with H' = H / (s sᵀ)); options passed through. */
  readonly gptq?: boolean | Omit<GptqOptions, 'dtype' | 'groupSize' | 'symmetric' | 'scaleDtype' | 'inputScale'>;
}

/** Extras of one linear's AWQ report. */
export interface AwqExtras {
  /** The chosen α (null: no α beat plain RTN, s = 1). */
  readonly alpha: number | null;
  /** Mean clip factor chosen over the (row, group) pairs (1 without a clip search). */
  readonly meanClip: number;
  /** Whether 1/s was folded into the previous op (else qparams.inputScale holds s). */
  readonly folded: boolean;
  /** The GPTQ damping used, with `gptq`. */
  readonly percDamp?: number;
}

/** Result of `awq` for one group of linears. */
export interface AwqResult {
  /** One QTensor per linear, by name. */
  readonly q: Record<string, QTensor>;
  readonly reports: Record<string, QuantReport<AwqExtras>>;
  /** The chosen α, or null when plain RTN scored best. */
  readonly alpha: number | null;
  /** The per-input-channel scales s (f16 values; all 1 when alpha is null). */
  readonly scales: Float32Array;
  /** The previous op's new weight (norm weight / s, or previous linear rows / s) when folded. */
  readonly folded: Tensor | null;
  /** Group output error per α tried (index i: α = i / grid), and for s = 1. */
  readonly losses: { readonly alphas: Float64Array; readonly rtn: number };
  /** The clip factor chosen per (row, group) of each linear ([rows · nGroups], row-major; all 1 without a clip search). */
  readonly clip: Record<string, Float64Array>;
}

/**
 * AWQ for a group of linears sharing one input, given the statistics of that input (a
 * HessianAccumulator: H for the scores, mean |x| for the scales).
 * @throws ShapeError when a weight's in-features or the fold target do not match the input; ValueError
 *   for a bad option or an empty calibration set
 * @example
 * const acc = new HessianAccumulator(384);  acc.add(normedHidden);        // input of q/k/v
 * const r = awq([{ name: 'q', weight: wq }, { name: 'k', weight: wk }, { name: 'v', weight: wv }], acc,
 *   { dtype: 'int4', groupSize: 128, foldInto: { kind: 'norm', weight: inputLayernorm } });
 * r.alpha;         // e.g. 0.45
 * r.folded;        // the new input_layernorm weight (g / s)
 * r.q.q.dequantize();
 */
export function awq(linears: readonly AwqLinear[], input: HessianAccumulator, opts: AwqOptions): AwqResult {
  const sw = new Phases();
  if (!(input instanceof HessianAccumulator)) throw new ValueError(`awq: the input statistics must be a HessianAccumulator, got ${describeValue(input)}`);
  if (linears.length === 0) throw new ValueError(`awq needs at least one linear`);
  const cols = input.features;
  for (const l of linears) {
    checkTensor('awq', l.weight, `the weight of ${l.name}`);
    if (l.weight.ndim !== 2 || l.weight.shape[1] !== cols) {
      throw new ShapeError(`awq: ${l.name} weight ${fmtShape(l.weight.shape)} must be [out, ${cols}] to share the input`);
    }
  }
  if (new Set(linears.map((l) => l.name)).size !== linears.length) throw new ValueError(`awq: linear names must be distinct`);
  checkOptions('awq', opts, 'required');
  checkQuantDType('awq', opts.dtype);
  const facts = quantInfo(opts.dtype);
  if (facts.family === 'codebook') throw new ValueError(`awq quantizes scalar dtypes, got ${opts.dtype}`);
  const groupSize = opts.groupSize ?? facts.blockSize ?? 128;
  const gs = groupSize === 'channel' ? cols : Math.min(groupSize, cols);
  const grid = opts.grid ?? 20;
  if (!Number.isInteger(grid) || grid < 1) throw new ValueError(`awq grid must be a positive integer, got ${grid}`);
  const fold = opts.foldInto;
  if (fold) checkFold(fold, cols);

  const xMean = input.meanAbs();
  const h = input.hessian('f64');
  const weights = linears.map((l) => ({ name: l.name, rows: l.weight.shape[0], w: l.weight.dtype === 'f64' ? (l.weight.data() as Float64Array) : Float64Array.from(l.weight.toFloat32()) }));
  const wMean = relativeWeightMean(weights, cols, gs);
  const qOpts = { dtype: opts.dtype, groupSize: gs === cols ? ('channel' as const) : gs, symmetric: opts.symmetric, scaleDtype: opts.scaleDtype };

  /** tr(Δ H Δᵀ)/2 of each linear for RTN of W_l·s (s = null: plain RTN). */
  const layerLosses = (s: Float32Array | null): number[] =>
    weights.map((l) => {
      const wt = fromArray(l.w, [l.rows, cols], 'f64');
      const q = quantize(wt, { ...qOpts, ...(s ? { inputScale: s } : {}) });
      try {
        return outputError(wt, q, h);
      } finally {
        q.dispose();
        wt.dispose();
      }
    });
  const groupLoss = (s: Float32Array | null): number => layerLosses(s).reduce((a, b) => a + b, 0);

  const rtnLayers = layerLosses(null);
  const rtnLoss = rtnLayers.reduce((a, b) => a + b, 0);
  const alphas = new Float64Array(grid);
  let bestAlpha: number | null = null;
  let bestLoss = rtnLoss;
  let bestScales: Float32Array | null = null;
  for (let i = 0; i < grid; i++) {
    const a = i / grid;
    const s = candidateScales(xMean, wMean, a);
    alphas[i] = groupLoss(s);
    if (alphas[i] < bestLoss) {
      bestLoss = alphas[i];
      bestAlpha = a;
      bestScales = s;
    }
  }
  sw.lap('scale search');
  const scales = bestScales ?? new Float32Array(cols).fill(1);
  // Folding is only needed when there is a scale to fold.
  const folded = fold && bestScales ? foldScales(fold, scales) : null;
  const storeInputScale = !!bestScales && !fold;

  const clipOpts = opts.clipSearch === false || opts.gptq ? null : opts.clipSearch === true || opts.clipSearch === undefined ? {} : opts.clipSearch;
  const q: Record<string, QTensor> = {};
  const reports: Record<string, QuantReport<AwqExtras>> = {};
  const clip: Record<string, Float64Array> = {};
  // The Hessian of what the stored weight multiplies: x / s when folded (H' = H / (s sᵀ)), else x.
  const hStored = bestScales && !storeInputScale ? scaledHessian(h, scales) : h;
  for (const l of weights) {
    const t0 = performance.now();
    // The weight as stored: W·s when folded (no inputScale), else W with inputScale s.
    const scaled = new Float64Array(l.w.length);
    for (let i = 0; i < scaled.length; i++) scaled[i] = bestScales && !storeInputScale ? l.w[i] * scales[i % cols] : l.w[i];
    const wt = fromArray(scaled, [l.rows, cols], 'f64');
    let qt: QTensor;
    let meanClip = 1;
    let percDamp: number | undefined;
    if (opts.gptq) {
      const g = opts.gptq === true ? {} : opts.gptq;
      // GPTQ on W·s with H' = H / (s sᵀ): through inputScale when unfolded, explicitly when folded.
      const r = gptq(wt, hStored, { ...g, ...qOpts, ...(storeInputScale ? { inputScale: scales } : {}) });
      qt = r.q;
      percDamp = r.report.extras.percDamp;
    } else {
      const useClip = clipOpts && !(opts.noClip ?? []).includes(l.name);
      const chosen = chooseGroupQParams(wt, {
        ...qOpts,
        ...(storeInputScale ? { inputScale: scales } : {}),
        clipSearch: useClip ? { grid: 20, maxShrink: 0.5, ...clipOpts, hessian: hStored } : false,
      });
      qt = quantize(wt, { dtype: opts.dtype, qparams: chosen.qparams });
      for (const t of [chosen.qparams.scales, chosen.qparams.zeros, chosen.qparams.inputScale]) t?.dispose();
      meanClip = chosen.clip.reduce((a, b) => a + b, 0) / chosen.clip.length;
      clip[l.name] = chosen.clip;
    }
    wt.dispose();
    clip[l.name] ??= new Float64Array(l.rows * Math.ceil(cols / gs)).fill(1);
    // Output error in the original input space: with 1/s folded into the previous op the stored
    // weight multiplies x / s, so the effective weight is deq / s.
    const wOrig = fromArray(l.w, [l.rows, cols], 'f64');
    let err: number;
    if (bestScales && !storeInputScale) {
      const d = dequantize(qt);
      const dv = d.raw() as Float32Array;
      const eff = new Float64Array(dv.length);
      for (let i = 0; i < eff.length; i++) eff[i] = dv[i] / scales[i % cols];
      d.dispose();
      const et = fromArray(eff, [l.rows, cols], 'f64');
      err = outputError(wOrig, et, h);
      et.dispose();
    } else err = outputError(wOrig, qt, h);
    wOrig.dispose();
    const rtnOwn = rtnLayers[weights.indexOf(l)];
    q[l.name] = qt;
    reports[l.name] = makeReport(opts.gptq ? 'awq+gptq' : 'awq', qt, { kind: 'output', value: err, rtn: rtnOwn }, t0, { quantize: performance.now() - t0 }, {
      alpha: bestAlpha,
      meanClip,
      folded: !!folded,
      ...(percDamp !== undefined ? { percDamp } : {}),
    });
  }
  if (hStored !== h) hStored.dispose();
  h.dispose();
  sw.lap('quantize');
  return { q, reports, alpha: bestAlpha, scales, folded, losses: { alphas, rtn: rtnLoss }, clip };
}

/** H' = H / (s sᵀ): the Hessian of the scaled input x / s. */
function scaledHessian(h: Tensor, s: Float32Array): Tensor {
  const n = s.length;
  const v = Float64Array.from(h.data() as Float64Array);
  for (let i = 0; i < v.length; i++) v[i] /= s[Math.floor(i / n)] * s[i % n];
  return fromArray(v, [n, n], 'f64');
}

/**
 * mean over all rows of all linears of |W[r, c]| / max|W| of (r, c)'s group (AutoAWQ get_weight_scale).
 * A group of zeros contributes 0.
 */
function relativeWeightMean(ws: { rows: number; w: Float64Array }[], cols: number, gs: number): Float64Array {
  const out = new Float64Array(cols);
  let total = 0;
  for (const { rows, w } of ws) {
    total += rows;
    for (let r = 0; r < rows; r++) {
      for (let c0 = 0; c0 < cols; c0 += gs) {
        const c1 = Math.min(cols, c0 + gs);
        let m = 0;
        for (let c = c0; c < c1; c++) m = Math.max(m, Math.abs(w[r * cols + c]));
        if (m === 0) continue;
        for (let c = c0; c < c1; c++) out[c] += Math.abs(w[r * cols + c]) / m;
      }
    }
  }
  return out.map((v) => v / total);
}

/**
 * s(α) = mean|x|^α / mean|ŵ|^(1−α), floored at 1e-4, normalised by sqrt(max·min), rounded to f16
 * (the precision inputScale is stored in). A channel never active nor weighted gets 1 before normalising.
 * @example
 * candidateScales(xMean, wMean, 0.5); // Float32Array of f16 values around 1
 */
export function candidateScales(xMean: Float64Array, wMean: Float64Array, alpha: number): Float32Array {
  const n = xMean.length;
  const raw = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const num = xMean[c] ** alpha;
    const den = wMean[c] ** (1 - alpha) + 1e-4;
    raw[c] = Math.max(1e-4, num / den);
  }
  let lo = Infinity;
  let hi = 0;
  for (const v of raw) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const norm = Math.sqrt(lo * hi);
  const out = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    out[c] = roundToF16(raw[c] / norm);
    if (!(out[c] > 0) || !Number.isFinite(out[c])) out[c] = out[c] > 0 ? 65504 : 2 ** -24; // f16 range ends
  }
  return out;
}

function checkFold(f: AwqFoldTarget, cols: number): void {
  const w = f.weight;
  if (!(w instanceof Tensor)) throw new ValueError(`awq foldInto.weight must be a Tensor`);
  if (f.kind === 'norm' && (w.ndim !== 1 || w.shape[0] !== cols)) throw new ShapeError(`awq: a norm weight to fold into must be [${cols}], got ${fmtShape(w.shape)}`);
  if (f.kind === 'linear' && (w.ndim !== 2 || w.shape[0] !== cols)) {
    throw new ShapeError(`awq: a previous linear to fold into must be [${cols}, k] (its outputs are this input), got ${fmtShape(w.shape)}`);
  }
  if (f.kind !== 'norm' && f.kind !== 'linear') throw new ValueError(`awq foldInto.kind must be 'norm' or 'linear'`);
}

/** The previous op's weight with 1/s folded in: norm g / s, or previous linear rows / s (f32). */
function foldScales(f: AwqFoldTarget, s: Float32Array): Tensor {
  const v = f.weight.toFloat32();
  const per = f.kind === 'norm' ? 1 : f.weight.shape[1];
  for (let i = 0; i < v.length; i++) v[i] /= s[Math.floor(i / per)];
  return fromArray(v, f.weight.shape, 'f32');
}
