/**
 * quantizeModel on a small random Llama (1 block, hidden 32), fast enough for every method: each
 * projection becomes a QTensor of the expected dtype, reports cover every projection, and the
 * quantized model's logits stay near the f32 model's (closer for calibrated GPTQ than for plain RTN
 * at 2 bits, measured on the calibration distribution).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/kernels/backend.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QTensor } from '../../src/qtensor.js';
import { PvqTensor } from '../../src/quantizers/pvq/index.js';
import { loadModel, saveModel } from '../../src/models/save.js';
import { ones, randn } from '../../src/ops/index.js';
import type { Tensor } from '../../src/tensor.js';
import { llamaConfig } from '../../src/models/config.js';
import { LlamaModel, PROJECTIONS } from '../../src/models/llama.js';
import { quantizeModel, type QuantMethod } from '../../src/models/quantize-model.js';
import { mulberry32 } from '../arbitraries.js';

const cfg = llamaConfig({
  hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2,
  vocab_size: 16, rms_norm_eps: 1e-5,
});

function smallModel(): LlamaModel {
  let seed = 1;
  const w = (o: number, i: number): Tensor => randn([o, i], { seed: seed++, std: 1 / Math.sqrt(i) });
  const layer = {
    inputNorm: ones([32]), postNorm: ones([32]),
    q: w(32, 32), k: w(16, 32), v: w(16, 32), o: w(32, 32), gate: w(64, 32), up: w(64, 32), down: w(32, 64),
  };
  return new LlamaModel(cfg, randn([16, 32], { seed: 99 }), [layer], ones([32]), w(16, 32));
}

const rnd = mulberry32(7);
const calib = Uint8Array.from({ length: 8 * 64 }, () => Math.floor(rnd() * 16));
const probe = Array.from(calib.subarray(0, 64));

function logitError(m: LlamaModel, ref: Float32Array): number {
  const z = m.forward(probe).toFloat32();
  let se = 0;
  let n = 0;
  for (let i = 0; i < z.length; i++) {
    se += (z[i] - ref[i]) ** 2;
    n += ref[i] ** 2;
  }
  return Math.sqrt(se / n);
}

beforeAll(async () => {
  await ready();
});

describe('quantizeModel on a small random Llama', () => {
  it('quantizes every projection with every method', async () => {
    const ref = smallModel().forward(probe).toFloat32();
    for (const method of ['rtn', 'gptq', 'awq', 'awq+gptq', 'vq'] as QuantMethod[]) {
      const m = smallModel();
      const r = await quantizeModel(m, { method, dtype: 'int4', groupSize: 16, calib, chunkSize: 64, samples: 8 });
      expect(r.reports.map((x) => x.name)).toEqual([...PROJECTIONS]);
      for (const p of PROJECTIONS) {
        const q = m.layers[0][p];
        expect(q).toBeInstanceOf(QTensor);
        expect((q as QTensor).dtype).toBe(method === 'vq' ? 'codebook' : 'int4');
      }
      expect(r.bitsPerWeight).toBeGreaterThan(4);
      expect(r.bitsPerWeight).toBeLessThan(method === 'vq' ? 12 : 5.5); // vq: 256 f16 2-d codewords per small weight
      expect(logitError(m, ref)).toBeLessThan(0.2);
      m.dispose();
    }
  });

  it('pvq: every projection a PvqTensor within the bit budget, the forward runs on its codes, saved and loaded exactly', async () => {
    const ref = smallModel().forward(probe).toFloat32();
    const budgets: Record<string, number> = {};
    for (const dtype of ['int4', 'int2'] as const) {
      const m = smallModel();
      const r = await quantizeModel(m, { method: 'pvq', dtype, calib, chunkSize: 64, samples: 8 });
      expect(r.reports.map((x) => x.name)).toEqual([...PROJECTIONS]);
      const bits = dtype === 'int4' ? 4 : 2;
      for (const p of PROJECTIONS) expect(m.layers[0][p]).toBeInstanceOf(PvqTensor);
      for (const x of r.reports) {
        expect(x.dtype).toBe('pvq');
        expect(x.bitsPerWeight).toBeLessThanOrEqual(bits);
        expect(x.bitsPerWeight).toBeGreaterThan(bits - 0.75); // the budget is used, not wasted
      }
      budgets[dtype] = logitError(m, ref);
      if (dtype === 'int4') {
        expect(budgets[dtype]).toBeLessThan(0.2);
        const dir = mkdtempSync(join(tmpdir(), 'qt-pvq-'));
        try {
          await saveModel(m, dir);
          const back = await loadModel(dir);
          for (const p of PROJECTIONS) expect(back.layers[0][p]).toBeInstanceOf(PvqTensor);
          expect(back.forward(probe).toFloat32()).toEqual(m.forward(probe).toFloat32());
          back.dispose();
          await expect(saveModel(m, join(dir, 'g'), { format: 'gptq' })).rejects.toThrow(/PVQ/);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      m.dispose();
    }
    // Fewer bits, larger error: the budget reaches the codes.
    expect(budgets.int2).toBeGreaterThan(budgets.int4);
  });

  it('passes act-order, static groups and the clip search through to the quantizers', async () => {
    const perms: Record<string, boolean> = {};
    for (const staticGroups of [false, true]) {
      const m = smallModel();
      await quantizeModel(m, { method: 'gptq', dtype: 'int2', groupSize: 16, actOrder: true, staticGroups, calib, chunkSize: 64, samples: 8 });
      // Dynamic groups store the codes in act-order (a permutation); static groups keep the original order.
      perms[String(staticGroups)] = (m.layers[0].gate as QTensor).qparams.perm !== undefined;
      m.dispose();
    }
    expect(perms).toEqual({ false: true, true: false });
    const err: Record<string, number> = {};
    for (const clipSearch of [false, true]) {
      const m = smallModel();
      const r = await quantizeModel(m, { method: 'rtn', dtype: 'int2', groupSize: 16, clipSearch });
      err[String(clipSearch)] = r.reports.reduce((a, x) => a + x.error, 0);
      m.dispose();
    }
    // Shrinking the 2-bit range trades clipped outliers for finer steps: less weight error overall.
    expect(err.true).toBeLessThan(err.false * 0.95);
  });

  it('GPTQ at 2 bits keeps the logits closer than RTN on calibration-like input', async () => {
    const ref = smallModel().forward(probe).toFloat32();
    const err: Record<string, number> = {};
    for (const method of ['rtn', 'gptq'] as QuantMethod[]) {
      const m = smallModel();
      await quantizeModel(m, { method, dtype: 'int2', groupSize: 16, calib, chunkSize: 64, samples: 8 });
      err[method] = logitError(m, ref);
      m.dispose();
    }
    expect(err.gptq).toBeLessThan(err.rtn);
  });
});

describe('true-sequential calibration from cached block activations', () => {
  it('gives the model and the reports of rerunning the block for every group, on two blocks', async () => {
    const cfg2 = llamaConfig({
      hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
      vocab_size: 16, rms_norm_eps: 1e-5,
    });
    const twoBlocks = (): LlamaModel => {
      let seed = 11;
      const w = (o: number, i: number): Tensor => randn([o, i], { seed: seed++, std: 1 / Math.sqrt(i) });
      const layer = () => ({
        inputNorm: ones([32]), postNorm: ones([32]),
        q: w(32, 32), k: w(16, 32), v: w(16, 32), o: w(32, 32), gate: w(64, 32), up: w(64, 32), down: w(32, 64),
      });
      return new LlamaModel(cfg2, randn([16, 32], { seed: 98 }), [layer(), layer()], ones([32]), w(16, 32));
    };
    // AWQ folds scales into the norms, PVQ runs on its own tensors, VQ on codebooks
    for (const method of ['gptq', 'awq', 'awq+gptq', 'pvq', 'vq'] as QuantMethod[]) {
      const runs = [];
      for (const activationCacheBytes of [0, undefined]) {
        const m = twoBlocks();
        const r = await quantizeModel(m, { method, dtype: 'int3', groupSize: 16, calib, chunkSize: 64, samples: 8, activationCacheBytes });
        runs.push({ errors: r.reports.map((x) => x.error), logits: Array.from(m.forward(probe).toFloat32()) });
        m.dispose();
      }
      expect(runs[1].errors).toEqual(runs[0].errors);
      expect(runs[1].logits).toEqual(runs[0].logits);
    }
    await expect(quantizeModel(twoBlocks(), { method: 'gptq', calib, chunkSize: 64, samples: 8, activationCacheBytes: -1 })).rejects.toThrow(/activationCacheBytes/);
  });
});
