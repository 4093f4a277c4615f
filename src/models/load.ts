/**
 * Loading a Llama-family checkpoint directory (Hugging Face layout: config.json plus one or more
 * safetensors shards) into a `LlamaModel`: every tensor is read once and widened to f32 (bf16/f16
 * on disk). Not the file formats themselves (src/io).
 */
import { FormatError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { llamaConfig, type LlamaConfig } from './config.js';
import { LlamaModel, type LlamaLayer } from './llama.js';
import { checkPath } from '../io/args.js';
import { openCheckpoint, readConfig, type Checkpoint } from '../io/checkpoint.js';

/** Hugging Face tensor names of block i, by projection / norm. */
export function layerTensorNames(i: number): Record<keyof LlamaLayer, string> {
  const p = `model.layers.${i}.`;
  return {
    inputNorm: `${p}input_layernorm.weight`,
    postNorm: `${p}post_attention_layernorm.weight`,
    q: `${p}self_attn.q_proj.weight`,
    k: `${p}self_attn.k_proj.weight`,
    v: `${p}self_attn.v_proj.weight`,
    o: `${p}self_attn.o_proj.weight`,
    gate: `${p}mlp.gate_proj.weight`,
    up: `${p}mlp.up_proj.weight`,
    down: `${p}mlp.down_proj.weight`,
  };
}

/** Reads one tensor as f32 (the stored one is freed when it was converted). */
export async function readF32(ckpt: Checkpoint, name: string): Promise<Tensor> {
  if (!ckpt.has(name)) throw new FormatError(`checkpoint has no tensor ${name}`);
  const t = await ckpt.read(name);
  if (t.dtype === 'f32') return t;
  const f = t.astype('f32');
  t.dispose();
  return f;
}

/** Reads the f32 weights of block i. */
export async function readLayer(ckpt: Checkpoint, i: number): Promise<LlamaLayer> {
  const names = layerTensorNames(i);
  const out: Partial<LlamaLayer> = {};
  for (const key of Object.keys(names) as (keyof LlamaLayer)[]) out[key] = await readF32(ckpt, names[key]);
  return out as LlamaLayer;
}

/** An open checkpoint with its parsed config. */
export interface OpenLlama {
  readonly config: LlamaConfig;
  readonly checkpoint: Checkpoint;
}

/**
 * Opens a checkpoint directory and parses its config (no weights read).
 * @example
 * const { config, checkpoint } = await openLlama('test/fixtures/tiny-llama-bytes');
 */
export async function openLlama(dir: string): Promise<OpenLlama> {
  const config = llamaConfig(await readConfig(dir));
  return { config, checkpoint: await openCheckpoint(dir) };
}

/**
 * Loads a Llama-family checkpoint directory into memory with f32 weights.
 * @throws FormatError when a tensor is missing; ShapeError when one has the wrong shape
 * @example
 * const model = await loadLlama('test/fixtures/tiny-llama-bytes');
 * model.config.numLayers; // 6
 */
export async function loadLlama(dir: string): Promise<LlamaModel> {
  checkPath('loadLlama', dir, 'dir');
  const { config, checkpoint } = await openLlama(dir);
  try {
    const embed = await readF32(checkpoint, 'model.embed_tokens.weight');
    const layers: LlamaLayer[] = [];
    for (let i = 0; i < config.numLayers; i++) layers.push(await readLayer(checkpoint, i));
    const norm = await readF32(checkpoint, 'model.norm.weight');
    const tied = config.tieWordEmbeddings || !checkpoint.has('lm_head.weight');
    const head = tied ? embed : await readF32(checkpoint, 'lm_head.weight');
    return new LlamaModel(config, embed, layers, norm, head);
  } finally {
    await checkpoint.close();
  }
}
