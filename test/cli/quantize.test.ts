/**
 * `quantensor quantize` and `eval` end to end on the real tiny Llama: the report's figures, the HTML
 * page, and the checkpoint written in both layouts evaluating to exactly the perplexity the report
 * measured in memory (so what is saved is what was measured). RTN keeps it fast; PVQ (not a QTensor,
 * saved through its own codec) runs once with a small calibration; the other calibrated methods have
 * their own tests in test/models.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import type { QuantizeSummary } from '../../src/cli/quantize.js';
import { getThreads } from '../../src/kernels/threads.js';

const DIR = 'test/fixtures/tiny-llama-bytes';
const TEXT = join(DIR, 'test.txt');
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'qt-quantize-'));
  dirs.push(d);
  return d;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('quantensor quantize + eval', () => {
  for (const format of ['quantensor', 'gptq'] as const) {
    it(`rtn int4 g128, ${format} layout: report figures, HTML, and the saved model scores what was reported`, async () => {
      const out = join(await tempDir(), 'q');
      const q = await run('quantize', DIR, '--method', 'rtn', '--dtype', 'int4', '--group-size', '128', '--symmetric', '--format', format, '--out', out, '--eval-text', TEXT, '--windows', '2', '--json');
      expect(q.err).toBe('');
      expect(q.code).toBe(0);
      const s = JSON.parse(q.out) as QuantizeSummary;
      // 6 layers x 7 projections, each int4 with one f16 scale per 128 columns (symmetric: no zeros).
      expect(s.layers).toHaveLength(42);
      expect(s.bitsPerWeight).toBeCloseTo(4 + 16 / 128, 10);
      expect(s.projectionBytes16).toBe(6 * (384 * 384 * 2 + 384 * 128 * 2 + 3 * 384 * 1024) * 2);
      expect(s.before!.windows).toBe(2);
      // Quantization costs a little perplexity on this model, not a lot (W4 RTN: well under 10%).
      expect(s.after!.ppl).toBeGreaterThan(s.before!.ppl * 0.995);
      expect(s.after!.ppl).toBeLessThan(s.before!.ppl * 1.1);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect([...html.matchAll(/<rect class="bar"/g)]).toHaveLength(42);
      expect(existsSync(join(out, 'config.json'))).toBe(true);

      const e = await run('eval', out, '--text', TEXT, '--windows', '2', '--json');
      expect(e.code).toBe(0);
      const r = JSON.parse(e.out) as { ppl: number; nats: number; tokens: number };
      expect(r.tokens).toBe(s.after!.tokens);
      expect(r.nats).toBe(s.after!.nats);
    });
  }

  it('pvq int3: PVQ codes within 3 bits per weight, saved in the own format and evaluated to the reported perplexity', async () => {
    const out = join(await tempDir(), 'q');
    const q = await run('quantize', DIR, '--method', 'pvq', '--dtype', 'int3', '--samples', '2', '--seq-len', '256', '--out', out, '--eval-text', TEXT, '--windows', '1', '--json');
    expect(q.err).toBe('');
    expect(q.code).toBe(0);
    const s = JSON.parse(q.out) as QuantizeSummary;
    expect(s.layers).toHaveLength(42);
    for (const l of s.layers) {
      expect(l.dtype).toBe('pvq');
      expect(l.bitsPerWeight).toBeLessThanOrEqual(3);
    }
    expect(s.bitsPerWeight).toBeGreaterThan(2.5);
    expect(s.after!.ppl).toBeLessThan(s.before!.ppl * 1.2);
    const e = await run('eval', out, '--text', TEXT, '--windows', '1', '--json');
    expect(e.code).toBe(0);
    expect((JSON.parse(e.out) as { nats: number }).nats).toBe(s.after!.nats);
  }, 300_000);

  it('gptq flags --act-order --static-groups --damp reach the quantizer and the report', async () => {
    const dir = await tempDir();
    const calib = ['--method', 'gptq', '--samples', '1', '--seq-len', '128', '--json'];
    const plain = await run('quantize', DIR, ...calib, '--out', join(dir, 'a'));
    const tuned = await run('quantize', DIR, ...calib, '--act-order', '--static-groups', '--damp', '0.05', '--out', join(dir, 'b'));
    expect([plain.code, tuned.code]).toEqual([0, 0]);
    const a = JSON.parse(plain.out) as QuantizeSummary;
    const b = JSON.parse(tuned.out) as QuantizeSummary;
    expect([a.actOrder, a.staticGroups, a.clipSearch]).toEqual([false, false, false]);
    expect([b.actOrder, b.staticGroups, b.clipSearch]).toEqual([true, true, false]);
    // Other column order and damping give other codes: every layer's error changes.
    for (let i = 0; i < a.layers.length; i++) expect(b.layers[i].error).not.toBe(a.layers[i].error);
    expect(readFileSync(join(dir, 'b', 'report.html'), 'utf8')).toContain('gptq int4 group 128 act-order static-groups on');
  }, 300_000);

  it('--threads: the same perplexity on two threads as on one, the count restored after, bad counts exit 2', async () => {
    const one = await run('eval', DIR, '--text', TEXT, '--windows', '2', '--json');
    const two = await run('eval', DIR, '--text', TEXT, '--windows', '2', '--threads', '2', '--json');
    expect(two.code).toBe(0);
    expect((JSON.parse(two.out) as { nats: number }).nats).toBe((JSON.parse(one.out) as { nats: number }).nats);
    expect(getThreads()).toBe(1);
    for (const bad of ['0', '1.5', 'x', '100000']) expect((await run('eval', DIR, '--text', TEXT, '--threads', bad)).code, bad).toBe(2);
  });

  it('usage mistakes exit 2 with a message; a missing model exits 1', async () => {
    const out = join(await tempDir(), 'q');
    const noOut = await run('quantize', DIR, '--method', 'rtn');
    expect(noOut.code).toBe(2);
    expect(noOut.err).toMatch(/--out DIR is required/);
    const badDtype = await run('quantize', DIR, '--dtype', 'int5', '--out', out);
    expect(badDtype.code).toBe(2);
    expect(badDtype.err).toMatch(/--dtype must be one of .*int4/);
    const badMethod = await run('quantize', DIR, '--method', 'hqq', '--out', out);
    expect(badMethod.code).toBe(2);
    expect(badMethod.err).toMatch(/--method must be one of rtn, gptq, awq, awq\+gptq, pvq, vq/);
    const badGroup = await run('quantize', DIR, '--group-size', '0', '--out', out);
    expect(badGroup.code).toBe(2);
    const badDamp = await run('quantize', DIR, '--damp', '0', '--out', out);
    expect(badDamp.code).toBe(2);
    expect(badDamp.err).toMatch(/--damp must be a positive number, got '0'/);
    const noCalib = await run('quantize', DIR, '--method', 'gptq', '--calib', join(DIR, 'nope.bin'), '--out', out);
    expect(noCalib.code).toBe(2);
    expect(noCalib.err).toMatch(/needs calibration/);
    const noText = await run('eval', DIR);
    expect(noText.code).toBe(2);
    const missing = await run('eval', join(DIR, 'no-such-model'), '--text', TEXT);
    expect(missing.code).toBe(1);
    expect(missing.err.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
