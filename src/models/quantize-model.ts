/**
 * Sequential post-training quantization of a Llama-family model (the calibration loop of GPTQ's
 * llama.py and AutoGPTQ/AutoAWQ): calibration sequences are run through block i with blocks < i
 * already quantized; within a block the linear groups are quantized in forward order (q/k/v share
 * one input and one Hessian, then o_proj, then gate/up, then down_proj), each from the inputs it
 * sees with the groups before it already quantized ("true sequential"); the block's quantized
 * outputs are the next block's inputs. The quantizers themselves are src/quantizers.
 *
 * Memory: the calibration activations (samples × seqLen × hidden f32) plus one block at a time. A
 * model given as a checkpoint directory is streamed: only the block being quantized is ever held in
 * f32 (plus the embedding and head, which stay f32 as in GPTQ/AWQ practice). True-sequential
 * calibration also keeps the block's intermediate activations between its groups (at most
 * samples × seqLen × (hidden + intermediate) f32) when they fit `activationCacheBytes`, so the block
 * runs about once per group instead of once from its input for every group; the quantized model is
 * the same either way.
 *
 * Not the saving of the result (./save.ts) and not perplexity.
 */
import { ValueError, checkOptions, describeValue } from '../errors.js';
import type { QuantDType } from '../dtype/table.js';
import { Tensor } from '../tensor.js';
import { HessianAccumulator } from '../quantizers/hessian.js';
import { gptq } from '../quantizers/gptq.js';
import { rtn } from '../quantizers/rtn.js';
import { awq } from '../quantizers/awq.js';
import { vqQuantize } from '../quantizers/vq/vq.js';
import { pvqGptq } from '../quantizers/pvq/index.js';
import { DTYPES } from '../dtype/table.js';
import type { QuantReport } from '../quantizers/report.js';
import { LlamaModel, type LinearGroup, type LlamaLayer, type ProjectionName } from './llama.js';
import { openLlama, readF32, readLayer } from './load.js';

/**
 * The quantization methods `quantizeModel` runs.
 * @example
 * QUANT_METHODS; // ['rtn', 'gptq', 'awq', 'awq+gptq', 'pvq', 'vq']
 */
export const QUANT_METHODS = ['rtn', 'gptq', 'awq', 'awq+gptq', 'pvq', 'vq'] as const;
/** A quantization method. */
export type QuantMethod = (typeof QUANT_METHODS)[number];

/** Default `activationCacheBytes`: the block activations true-sequential calibration may keep. */
const ACTIVATION_CACHE_BYTES = 2 ** 30;

/** The projections of each linear group, in forward order. */
export const LINEAR_GROUPS: Readonly<Record<LinearGroup, readonly ProjectionName[]>> = {
  qkv: ['q', 'k', 'v'],
  o: ['o'],
  gateup: ['gate', 'up'],
  down: ['down'],
};

/** Options of `quantizeModel`. */
export interface QuantizeModelOptions {
  readonly method: QuantMethod;
  /** Quantized dtype (default int4). */
  readonly dtype?: QuantDType;
  /** Columns per scale group, or 'channel' (default 128). */
  readonly groupSize?: number | 'channel';
  /** Affine zero point fixed at 2^(bits-1) (default false). */
  readonly symmetric?: boolean;
  /** GPTQ: quantize columns by decreasing diag(H) (default false). */
  readonly actOrder?: boolean;
  /** GPTQ: choose every group's scales from the original weight before the loop (default false). */
  readonly staticGroups?: boolean;
  /**
   * rtn and gptq: search each group's clip factor (weight error, quant.py's `mse` grid) when its
   * scales are chosen (default false: min-max).
   */
  readonly clipSearch?: boolean;
  /** awq and awq+gptq: number of α points of the scale search (default 20). */
  readonly awqGrid?: number;
  /** pvq: target bits per weight, everything stored included (default: the bits of `dtype`). */
  readonly pvqBits?: number;
  /** GPTQ damping fraction (default 0.01). */
  readonly percDamp?: number;
  /** Calibration tokens (for the byte model: bytes), cut into chunks of `chunkSize`. Needed except for rtn. */
  readonly calib?: Uint8Array | ArrayLike<number>;
  /** Tokens per calibration chunk in `calib` (default 2048, the layout of calib.bin). */
  readonly chunkSize?: number;
  /** Calibration sequences: the first `samples` chunks (default: all). */
  readonly samples?: number;
  /** Tokens of each sequence: the first `seqLen` of its chunk (default chunkSize). */
  readonly seqLen?: number;
  /** Quantize each group from the inputs seen with earlier groups of the block quantized (default true). */
  readonly trueSequential?: boolean;
  /**
   * True sequential only: bytes of block activations the calibration may keep between groups
   * (default 1 GiB). When the sequences' attention outputs, residuals and MLP inputs fit, each group's
   * inputs are computed once from the previous group's (same values); otherwise every group reruns
   * the block from its input, about 2.3x the forward work. 0 always reruns.
   */
  readonly activationCacheBytes?: number;
  /** Progress after each linear group. */
  readonly onProgress?: (p: QuantizeProgress) => void;
}

/** One progress event of `quantizeModel`. */
export interface QuantizeProgress {
  readonly layer: number;
  readonly layers: number;
  readonly group: LinearGroup;
  readonly reports: readonly LinearReport[];
}

/** The report of one quantized projection. */
export interface LinearReport {
  readonly layer: number;
  readonly name: ProjectionName;
  readonly method: QuantMethod;
  /** The stored dtype ('pvq' for pyramid vector codes, a PvqTensor). */
  readonly dtype: QuantDType | 'pvq';
  readonly bitsPerWeight: number;
  /** The quantizer's error: output error mean ‖(W − Q)x‖² over calibration tokens (GPTQ, AWQ) or weight MSE (RTN). */
  readonly error: number;
  readonly errorKind: 'weight' | 'output';
  readonly timeMs: number;
}

/** The result of `quantizeModel`. */
export interface QuantizeModelResult {
  readonly model: LlamaModel;
  readonly reports: readonly LinearReport[];
  /** Storage bits per weight over every projection. */
  readonly bitsPerWeight: number;
  readonly timeMs: number;
}

/** Calibration sequences from options (none for rtn). */
function calibrationSequences(opts: QuantizeModelOptions): ArrayLike<number>[] {
  if (opts.method === 'rtn') return [];
  const calib = opts.calib;
  if (!calib || calib.length === 0) throw new ValueError(`${opts.method} needs calibration tokens (calib), got none`);
  const chunk = opts.chunkSize ?? 2048;
  const seqLen = opts.seqLen ?? chunk;
  if (!Number.isInteger(chunk) || chunk < 1) throw new ValueError(`chunkSize must be a positive integer, got ${chunk}`);
  if (!Number.isInteger(seqLen) || seqLen < 1 || seqLen > chunk) throw new ValueError(`seqLen must be an integer in [1, ${chunk}], got ${seqLen}`);
  const available = Math.floor(calib.length / chunk);
  const samples = opts.samples ?? available;
  if (!Number.isInteger(samples) || samples < 1 || samples > available) {
    throw new ValueError(`samples must be an integer in [1, ${available}] (${calib.length} calibration tokens in chunks of ${chunk}), got ${samples}`);
  }
  const arr = ArrayBuffer.isView(calib) ? (calib as Uint8Array) : Uint8Array.from(calib as ArrayLike<number>);
  const out: ArrayLike<number>[] = [];
  for (let i = 0; i < samples; i++) out.push(arr.subarray(i * chunk, i * chunk + seqLen));
  return out;
}

function toReport(layer: number, name: ProjectionName, method: QuantMethod, r: Pick<QuantReport<object>, 'bitsPerWeight' | 'error' | 'timeMs'> & { dtype: QuantDType | 'pvq' }): LinearReport {
  return { layer, name, method, dtype: r.dtype, bitsPerWeight: r.bitsPerWeight, error: r.error.value, errorKind: r.error.kind, timeMs: r.timeMs };
}

/** The Hessian accumulator of group `g`'s inputs over every calibration sequence. */
function collect(model: LlamaModel, i: number, xs: readonly Tensor[], g: LinearGroup, trueSequential: boolean, cache: Map<LinearGroup, HessianAccumulator> | null): HessianAccumulator {
  const cached = cache?.get(g);
  if (cached) return cached;
  const width = groupWidth(model, g);
  if (trueSequential) {
    const acc = new HessianAccumulator(width);
    for (const x of xs) model.blockUntil(i, x, g, (k, input) => k === g && acc.add(input));
    return acc;
  }
  // One pass with the block as it is for every group at once.
  const accs = new Map<LinearGroup, HessianAccumulator>();
  for (const k of Object.keys(LINEAR_GROUPS) as LinearGroup[]) {
    accs.set(k, new HessianAccumulator(groupWidth(model, k)));
  }
  for (const x of xs) model.block(i, x, (k, input) => accs.get(k)!.add(input)).dispose();
  for (const [k, a] of accs) cache!.set(k, a);
  return accs.get(g)!;
}

/** Columns of the input of linear group g. */
function groupWidth(model: LlamaModel, g: LinearGroup): number {
  const c = model.config;
  return g === 'o' ? c.numHeads * c.headDim : g === 'down' ? c.intermediateSize : c.hiddenSize;
}

/** Bytes the cached calibration of one block holds besides its inputs (its peak: h and the MLP inputs). */
function cachedBlockBytes(model: LlamaModel, xs: readonly Tensor[]): number {
  const tokens = xs.reduce((n, x) => n + x.shape[0], 0);
  const c = model.config;
  return tokens * 4 * Math.max(c.numHeads * c.headDim + c.hiddenSize, c.hiddenSize + c.intermediateSize);
}

/**
 * True-sequential calibration of block i from cached activations: each group's inputs come from the
 * previous group's stage outputs (attention outputs, then residuals, then MLP inputs), computed with
 * the groups before it already quantized. Quantizing a group changes its own projections and, for
 * AWQ, the norm before it (qkv, gateup), which is applied again where it is read, so the inputs equal
 * what rerunning the block for every group gives. `quantizeGroupFrom(g, acc)` quantizes group g
 * (and disposes acc). Returns the block's outputs when `outputs`, else disposes everything and
 * returns [].
 */
function calibrateBlockCached(model: LlamaModel, i: number, xs: readonly Tensor[], quantizeGroupFrom: (g: LinearGroup, acc: HessianAccumulator) => void, outputs: boolean): Tensor[] {
  const live = new Set<Tensor>();
  const keep = (t: Tensor): Tensor => (live.add(t), t);
  const drop = (t: Tensor): void => {
    live.delete(t);
    t.dispose();
  };
  const observed = (g: LinearGroup, inputs: (acc: HessianAccumulator) => void): void => {
    const acc = new HessianAccumulator(groupWidth(model, g));
    try {
      inputs(acc);
    } catch (e) {
      acc.dispose();
      throw e;
    }
    quantizeGroupFrom(g, acc);
  };
  // For each source t: out = f(norm(t)), kept and observed by acc (the normed input disposed).
  const stage = (src: readonly Tensor[], norm: (t: Tensor) => Tensor, f: (n: Tensor) => Tensor, acc: HessianAccumulator): Tensor[] =>
    src.map((t) => {
      const n = norm(t);
      const out = keep(f(n));
      n.dispose();
      acc.add(out);
      return out;
    });
  try {
    let as: Tensor[] = [];
    observed('qkv', (acc) => {
      for (const x of xs) {
        const n1 = model.qkvInputOf(i, x);
        acc.add(n1);
        n1.dispose();
      }
    });
    observed('o', (acc) => {
      as = stage(xs, (x) => model.qkvInputOf(i, x), (n1) => model.attentionOf(i, n1), acc);
    });
    const hs: Tensor[] = [];
    observed('gateup', (acc) => {
      xs.forEach((x, s) => {
        hs.push(keep(model.residualOf(i, x, as[s])));
        drop(as[s]);
        const n2 = model.gateupInputOf(i, hs[s]);
        acc.add(n2);
        n2.dispose();
      });
    });
    let ss: Tensor[] = [];
    observed('down', (acc) => {
      // n2 again from h: AWQ folds gate/up's scales into the post-attention norm when it quantizes them
      ss = stage(hs, (h) => model.gateupInputOf(i, h), (n2) => model.mlpInputOf(i, n2), acc);
    });
    if (!outputs) return [];
    return hs.map((h, s) => {
      model.outputOf(i, h, ss[s]);
      drop(ss[s]);
      live.delete(h); // handed to the caller
      return h;
    });
  } finally {
    for (const t of live) t.dispose();
  }
}

/** Quantizes the projections of group g of layer i in place; returns their reports. */
function quantizeGroup(model: LlamaModel, i: number, g: LinearGroup, acc: HessianAccumulator | null, opts: QuantizeModelOptions): LinearReport[] {
  const layer = model.layers[i];
  const names = LINEAR_GROUPS[g];
  const dtype = opts.dtype ?? 'int4';
  const groupSize = opts.groupSize ?? 128;
  const common = { dtype, groupSize, symmetric: opts.symmetric };
  const reports: LinearReport[] = [];
  const dense = (n: ProjectionName): Tensor => {
    const w = layer[n];
    if (!(w instanceof Tensor)) throw new ValueError(`layer ${i} ${n} is already quantized`);
    return w;
  };
  if (opts.method === 'rtn' || opts.method === 'gptq') {
    for (const n of names) {
      const w = dense(n);
      const clipSearch = opts.clipSearch ?? false;
      const { q, report } =
        opts.method === 'rtn'
          ? rtn(w, { ...common, clipSearch })
          : gptq(w, acc!, { ...common, clipSearch, actOrder: opts.actOrder, staticGroups: opts.staticGroups, percDamp: opts.percDamp });
      layer[n] = q;
      w.dispose();
      reports.push(toReport(i, n, opts.method, report));
    }
    return reports;
  }
  if (opts.method === 'pvq') {
    // Hessian-aware PVQ (pvqGptq): groups of 16 input columns after a randomized Hadamard rotation,
    // pulses and amplitude bits chosen by pvqConfigForBits so that everything stored (codes, f16 row
    // scales, level table, rotation seed) fits the scalar dtype's bits per weight on this shape
    // (int4 → ≤ 4, int3 → ≤ 3, int2 → ≤ 2; groupSize does not apply: PVQ has one scale per row).
    const bits = opts.pvqBits ?? DTYPES[dtype].bits;
    for (const n of names) {
      const w = dense(n);
      const r = pvqGptq(w, acc!, { bits, dim: 16, percDamp: opts.percDamp });
      layer[n] = r.q;
      w.dispose();
      reports.push(toReport(i, n, opts.method, r.report));
    }
    return reports;
  }
  if (opts.method === 'vq') {
    // GPTVQ: 2-d vectors with 2·bits-bit indices (the scalar dtype's bits per weight), one f16
    // codebook per weight (groupSize does not apply), GPTQ error feedback under the layer Hessian.
    const b = DTYPES[dtype].bits;
    for (const n of names) {
      const w = dense(n);
      const r = vqQuantize(w, { dim: 2, bits: Math.min(8, 2 * b), hessian: acc!, percDamp: opts.percDamp });
      layer[n] = r.q.toQTensor();
      w.dispose();
      reports.push(toReport(i, n, opts.method, r.report));
    }
    return reports;
  }
  // AWQ: one scale vector per group; 1/s folds into the norm before q/k/v and gate/up, else it stays
  // in each QTensor as inputScale (o_proj: v's outputs are repeated over query heads, so v's rows
  // cannot absorb it exactly; down_proj: up_proj is quantized before down's scales are known).
  const norm = g === 'qkv' ? layer.inputNorm : g === 'gateup' ? layer.postNorm : null;
  const r = awq(names.map((n) => ({ name: n, weight: dense(n) })), acc!, {
    ...common,
    grid: opts.awqGrid,
    foldInto: norm ? { kind: 'norm', weight: norm } : undefined,
    gptq: opts.method === 'awq+gptq' ? { actOrder: opts.actOrder, staticGroups: opts.staticGroups, clipSearch: opts.clipSearch, percDamp: opts.percDamp } : undefined,
  });
  for (const n of names) {
    dense(n).dispose();
    layer[n] = r.q[n];
    reports.push(toReport(i, n, opts.method, r.reports[n]));
  }
  if (r.folded) {
    const f = r.folded.dtype === 'f32' ? r.folded : r.folded.astype('f32');
    if (g === 'qkv') {
      layer.inputNorm.dispose();
      layer.inputNorm = f;
    } else {
      layer.postNorm.dispose();
      layer.postNorm = f;
    }
  }
  return reports;
}

/**
 * Quantizes every projection of a Llama-family model, block by block (see the file header). A
 * `LlamaModel` is quantized in place (its f32 projections are freed) and returned; a checkpoint
 * directory is streamed one block at a time.
 * @throws ValueError for a bad option or a missing calibration set (every method but rtn needs one)
 * @example
 * const calib = readFileSync('test/fixtures/tiny-llama-bytes/calib.bin');
 * const { model, reports } = await quantizeModel('test/fixtures/tiny-llama-bytes',
 *   { method: 'gptq', dtype: 'int4', groupSize: 128, calib, samples: 32, seqLen: 512 });
 * perplexity(model, testBytes).ppl;
 */
export async function quantizeModel(source: LlamaModel | string, opts: QuantizeModelOptions): Promise<QuantizeModelResult> {
  const t0 = performance.now();
  if (typeof source !== 'string' && !(source instanceof LlamaModel)) {
    throw new ValueError(`quantizeModel: the source must be a LlamaModel or a checkpoint directory (a string), got ${describeValue(source)}`);
  }
  checkOptions('quantizeModel', opts, 'required');
  if (!(QUANT_METHODS as readonly string[]).includes(opts.method)) throw new ValueError(`unknown method '${String(opts.method)}' (one of ${QUANT_METHODS.join(', ')})`);
  const seqs = calibrationSequences(opts);
  const trueSequential = opts.trueSequential ?? true;
  const cacheBudget = opts.activationCacheBytes ?? ACTIVATION_CACHE_BYTES;
  if (!(cacheBudget >= 0)) throw new ValueError(`activationCacheBytes must be a number >= 0, got ${String(opts.activationCacheBytes)}`);
  let model: LlamaModel;
  let pending: ((i: number) => Promise<LlamaLayer>) | null = null;
  let finish: (() => Promise<void>) | null = null;
  if (typeof source === 'string') {
    // Stream: a model whose layers are filled as they are quantized (placeholders share layer 0's
    // shapes until then and are never run).
    const { config, checkpoint } = await openLlama(source);
    const embed = await readF32(checkpoint, 'model.embed_tokens.weight');
    const first = await readLayer(checkpoint, 0);
    const norm = await readF32(checkpoint, 'model.norm.weight');
    const tied = config.tieWordEmbeddings || !checkpoint.has('lm_head.weight');
    const head = tied ? embed : await readF32(checkpoint, 'lm_head.weight');
    model = new LlamaModel(config, embed, Array.from({ length: config.numLayers }, () => first), norm, head);
    pending = async (i) => (i === 0 ? first : readLayer(checkpoint, i));
    finish = async () => checkpoint.close();
  } else {
    model = source;
  }
  const reports: LinearReport[] = [];
  let xs: Tensor[] = seqs.map((s) => model.embed(s));
  try {
    for (let i = 0; i < model.config.numLayers; i++) {
      if (pending) {
        model.layers[i] = await pending(i);
        model.checkLayer(i, model.layers[i]);
      }
      const quantizeGroupFrom = (g: LinearGroup, acc: HessianAccumulator | null): void => {
        try {
          const rs = quantizeGroup(model, i, g, acc, opts);
          reports.push(...rs);
          opts.onProgress?.({ layer: i, layers: model.config.numLayers, group: g, reports: rs });
        } finally {
          acc?.dispose();
        }
      };
      const last = i + 1 === model.config.numLayers;
      if (trueSequential && seqs.length && cachedBlockBytes(model, xs) <= cacheBudget) {
        const next = calibrateBlockCached(model, i, xs, quantizeGroupFrom, !last);
        if (!last) {
          for (const x of xs) x.dispose();
          xs = next;
        }
        continue;
      }
      const cache = trueSequential ? null : new Map<LinearGroup, HessianAccumulator>();
      for (const g of Object.keys(LINEAR_GROUPS) as LinearGroup[]) {
        quantizeGroupFrom(g, seqs.length ? collect(model, i, xs, g, trueSequential, cache) : null);
      }
      // The quantized block's outputs feed the next block.
      if (!last) {
        const next = xs.map((x) => model.block(i, x));
        for (const x of xs) x.dispose();
        xs = next;
      }
    }
  } finally {
    for (const x of xs) x.dispose();
    await finish?.();
  }
  return { model, reports, bitsPerWeight: model.bitsPerWeight(), timeMs: performance.now() - t0 };
}

