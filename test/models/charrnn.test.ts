/**
 * The charRNN LSTM (ml5 checkpoints in ../shared/models/charrnn, read in place, never copied) against
 * test/models/numpy_charrnn.py (a numpy transcription of TF BasicLSTMCell sharing no code with
 * src/models), and its quantization: RTN and GPTQ int4/int3 on the gate weights.
 * Held-out text: the Llama test.txt (not the authors' training text); calibration: calib.bin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/kernels/backend.js';
import { QTensor } from '../../src/qtensor.js';
import { charRnnBitsPerChar, loadCharRnn } from '../../src/models/charrnn.js';
import { quantizeCharRnn } from '../../src/models/charrnn-quant.js';

const ROOT = '../shared/models/charrnn';
const text = readFileSync('test/fixtures/tiny-llama-bytes/test.txt', 'utf8');
const calib = readFileSync('test/fixtures/tiny-llama-bytes/calib.bin').toString('latin1');
const EVAL = { streams: 16, maxChars: 4096 };

beforeAll(async () => {
  await ready();
});

describe.runIf(existsSync(ROOT))('charRNN', () => {
  it('matches numpy bits per character (darwin, zora_neale_hurston)', async () => {
    // python3 test/models/numpy_charrnn.py <dir> test.txt 16 4096
    for (const [name, want] of [['darwin', 2.884410056890905], ['zora_neale_hurston', 3.209866969696621]] as const) {
      const rnn = await loadCharRnn(`${ROOT}/${name}`);
      const r = charRnnBitsPerChar(rnn, text, EVAL);
      expect(r.chars).toBe(4080);
      expect(r.bitsPerChar).toBeCloseTo(want, 4);
      rnn.dispose();
    }
  });

  it('GPTQ stays close to fp32 at int4 and beats RTN at int3', async () => {
    const bpc: Record<string, number> = {};
    for (const [key, method, dtype] of [['fp', null, null], ['rtn4', 'rtn', 'int4'], ['gptq4', 'gptq', 'int4'], ['rtn3', 'rtn', 'int3'], ['gptq3', 'gptq', 'int3']] as const) {
      const rnn = await loadCharRnn(`${ROOT}/darwin`);
      if (method) {
        const reports = quantizeCharRnn(rnn, { method, dtype, groupSize: 128, calib, streams: 32, calibChars: 8192 });
        expect(reports).toHaveLength(2);
        expect(rnn.layers[0].w).toBeInstanceOf(QTensor);
        const b = dtype === 'int4' ? 4 : 3;
        expect(reports[0].bitsPerWeight).toBeCloseTo(b + (16 + b) / 128, 6); // codes + f16 scale + zero per group
      }
      bpc[key] = charRnnBitsPerChar(rnn, text, EVAL).bitsPerChar;
      rnn.dispose();
    }
    expect(bpc.gptq4).toBeLessThan(bpc.fp * 1.02);
    expect(bpc.gptq3).toBeLessThan(bpc.rtn3);
    expect(bpc.rtn3).toBeGreaterThan(bpc.fp);
  });
});
