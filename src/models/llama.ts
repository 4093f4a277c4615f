/**
 * The Llama-family decoder (LlamaForCausalLM): token embeddings, `numLayers` pre-norm blocks
 * (RMSNorm → grouped-query attention with RoPE → residual, RMSNorm → SwiGLU MLP → residual), a final
 * RMSNorm and the vocabulary head (untied or tied). Compute is f32; each projection weight is a dense
 * f32 Tensor, a QTensor or a PvqTensor (`project`: packed kernels for the quantized ones, never a
 * dequantized copy). A window is one batch: every projection is a GEMM over all its tokens.
 *
 * Not the loading of files (./load.ts), not perplexity (./perplexity.ts), not calibration
 * (./quantize-model.ts).
 */
import { ShapeError, ValueError, describeValue, fmtShape } from '../errors.js';
import { QTensor } from '../qtensor.js';
import { PvqTensor } from '../quantizers/pvq/pvq-tensor.js';
import { Tensor } from '../tensor.js';
import type { LlamaConfig } from './config.js';
import { causalAttention } from './attention.js';
import { addInto, applyRope, embed, rmsNorm, ropeTables, swiglu, type RopeTables } from './fused.js';
import { linear } from '../ops/linear.js';

/**
 * A projection weight [out, in]: dense f32, a QTensor (scalar, lut, mx or VQ codebook dtypes) or a
 * PvqTensor (pyramid vector codes).
 */
export type Weight = Tensor | QTensor | PvqTensor;

/**
 * y = x · Wᵀ: `linear`, packed kernels for a QTensor; a PvqTensor decodes its codes inside its own
 * matmul kernel (the activations are rotated, the weight is never dequantized).
 */
function project(x: Tensor, w: Weight): Tensor {
  return w instanceof PvqTensor ? w.matmul(x) : linear(x, w);
}

/** The projections of a block, by their Hugging Face names. */
export const PROJECTIONS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
/** One projection of a block. */
export type ProjectionName = (typeof PROJECTIONS)[number];

/** Weights of one decoder block. */
export interface LlamaLayer {
  /** f32 [hidden]: input_layernorm. */
  inputNorm: Tensor;
  /** f32 [hidden]: post_attention_layernorm. */
  postNorm: Tensor;
  q: Weight;
  k: Weight;
  v: Weight;
  o: Weight;
  gate: Weight;
  up: Weight;
  down: Weight;
}

/**
 * The inputs of the linear groups of a block, in the order the forward pass produces them: 'qkv'
 * (q, k and v read the same normed input), 'o', 'gateup' (gate and up share one input), 'down'.
 */
export type LinearGroup = 'qkv' | 'o' | 'gateup' | 'down';

/** Receives the input [T, in] of each linear group of a block (valid only during the call). */
export type GroupObserver = (group: LinearGroup, input: Tensor) => void;

/**
 * Throws a ValueError naming `op` unless `x` is a LlamaModel (the entry check of the functions that
 * take one).
 * @example
 * checkLlamaModel('saveModel', model);
 */
export function checkLlamaModel(op: string, x: unknown): asserts x is LlamaModel {
  if (!(x instanceof LlamaModel)) throw new ValueError(`${op}: the model must be a LlamaModel (from loadLlama or loadModel), got ${describeValue(x)}`);
}

function checkWeight(name: string, w: Weight, out: number, inp: number): void {
  if (w.shape.length !== 2 || w.shape[0] !== out || w.shape[1] !== inp) {
    throw new ShapeError(`${name}: expected [${out},${inp}], got ${fmtShape(w.shape)}`);
  }
  if (w instanceof Tensor && w.dtype !== 'f32') throw new ValueError(`${name}: dense weights must be f32 (converted at load), got ${w.dtype}`);
}

/**
 * A Llama-family model held in memory. Usually made by `loadLlama`.
 * @example
 * const model = await loadLlama('test/fixtures/tiny-llama-bytes');
 * const logits = model.forward(new TextEncoder().encode('Mr. Speaker')); // f32 [11, 256]
 */
export class LlamaModel {
  private rope: RopeTables | null = null;

  constructor(
    readonly config: LlamaConfig,
    /** f32 [vocab, hidden]. */
    readonly embedTokens: Tensor,
    readonly layers: LlamaLayer[],
    /** f32 [hidden]: the final norm. */
    readonly norm: Tensor,
    /** [vocab, hidden]; the embedding tensor itself when tied. */
    public lmHead: Weight,
  ) {
    const c = config;
    const H = c.hiddenSize;
    if (embedTokens.shape[0] !== c.vocabSize || embedTokens.shape[1] !== H) {
      throw new ShapeError(`embed_tokens: expected [${c.vocabSize},${H}], got ${fmtShape(embedTokens.shape)}`);
    }
    if (layers.length !== c.numLayers) throw new ShapeError(`expected ${c.numLayers} layers, got ${layers.length}`);
    layers.forEach((l, i) => this.checkLayer(i, l));
    checkWeight('lm_head', lmHead, c.vocabSize, H);
  }

  /** Validates the shapes of layer i (after loading or replacing its weights). */
  checkLayer(i: number, l: LlamaLayer): void {
    const c = this.config;
    const H = c.hiddenSize;
    const qw = c.numHeads * c.headDim;
    const kw = c.numKvHeads * c.headDim;
    const I = c.intermediateSize;
    const p = `layer ${i}`;
    checkWeight(`${p} q_proj`, l.q, qw, H);
    checkWeight(`${p} k_proj`, l.k, kw, H);
    checkWeight(`${p} v_proj`, l.v, kw, H);
    checkWeight(`${p} o_proj`, l.o, H, qw);
    checkWeight(`${p} gate_proj`, l.gate, I, H);
    checkWeight(`${p} up_proj`, l.up, I, H);
    checkWeight(`${p} down_proj`, l.down, H, I);
    for (const [n, g] of [['input_layernorm', l.inputNorm], ['post_attention_layernorm', l.postNorm]] as const) {
      if (g.size !== H || g.dtype !== 'f32') throw new ShapeError(`${p} ${n}: expected f32 [${H}], got ${g.dtype} ${fmtShape(g.shape)}`);
    }
  }

  /** Rotary tables covering at least T positions (cached, grown on demand). */
  ropeFor(T: number): RopeTables {
    if (!this.rope || this.rope.length < T) this.rope = ropeTables(Math.max(T, this.rope?.length ?? 0), this.config.headDim, this.config.ropeTheta);
    return this.rope;
  }

  /**
   * Embeds tokens: f32 [T, hidden].
   * @example
   * const h = model.embed([77, 114]);
   */
  embed(tokens: ArrayLike<number>): Tensor {
    return embed(this.embedTokens, tokens);
  }

  /**
   * Runs block i on hidden states x f32 [T, hidden] (positions 0..T-1) and returns the new hidden
   * states (x is left unchanged). `observe` sees the input of each linear group.
   * @example
   * let h = model.embed(tokens);
   * for (let i = 0; i < model.layers.length; i++) { const n = model.block(i, h); h.dispose(); h = n; }
   */
  block(i: number, x: Tensor, observe?: GroupObserver): Tensor {
    return this.runBlock(i, x, observe, null) as Tensor;
  }

  /**
   * Runs block i only as far as the input of linear group `until`, hands that input to `observe`
   * and stops (calibration of one group without the rest of the block).
   * @example
   * model.blockUntil(0, h, 'o', (_g, a) => acc.add(a));
   */
  blockUntil(i: number, x: Tensor, until: LinearGroup, observe: GroupObserver): void {
    this.runBlock(i, x, observe, until);
  }

  /**
   * The input of group qkv of block i: rmsNorm(x), f32 [T, hidden].
   * @example
   * const n1 = model.qkvInputOf(0, h);
   */
  qkvInputOf(i: number, x: Tensor): Tensor {
    return rmsNorm(x, this.layers[i].inputNorm, this.config.rmsNormEps);
  }

  /**
   * The input of group o of block i: causal attention over the q/k/v projections of
   * `qkvInputOf(i, x)` (given as n1, left unchanged), f32 [T, heads·headDim].
   * @example
   * const a = model.attentionOf(0, model.qkvInputOf(0, h));
   */
  attentionOf(i: number, n1: Tensor): Tensor {
    const c = this.config;
    const l = this.layers[i];
    const q = project(n1, l.q);
    const k = project(n1, l.k);
    const v = project(n1, l.v);
    try {
      const rope = this.ropeFor(n1.shape[0]);
      applyRope(q, rope, c.numHeads);
      applyRope(k, rope, c.numKvHeads);
      return causalAttention(q, k, v, c.numHeads, c.numKvHeads);
    } finally {
      q.dispose();
      k.dispose();
      v.dispose();
    }
  }

  /**
   * The attention half's output h = x + o(a), a new tensor.
   * @example
   * const h = model.residualOf(0, x, a);
   */
  residualOf(i: number, x: Tensor, a: Tensor): Tensor {
    const h = project(a, this.layers[i].o);
    addInto(h, x);
    return h;
  }

  /**
   * The input of group gateup of block i: rmsNorm(h) with the post-attention norm.
   * @example
   * const n2 = model.gateupInputOf(0, h);
   */
  gateupInputOf(i: number, h: Tensor): Tensor {
    return rmsNorm(h, this.layers[i].postNorm, this.config.rmsNormEps);
  }

  /**
   * The input of group down: silu(gate(n2)) · up(n2), f32 [T, intermediate].
   * @example
   * const s = model.mlpInputOf(0, n2);
   */
  mlpInputOf(i: number, n2: Tensor): Tensor {
    const l = this.layers[i];
    const g = project(n2, l.gate);
    const u = project(n2, l.up);
    swiglu(g, u);
    u.dispose();
    return g;
  }

  /**
   * The block's output: h += down(s), in place; returns h.
   * @example
   * const out = model.outputOf(0, h, s);
   */
  outputOf(i: number, h: Tensor, s: Tensor): Tensor {
    const d = project(s, this.layers[i].down);
    addInto(h, d);
    d.dispose();
    return h;
  }

  /** The block through the stages above, stopping after group `until`'s input is observed. */
  private runBlock(i: number, x: Tensor, observe: GroupObserver | undefined, until: LinearGroup | null): Tensor | null {
    const n1 = this.qkvInputOf(i, x);
    observe?.('qkv', n1);
    if (until === 'qkv') {
      n1.dispose();
      return null;
    }
    const a = this.attentionOf(i, n1);
    n1.dispose();
    observe?.('o', a);
    if (until === 'o') {
      a.dispose();
      return null;
    }
    const h = this.residualOf(i, x, a);
    a.dispose();
    const n2 = this.gateupInputOf(i, h);
    observe?.('gateup', n2);
    if (until === 'gateup') {
      n2.dispose();
      h.dispose();
      return null;
    }
    const s = this.mlpInputOf(i, n2);
    n2.dispose();
    observe?.('down', s);
    if (until === 'down') {
      s.dispose();
      h.dispose();
      return null;
    }
    const out = this.outputOf(i, h, s);
    s.dispose();
    return out;
  }

  /**
   * Final norm and vocabulary head: logits f32 [T, vocab] from hidden states [T, hidden].
   * @example
   * const logits = model.head(h);
   */
  head(x: Tensor): Tensor {
    const n = rmsNorm(x, this.norm, this.config.rmsNormEps);
    try {
      return project(n, this.lmHead);
    } finally {
      n.dispose();
    }
  }

  /**
   * Logits f32 [T, vocab] of every position of `tokens` (one causal window, positions 0..T-1):
   * logits[t] scores the token following tokens[0..t].
   * @throws ValueError for an empty window or a token outside the vocabulary
   * @example
   * const logits = model.forward([77, 114, 46]); // [3, 256]
   */
  forward(tokens: ArrayLike<number>): Tensor {
    if (tokens.length === 0) throw new ValueError(`forward needs at least one token`);
    let h = this.embed(tokens);
    for (let i = 0; i < this.layers.length; i++) {
      const next = this.block(i, h);
      h.dispose();
      h = next;
    }
    try {
      return this.head(h);
    } finally {
      h.dispose();
    }
  }

  /**
   * Storage bits per weight over the projection weights of every block (dense f32 counts 32).
   * @example
   * model.bitsPerWeight(); // 32 before quantization, ~4.16 after W4 g128
   */
  bitsPerWeight(): number {
    let bits = 0;
    let n = 0;
    for (const l of this.layers) {
      for (const p of PROJECTIONS) {
        const w = l[p];
        const size = w.shape[0] * w.shape[1];
        bits += w instanceof Tensor ? size * 32 : w.sizeBits().total;
        n += size;
      }
    }
    return bits / n;
  }

  /** Frees every weight. */
  dispose(): void {
    this.embedTokens.dispose();
    if (this.lmHead !== this.embedTokens) this.lmHead.dispose();
    this.norm.dispose();
    for (const l of this.layers) {
      l.inputNorm.dispose();
      l.postNorm.dispose();
      for (const p of PROJECTIONS) l[p].dispose();
    }
  }
}
