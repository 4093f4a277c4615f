/**
 * The Llama-family configuration: the fields of a Hugging Face `config.json` that the forward pass
 * needs, validated and normalised (head_dim defaulted, rope_theta read from either place newer and
 * older transformers write it). Not the file reading (src/io) and not the model.
 */
import { ValueError } from '../errors.js';

/** What the forward pass needs to know about a Llama-family checkpoint. */
export interface LlamaConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  /** lm_head shares the embedding matrix. */
  readonly tieWordEmbeddings: boolean;
  readonly maxPositionEmbeddings: number;
}

function int(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueError(`config.json: ${key} must be a positive integer, got ${JSON.stringify(raw[key])}`);
  }
  return v;
}

function positive(raw: Record<string, unknown>, key: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new ValueError(`config.json: ${key} must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Normalises a parsed Hugging Face `config.json` of a Llama-family model. `rope_theta` is read from
 * `rope_parameters.rope_theta` (transformers >= 5) or `rope_theta` (older), default 10000.
 * Only the default RoPE is supported (scaled variants throw rather than silently mis-position).
 * @throws ValueError naming the field that is missing or invalid
 * @example
 * const cfg = llamaConfig(JSON.parse(fs.readFileSync('config.json', 'utf8')));
 * cfg.headDim; // 64 for the tiny model (384 / 6)
 */
export function llamaConfig(raw: unknown): LlamaConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ValueError(`config.json must hold an object`);
  const r = raw as Record<string, unknown>;
  const hiddenSize = int(r, 'hidden_size');
  const numHeads = int(r, 'num_attention_heads');
  const numKvHeads = int(r, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ValueError(`config.json: num_attention_heads ${numHeads} must be a multiple of num_key_value_heads ${numKvHeads}`);
  }
  const headDim = r.head_dim == null ? hiddenSize / numHeads : int(r, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ValueError(`config.json: head_dim ${headDim} (hidden_size ${hiddenSize} / ${numHeads} heads) must be an even integer`);
  }
  const rp = (r.rope_parameters ?? null) as Record<string, unknown> | null;
  const ropeType = rp?.rope_type ?? (r.rope_scaling as Record<string, unknown> | null | undefined)?.rope_type ?? 'default';
  if (ropeType !== 'default') throw new ValueError(`config.json: rope_type '${String(ropeType)}' is not supported (only 'default')`);
  const theta = rp?.rope_theta ?? r.rope_theta ?? 10000;
  const act = r.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ValueError(`config.json: hidden_act '${String(act)}' is not supported (only 'silu')`);
  if (r.attention_bias === true || r.mlp_bias === true) throw new ValueError(`config.json: attention_bias / mlp_bias are not supported`);
  return {
    hiddenSize,
    intermediateSize: int(r, 'intermediate_size'),
    numLayers: int(r, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: int(r, 'vocab_size'),
    rmsNormEps: positive(r, 'rms_norm_eps', r.rms_norm_eps ?? 1e-6),
    ropeTheta: positive(r, 'rope_theta', theta),
    tieWordEmbeddings: r.tie_word_embeddings === true,
    maxPositionEmbeddings: int(r, 'max_position_embeddings', 2048),
  };
}
