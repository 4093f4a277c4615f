/**
 * The `quantensor` command: `inspect` on the real tiny Llama, a quantized file and a GPTQ export
 * (totals checked against the index's own counts and against bits computed by hand), exit codes
 * 0/1/2 with one-line messages, and one run as a real process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import { exportAwq } from '../../src/io/awq-format.js';
import { exportGptq } from '../../src/io/gptq-format.js';
import { saveQuantized } from '../../src/io/quantized.js';
import { quantize } from '../../src/ops/quant.js';
import { tensor } from '../../src/tensor.js';

const DIR = 'test/fixtures/tiny-llama-bytes';
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'qt-cli-'));
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

function ramp(rows: number, cols: number): ReturnType<typeof tensor> {
  return tensor(Array.from({ length: rows * cols }, (_, k) => Math.sin(k * 0.37) * 3), [rows, cols]);
}

describe('quantensor inspect', () => {
  it('lists the sharded tiny Llama with totals matching its index', async () => {
    const r = await run('inspect', DIR, '--json');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const rep = JSON.parse(r.out);
    expect(rep.format).toBe('safetensors');
    expect(rep.files).toHaveLength(2);
    expect(rep.tensors).toHaveLength(57);
    expect(rep.totalParams).toBe(9638784); // index metadata total_parameters
    expect(rep.totalBytes).toBe(19277568); // index metadata total_size
    expect(rep.bitsPerWeight).toBe(16);
    expect(rep.tensors.find((t: { name: string }) => t.name === 'model.layers.3.mlp.up_proj.weight')).toMatchObject({ dtype: 'bf16', shape: [1024, 384], bytes: 786432 });
    const text = await run('inspect', DIR);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/57 tensors, 9,638,784 parameters/);
    expect(text.out).toMatch(/model\.layers\.5\.self_attn\.k_proj\.weight\s+bf16\s+\[128, 384\]\s+16\s+96\.0 KiB/);
  });

  it('shows QTensors of the quantized format with their stored bits per weight', async () => {
    const dir = await tempDir();
    const path = join(dir, 'q.safetensors');
    // int4, symmetric, f16 scales per 128 columns: 4 + 16/128 = 4.125 bits per weight on disk.
    await saveQuantized(path, { 'w.weight': quantize(ramp(8, 256), { dtype: 'int4', groupSize: 128, symmetric: true }), 'n.weight': tensor([1, 2], [2], 'f32') });
    const rep = JSON.parse((await run('inspect', path, '--json')).out);
    expect(rep.format).toBe('quantensor');
    expect(rep.tensors).toEqual([
      { name: 'n.weight', dtype: 'f32', shape: [2], params: 2, bytes: 8, bitsPerWeight: 32, kind: 'dense' },
      { name: 'w.weight', dtype: 'int4', shape: [8, 256], params: 2048, bytes: 1024 + 32, bitsPerWeight: 4.125, kind: 'quantized' },
    ]);
  });

  it('shows GPTQ layers as one intN weight each', async () => {
    const dir = await tempDir();
    await exportGptq(dir, { 'l.weight': quantize(ramp(32, 64), { dtype: 'int4', groupSize: 32, symmetric: true }), 'norm.weight': tensor([1, 1], [2], 'f32') });
    const rep = JSON.parse((await run('inspect', dir, '--json')).out);
    expect(rep.format).toBe('gptq');
    const l = rep.tensors.find((t: { name: string }) => t.name === 'l.weight');
    // qweight 8x32 int32 + qzeros 2x4 int32 + scales 2x32 f16 + g_idx 64 int32 = 1024 + 32 + 128 + 256 bytes.
    expect(l).toMatchObject({ dtype: 'int4', shape: [32, 64], bytes: 1440, kind: 'gptq' });
    expect(rep.tensors.map((t: { name: string }) => t.name).sort()).toEqual(['l.weight', 'norm.weight']);
  });

  it('shows AWQ layers as one int4 weight each, with [out, in] from the transposed qweight', async () => {
    const dir = await tempDir();
    await exportAwq(dir, { 'l.weight': quantize(ramp(16, 64), { dtype: 'int4', groupSize: 32 }) });
    const rep = JSON.parse((await run('inspect', dir, '--json')).out);
    expect(rep.format).toBe('awq');
    // qweight 64x2 int32 + qzeros 2x2 int32 + scales 2x16 f16 = 512 + 16 + 64 bytes.
    expect(rep.tensors).toEqual([{ name: 'l.weight', dtype: 'int4', shape: [16, 64], params: 1024, bytes: 592, bitsPerWeight: 4.625, kind: 'awq' }]);
  });
});

describe('exit codes and messages', () => {
  it('2 for usage errors, with the reason and the help', async () => {
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/usage: quantensor <command>/);
    const unknown = await run('inspcet', DIR);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'inspcet'/);
    const badOpt = await run('inspect', DIR, '--jsn');
    expect(badOpt.code).toBe(2);
    expect(badOpt.err).toMatch(/inspect: Unknown option '--jsn'/);
    const two = await run('inspect', DIR, DIR);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/expected one file or directory, got 2/);
  });

  it('1 for runtime errors, as one line naming the file', async () => {
    const missing = await run('inspect', '/nonexistent/model.safetensors');
    expect(missing.code).toBe(1);
    expect(missing.err.trim()).toBe('quantensor inspect: no such file or directory: /nonexistent/model.safetensors');
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.safetensors'), new Uint8Array([1, 2, 3]));
    const bad = await run('inspect', join(dir, 'bad.safetensors'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/FormatError: .*bad\.safetensors: 3 bytes is too short/);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });

  it('0 for help', async () => {
    expect((await run('--help')).code).toBe(0);
    const h = await run('inspect', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--json/);
    expect((await run('help', 'inspect')).out).toMatch(/usage: quantensor inspect/);
  });

  it('runs as a process with the same exit codes', async () => {
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'inspect', DIR, '--json']);
    expect(JSON.parse(ok.stdout).totalParams).toBe(9638784);
    const usage = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'inspect']).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(usage).toBe(2);
  });
});
