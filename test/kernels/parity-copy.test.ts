/**
 * Parity of the copy2d kernels: WASM (16 x 16 tiles) versus the JS reference, bit for bit, on
 * random and adversarial shapes (0, 1, primes, non-multiples of the tile), straight and transposing
 * strides, padded offsets; f64 → f32 values chosen at and between f32 ties, and the rule checked
 * directly: every destination element equals Math.fround (or the exact value) of its source, and
 * elements outside the destination's pattern are left alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../src/kernels/table.js';
import { dimArb, readRef, refIn, rng } from './helpers.js';

const KINDS = [
  ['copy2d_f32_f64', Float32Array, Float64Array],
  ['copy2d_f64_f32', Float64Array, Float32Array],
  ['copy2d_f64_f64', Float64Array, Float64Array],
] as const;

describe('copy2d parity', () => {
  it('wasm equals the js reference bit for bit and follows the rule', () => {
    fc.assert(
      fc.property(dimArb(40), dimArb(40), fc.boolean(), fc.nat(3), fc.integer({ min: 0, max: 2 }), fc.integer(), (rows, cols, transpose, pad, kind, seed) => {
        const [name, From, To] = KINDS[kind];
        const next = rng(seed);
        // Source row-major with a padded row stride; destination either the same or transposed.
        const rss = cols + pad;
        const src = new From(Math.max(1, rows * rss));
        // f64 values exactly halfway between two f32 values (ties), and ordinary ones.
        for (let i = 0; i < src.length; i++) {
          const f = Math.fround(next() * 2 - 1);
          src[i] = next() < 0.3 && From === Float64Array ? f + 2 ** -25 * Math.abs(f || 1) : next() * 4 - 2;
        }
        const [rsd, csd] = transpose ? [1, rows + pad] : [cols + pad, 1];
        const dstLen = Math.max(1, transpose ? cols * (rows + pad) : rows * (cols + pad));
        const dst0 = new To(dstLen).fill(7);
        const run = (where: 'js' | 'wasm') => {
          const s = refIn(src, where, 2);
          const d = refIn(dst0, where, 1);
          const fn = where === 'js' ? KERNELS[name].js : KERNELS[name].wasm!;
          fn({ rows, cols, src: s, rss, css: 1, dst: d, rsd, csd });
          return readRef(d, To, dstLen);
        };
        const js = run('js');
        const wasm = run('wasm');
        expect(Array.from(wasm)).toEqual(Array.from(js));
        const written = new Set<number>();
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            const at = i * rsd + j * csd;
            written.add(at);
            const v = src[i * rss + j];
            expect(js[at]).toBe(To === Float32Array ? Math.fround(v) : v);
          }
        }
        for (let k = 0; k < dstLen; k++) if (!written.has(k)) expect(js[k]).toBe(7);
      }),
      { numRuns: 300 },
    );
  });
});
