import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import type { BenchRow } from '../../src/cli/bench.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n') };
  return { code: await main(argv, io), out, err };
}

describe('quantensor bench', () => {
  it('checks and times every case, GB/s for GEMV and GFLOP/s for all', async () => {
    const r = await run('bench', '--size', '96', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { rows, threads } = JSON.parse(r.out) as { rows: BenchRow[]; threads: number };
    expect(threads).toBe(1);
    expect(rows.map((x) => x.name)).toEqual(['int4 g128 GEMV 1x96x96', 'int4 g128 GEMM 16x96x96', 'nf4 g128 GEMV 1x96x96', 'f32 GEMV 1x96x96', 'f32 GEMM 512x512x512']);
    for (const x of rows) {
      expect(x.medianMs).toBeGreaterThan(0);
      expect(Number.isFinite(x.gflopPerS) && x.gflopPerS > 0).toBe(true);
      expect(x.gbPerS === null).toBe(!x.name.includes('GEMV'));
    }
  });

  it('rejects a bad size with exit code 2', async () => {
    expect((await run('bench', '--size', 'x')).code).toBe(2);
    expect((await run('bench', 'extra')).code).toBe(2);
  });
});
