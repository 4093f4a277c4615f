/**
 * The Llama forward pass against independent references: the logits of reference.json (Hugging Face
 * transformers), and perplexity constants from test/models/numpy_llama.py (a numpy transcription of
 * LlamaForCausalLM sharing no code with src/models). Perplexity runs on a few windows: the full
 * test.txt is 1668 windows (see docs/results.md for the full-set number).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/kernels/backend.js';
import { ValueError } from '../../src/errors.js';
import { loadLlama } from '../../src/models/load.js';
import { llamaConfig } from '../../src/models/config.js';
import { perplexity } from '../../src/models/perplexity.js';
import type { LlamaModel } from '../../src/models/llama.js';

const DIR = 'test/fixtures/tiny-llama-bytes';
const ref = JSON.parse(readFileSync(`${DIR}/reference.json`, 'utf8')) as {
  input_ids: number[];
  logits_first8: number[][];
  argmax: number[];
  logsumexp: number[];
};
const testBytes = readFileSync(`${DIR}/test.txt`);

let model: LlamaModel;
beforeAll(async () => {
  await ready();
  model = await loadLlama(DIR);
});

describe('llamaConfig', () => {
  const base = { hidden_size: 384, intermediate_size: 1024, num_hidden_layers: 6, num_attention_heads: 6, num_key_value_heads: 2, vocab_size: 256, rms_norm_eps: 1e-5 };
  it('reads rope_theta from rope_parameters (new) and from the top level (old)', () => {
    expect(llamaConfig({ ...base, rope_parameters: { rope_theta: 5e5, rope_type: 'default' } }).ropeTheta).toBe(5e5);
    expect(llamaConfig({ ...base, rope_theta: 1e6 }).ropeTheta).toBe(1e6);
    expect(llamaConfig(base).ropeTheta).toBe(10000);
  });
  it('defaults head_dim to hidden / heads and rejects what it cannot run', () => {
    expect(llamaConfig(base).headDim).toBe(64);
    expect(() => llamaConfig({ ...base, num_key_value_heads: 4 })).toThrow(/multiple of num_key_value_heads 4/);
    expect(() => llamaConfig({ ...base, rope_scaling: { rope_type: 'yarn' } })).toThrow(/yarn/);
    expect(() => llamaConfig({ ...base, hidden_size: 0 })).toThrow(ValueError);
  });
});

describe('LlamaModel.forward on tiny-llama-bytes', () => {
  it('matches the reference logits of the first 64 test bytes within 2e-2', () => {
    const z = model.forward(ref.input_ids);
    expect(z.shape).toEqual([64, 256]);
    const d = z.toFloat32();
    z.dispose();
    let maxErr = 0;
    for (let t = 0; t < 64; t++) {
      for (let j = 0; j < 8; j++) maxErr = Math.max(maxErr, Math.abs(d[t * 256 + j] - ref.logits_first8[t][j]));
      let m = -Infinity;
      let am = 0;
      for (let j = 0; j < 256; j++) if (d[t * 256 + j] > m) [m, am] = [d[t * 256 + j], j];
      let s = 0;
      for (let j = 0; j < 256; j++) s += Math.exp(d[t * 256 + j] - m);
      expect(am).toBe(ref.argmax[t]);
      expect(Math.abs(m + Math.log(s) - ref.logsumexp[t])).toBeLessThan(2e-2);
    }
    expect(maxErr).toBeLessThan(2e-2);
  });

  it('is causal: logits of a prefix do not depend on what follows it', () => {
    const a = model.forward(ref.input_ids.slice(0, 20)).toFloat32();
    const b = model.forward([...ref.input_ids.slice(0, 20), 1, 2, 3]).toFloat32();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4);
  });

  it('rejects tokens outside the vocabulary and empty windows', () => {
    expect(() => model.forward([1, 256])).toThrow(/token 256 at position 1/);
    expect(() => model.forward([])).toThrow(ValueError);
  });
});

describe('perplexity', () => {
  // python3 test/models/numpy_llama.py ppl 0 4  and  ppl 1666 2 (the last window is partial: 280 bytes).
  it('matches numpy over windows [0, 4) of test.txt', () => {
    const r = perplexity(model, testBytes, { ctx: 512, maxWindows: 4 });
    expect(r.tokens).toBe(2044);
    expect(r.windows).toBe(4);
    expect(r.nats).toBeCloseTo(1.0314184281066454, 4);
    expect(r.ppl).toBeCloseTo(Math.exp(1.0314184281066454), 3);
  });
  it('matches numpy over the last two windows, the last one partial', () => {
    const r = perplexity(model, testBytes, { ctx: 512, startWindow: 1666 });
    expect(r.windows).toBe(2);
    expect(r.tokens).toBe(790);
    expect(r.nats).toBeCloseTo(1.3211942861964727, 4);
  });
  it('rejects a context shorter than 2 and a text with nothing to predict', () => {
    expect(() => perplexity(model, testBytes, { ctx: 1 })).toThrow(ValueError);
    expect(() => perplexity(model, new Uint8Array([65]))).toThrow(/nothing to score/);
  });
});
