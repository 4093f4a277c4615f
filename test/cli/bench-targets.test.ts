import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/harness.js';
import { TARGETS, spread, targetRatio, targetsOverRuns } from '../../bench/targets.js';

const row = (lib: string, kernel: string, threads: number, medianMs: number, gbps: number | null = null): BenchResult => ({
  family: kernel === 'gemv_f32' ? 'gemm' : 'quant', kernel, lib, shape: '1x4096x4096', dtype: kernel === 'gemv_f32' ? 'f32' : 'int4',
  groupSize: kernel === 'gemv_f32' ? null : 128, threads, medianMs, samples: 10, gflops: null, gbps, note: null, error: null,
});

const gemvI8 = TARGETS.find((t) => t.what === 'int4 g128 GEMV 1x4096x4096, qmatmul_i8, 1 thread' && t.vs.lib === 'onnxruntime-node')!;
const gemvF32 = TARGETS.find((t) => t.metric === 'gbps')!;

describe('bench/targets.ts', () => {
  it('spread gives the median (mean of the middle two for an even count), lowest and highest', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(() => spread([])).toThrow(/no numbers/);
  });

  it('reads a time ratio as theirs over ours and a rate ratio as ours over theirs', () => {
    expect(targetRatio(gemvI8, row('quantensor', 'qmatmul_i8', 1, 2), row('onnxruntime-node', 'qmatmul_i8', 1, 1))).toBe(0.5);
    expect(targetRatio(gemvF32, row('quantensor', 'gemv_f32', 1, 4, 16), row('onnxruntime-node', 'gemv_f32', 1, 5, 12))).toBeCloseTo(16 / 12, 12);
  });

  it('summarises each target over the runs that have both of its rows, ratios taken within each run', () => {
    const runs = [
      { results: [row('quantensor', 'qmatmul_i8', 1, 1.2), row('onnxruntime-node', 'qmatmul_i8', 1, 0.9)] },
      { results: [row('quantensor', 'qmatmul_i8', 1, 1.8), row('onnxruntime-node', 'qmatmul_i8', 1, 1.2)] },
      // the peer's row failed in this run: the run does not count for the target
      { results: [row('quantensor', 'qmatmul_i8', 1, 1.0), { ...row('onnxruntime-node', 'qmatmul_i8', 1, 0), medianMs: null, error: 'x' }] },
      { results: [row('quantensor', 'qmatmul_i8', 1, 1.5), row('onnxruntime-node', 'qmatmul_i8', 1, 1.5)] },
    ];
    const [s, ...others] = targetsOverRuns([gemvI8, gemvF32], runs);
    expect(others).toEqual([]); // no run has the f32 GEMV rows
    expect(s.target).toBe(gemvI8);
    expect(s.runs).toBe(3);
    expect(s.ours).toEqual({ median: 1.5, min: 1.2, max: 1.8 });
    expect(s.theirs).toEqual({ median: 1.2, min: 0.9, max: 1.5 });
    // per run 0.75, 0.6667, 1: the median of the ratios, not the ratio of the medians (0.8)
    expect(s.ratio.median).toBeCloseTo(0.75, 12);
    expect(s.ratio.min).toBeCloseTo(1.2 / 1.8, 12);
    expect(s.ratio.max).toBe(1);
  });
});
