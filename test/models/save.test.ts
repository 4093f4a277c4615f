/** saveModel / loadModel: a quantized tiny-llama-bytes survives the round trip bit for bit. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/kernels/backend.js';
import { QTensor } from '../../src/qtensor.js';
import { loadLlama } from '../../src/models/load.js';
import { quantizeModel } from '../../src/models/quantize-model.js';
import { loadModel, saveModel } from '../../src/models/save.js';

beforeAll(async () => {
  await ready();
});

describe('saveModel', () => {
  it('round-trips a quantized model (same logits, same QTensor dtypes, HF config keys)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qt-save-'));
    try {
      const model = await loadLlama('test/fixtures/tiny-llama-bytes');
      await quantizeModel(model, { method: 'rtn', dtype: 'int3', groupSize: 64 });
      await saveModel(model, dir, { maxShardBytes: 4e6 });
      const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
      expect(cfg.rope_parameters.rope_theta).toBe(10000);
      expect(cfg.num_key_value_heads).toBe(2);
      const again = await loadModel(dir);
      expect(again.layers[3].down).toBeInstanceOf(QTensor);
      expect((again.layers[3].down as QTensor).dtype).toBe('int3');
      expect(again.bitsPerWeight()).toBe(model.bitsPerWeight());
      const tokens = [77, 114, 46, 32, 83, 112, 101, 97, 107];
      expect(Array.from(again.forward(tokens).toFloat32())).toEqual(Array.from(model.forward(tokens).toFloat32()));
      model.dispose();
      again.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
