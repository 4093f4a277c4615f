/**
 * qmatmul_i8 on int4 weights whose groups are whole 32-column chunks (group size 32, 64 or 128, k a
 * multiple of it): the WASM kernel's group loop (per-group terms transposed four groups at a time,
 * leftover groups one by one) and its SIMD activation quantizer (scalar fallback when the block's
 * scaling is not finite) must give the bits of the JS reference (src/kernels/js/quant.ts), for any
 * group count, symmetric or not, several tokens, row counts with a leftover row, and activations
 * that hit every rounding and scaling edge: ties, zero blocks, tiny and huge magnitudes, inf, NaN.
 */
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import { qweightArgs } from '../../src/kernels/qweight.js';
import { Storage } from '../../src/memory/storage.js';
import { quantize } from '../../src/ops/quant.js';
import { tensor } from '../../src/tensor.js';
import { randomF32Data } from '../arbitraries.js';

function f32Ref(data: Float32Array): { storage: Storage; offset: number } {
  return { storage: Storage.from(data), offset: 0 };
}

/** y of qmatmul_i8 for impl on the int4 weight w [n, k] (groups of gs) and tokens x [m, k]. */
function runBoth(n: number, k: number, m: number, gs: number, symmetric: boolean, x: Float32Array, seed: number): Float32Array[] {
  const q = quantize(tensor(randomF32Data(n * k, seed), [n, k]), { dtype: 'int4', groupSize: gs, symmetric, scaleDtype: 'f32' });
  try {
    return (['js', 'wasm'] as const).map((impl) => {
      const y = f32Ref(new Float32Array(m * n).fill(-1));
      KERNELS.qmatmul_i8[impl]!({ ...qweightArgs(q), m, x: f32Ref(x), rsx: k, y, rsy: n, r0: 0, r1: n });
      return y.storage.view(Float32Array).slice();
    });
  } finally {
    q.dispose();
  }
}

describe('qmatmul_i8 int4, groups of whole chunks', () => {
  it('matches the reference bit for bit for every group size and group count', () => {
    let seed = 1;
    for (const gs of [32, 64, 128]) {
      // 1-3: only leftover groups; 4, 8: whole fours; 5, 9: fours and leftovers
      for (const nGroups of [1, 3, 4, 5, 9]) {
        for (const symmetric of [false, true]) {
          for (const [n, m] of [[4, 1], [9, 3]]) {
            const k = gs * nGroups;
            const [js, wasm] = runBoth(n, k, m, gs, symmetric, randomF32Data(m * k, seed + 1000), seed++);
            expect(wasm, `gs ${gs} groups ${nGroups} symmetric ${symmetric} n ${n} m ${m}`).toEqual(js);
          }
        }
      }
    }
  });

  it('quantizes activations like the reference at every rounding and scaling edge', () => {
    const gs = 32;
    const blocks: number[][] = [
      // amax 127: the codes are x itself, so .5 ties round to even both ways
      Array.from({ length: 32 }, (_, j) => (j === 0 ? 127 : (j % 2 ? -1 : 1) * (j - 0.5))),
      new Array(32).fill(0), // zero block: scale 0, codes 0
      Array.from({ length: 32 }, (_, j) => (j + 1) * 1e-39), // 127 / amax overflows f32
      Array.from({ length: 32 }, (_, j) => (j % 3 ? 3e38 : -1e38)), // huge but finite
      Array.from({ length: 32 }, (_, j) => (j === 5 ? Infinity : j)), // inf in the block
      Array.from({ length: 32 }, (_, j) => (j === 7 ? NaN : -j)), // NaN in the block
      Array.from({ length: 32 }, (_, j) => (j === 31 ? -2.5e-45 : 0)), // one subnormal
      Array.from({ length: 32 }, (_, j) => Math.fround((j - 16) * 0.3)),
    ];
    // one token per edge block, so that no other block's terms hide its rounding in y
    const [js, wasm] = runBoth(8, gs, blocks.length, gs, false, Float32Array.from(blocks.flat()), 77);
    expect(wasm).toEqual(js);
    // the same edges as whole groups of 128 (each block four times)
    const x2 = Float32Array.from(blocks.flatMap((b) => [...b, ...b, ...b, ...b]));
    const [js2, wasm2] = runBoth(5, 128, blocks.length, 128, true, x2, 78);
    expect(wasm2).toEqual(js2);
    // and one token per call: fewer than four tokens take the row loops, not the many-token tiles
    for (const [b, block] of blocks.entries()) {
      const [js3, wasm3] = runBoth(5, 128, 1, 128, b % 2 === 0, Float32Array.from([...block, ...block, ...block, ...block]), 79 + b);
      expect(wasm3, `edge block ${b}`).toEqual(js3);
    }
  });

  it('keeps the largest group sums exact (every code 15, every activation code +127 or -127)', () => {
    // Rows of ones with one zero per group quantize (asymmetric) to codes 15 and one 0, zero point
    // 0; a constant token quantizes to codes +-127. Each group's sum is then about 15 * 127 * gs,
    // the most any lane of the kernels' narrow accumulators holds (quant-pairs.ts: i16 lanes).
    for (const gs of [32, 64, 128]) {
      const n = 5;
      const k = 2 * gs;
      const w = Float32Array.from({ length: n * k }, (_, i) => (i % gs === 0 ? 0 : 1));
      const q = quantize(tensor(w, [n, k]), { dtype: 'int4', groupSize: gs, symmetric: false, scaleDtype: 'f32' });
      try {
        for (const sign of [1, -1]) {
          const x = new Float32Array(k).fill(sign * 0.75);
          const [js, wasm] = (['js', 'wasm'] as const).map((impl) => {
            const y = f32Ref(new Float32Array(n));
            KERNELS.qmatmul_i8[impl]!({ ...qweightArgs(q), m: 1, x: f32Ref(x), rsx: k, y, rsy: n, r0: 0, r1: n });
            return y.storage.view(Float32Array).slice();
          });
          expect(wasm, `gs ${gs} sign ${sign}`).toEqual(js);
          // and the reference is the exact product: (k - 2) ones times 0.75 (x codes 127 of scale 0.75/127)
          for (const v of js) expect(v).toBeCloseTo(sign * 0.75 * (k - 2), 3);
        }
      } finally {
        q.dispose();
      }
    }
  });
});
