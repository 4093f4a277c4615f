import { describe, expect, it } from 'vitest';
import { mergeRuns, type RunFile } from '../../bench/merge.js';
import type { BenchResult } from '../../bench/harness.js';

const row = (lib: string, shape: string, threads: number, medianMs: number): BenchResult => ({
  family: 'quant', kernel: 'qmatmul_i8', lib, shape, dtype: 'int4', groupSize: 128, threads,
  medianMs, samples: 10, gflops: null, gbps: null, note: null, error: null,
});

const run = (started: string, results: BenchResult[]): RunFile => ({
  started, quick: false, machine: { cpu: 'x', cores: 2, node: 'v20', platform: 'linux x64', load: { before: 0.5, after: 1 } }, results,
});

describe('bench/merge.ts', () => {
  it('replaces rows of the same case, keeps the others in order, appends new cases and records the run', () => {
    const base = run('2026-01-01', [row('quantensor', '1x4096x4096', 1, 1.5), row('onnxruntime-node', '1x4096x4096', 1, 0.8), row('quantensor', '1x4096x4096', 2, 1.8)]);
    const part = run('2026-01-02', [row('quantensor', '1x4096x4096', 2, 0.7), row('quantensor', '16x4096x4096', 1, 9)]);
    const m = mergeRuns(base, part);
    expect(m.results.map((r) => [r.lib, r.shape, r.threads, r.medianMs])).toEqual([
      ['quantensor', '1x4096x4096', 1, 1.5],
      ['onnxruntime-node', '1x4096x4096', 1, 0.8],
      ['quantensor', '1x4096x4096', 2, 0.7],
      ['quantensor', '16x4096x4096', 1, 9],
    ]);
    expect(m.started).toBe('2026-01-01');
    expect(m.merged).toEqual([{ started: '2026-01-02', load: { before: 0.5, after: 1 }, rows: 2 }]);
    expect(base.results[2].medianMs).toBe(1.8); // the base object is not modified
  });

  it('refuses to mix quick and full runs', () => {
    expect(() => mergeRuns(run('a', []), { ...run('b', []), quick: true })).toThrow(/quick/);
  });

  it('refuses runs of different CPUs, and a run without the CPU id against one with it', () => {
    const on = (id: string | undefined): RunFile => {
      const r = run('b', [row('quantensor', '1x4096x4096', 1, 1)]);
      return { ...r, machine: { ...r.machine, id } };
    };
    const zen = 'family 26 model 2: avx2 fma avx512f';
    expect(mergeRuns(on(zen), on(zen)).results).toHaveLength(1);
    expect(() => mergeRuns(on(zen), on('family 23 model 49: avx2 fma'))).toThrow(/different CPUs.*family 26.*family 23/);
    expect(() => mergeRuns(on(undefined), on(zen))).toThrow(/different CPUs/);
    expect(() => mergeRuns(run('a', []), { ...run('b', []), machine: { ...run('b', []).machine, cores: 4 } })).toThrow(/different CPUs/);
  });
});
