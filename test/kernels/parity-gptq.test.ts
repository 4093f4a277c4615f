/**
 * Parity of gptq_affine_f64: WASM (two rows per f64x2, scalar tail) versus the JS reference, bit for
 * bit (W, E, codes and the loss), on random and adversarial shapes (rows 1, odd, non-multiples of the
 * 4-row update loop) and data (exact ties x = (k + 1/2)·s, values clamped at both ends, codes with
 * an empty finite range on one side). Both are also checked against the rule written out here for
 * the first column: the code rounds x/s + z half to even into [lo, hi], q = f32((c − z)·s), and
 * E = (x − q)/U[t, t].
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmRuntime } from '../../src/kernels/backend.js';
import { KERNELS } from '../../src/kernels/table.js';
import type { Ref } from '../../src/kernels/ref.js';
import { Storage } from '../../src/memory/storage.js';
import { dimArb, readRef, refIn, rng } from './helpers.js';

const u8Ref = (n: number, where: 'js' | 'wasm'): Ref => ({
  storage: Storage.from(new Uint8Array(n + 3), { heap: where === 'wasm' ? wasmRuntime().heap : null }),
  offset: 3,
});

/** The block of one case: rows, width nb, encoded columns [a0, a1), feedback up to kEnd, W and U. */
interface Block {
  rows: number;
  nb: number;
  a0: number;
  a1: number;
  kEnd: number;
  w: Float64Array;
  u: Float64Array;
}

/**
 * Runs one column-step kernel in JS and in WASM on copies of the block (fresh E and codes, refs at
 * padded offsets), asserts W, E, the codes and the loss agree bit for bit, and returns the JS run.
 */
function runBoth(name: 'gptq_affine_f64' | 'gptq_table_f64', b: Block, grid: Float64Array, table: { data: Float64Array; nv: number } | null, loss0: number) {
  const { rows, nb, a0, a1, kEnd } = b;
  const run = (where: 'js' | 'wasm') => {
    const wr = refIn(b.w, where, 1);
    const er = refIn(new Float64Array(nb * rows), where, 2);
    const cr = u8Ref((a1 - a0) * rows, where);
    const args = { rows, nb, a0, a1, kEnd, w: wr, e: er, u: refIn(b.u, where, 3), grid: refIn(grid, where), codes: cr, loss: loss0 };
    const loss =
      name === 'gptq_affine_f64'
        ? (where === 'js' ? KERNELS.gptq_affine_f64.js : KERNELS.gptq_affine_f64.wasm!)(args)
        : (where === 'js' ? KERNELS.gptq_table_f64.js : KERNELS.gptq_table_f64.wasm!)({ ...args, table: refIn(table!.data, where, 1), nv: table!.nv });
    return {
      loss,
      w: Array.from(readRef(wr, Float64Array, nb * rows)),
      e: Array.from(readRef(er, Float64Array, nb * rows)),
      codes: Array.from(cr.storage.view(Uint8Array).slice(3, 3 + (a1 - a0) * rows)),
    };
  };
  const js = run('js');
  const wasm = run('wasm');
  expect(wasm.codes).toEqual(js.codes);
  expect(wasm.w).toEqual(js.w);
  expect(wasm.e).toEqual(js.e);
  expect(wasm.loss).toBe(js.loss);
  return js;
}

const caseArb = fc.record({
  rows: dimArb(40, 1),
  nb: fc.integer({ min: 1, max: 12 }),
  cut: fc.tuple(fc.nat(), fc.nat(), fc.nat()),
  bits: fc.constantFrom(2, 3, 4, 8),
  seed: fc.integer(),
});

describe('gptq_affine_f64 parity', () => {
  it('wasm equals the js reference bit for bit, and the first column follows the rounding rule', () => {
    fc.assert(
      fc.property(caseArb, ({ rows, nb, cut, bits, seed }) => {
        const next = rng(seed);
        // a0 <= a1 <= kEnd <= nb, with a1 > a0
        const a0 = cut[0] % nb;
        const a1 = a0 + 1 + (cut[1] % (nb - a0));
        const kEnd = a1 + (cut[2] % (nb - a1 + 1));
        const maxq = 2 ** bits - 1;
        const grid = new Float64Array(4 * rows);
        for (let r = 0; r < rows; r++) {
          const s = Math.fround(0.01 + next());
          const z = Math.floor(next() * (maxq + 1));
          // Usually every code; sometimes the finite range stops short on one side (at the zero point).
          const lo = next() < 0.2 ? z : 0;
          const hi = next() < 0.2 ? z : maxq;
          grid[r] = s;
          grid[rows + r] = z;
          grid[2 * rows + r] = lo;
          grid[3 * rows + r] = hi;
        }
        const w = new Float64Array(nb * rows);
        for (let t = 0; t < nb; t++) {
          for (let r = 0; r < rows; r++) {
            const s = grid[r];
            const kind = next();
            // exact ties, far outside the grid (clamped), or ordinary values
            w[t * rows + r] =
              kind < 0.2 ? (Math.floor(next() * (maxq + 1)) - grid[rows + r] + 0.5) * s : kind < 0.3 ? (next() < 0.5 ? -1 : 1) * (maxq + 5) * s : (next() * 2 - 1) * s * (maxq / 2);
          }
        }
        const u = new Float64Array(nb * nb);
        for (let i = 0; i < nb; i++) for (let j = i; j < nb; j++) u[i * nb + j] = i === j ? 0.5 + next() : next() - 0.5;
        const js = runBoth('gptq_affine_f64', { rows, nb, a0, a1, kEnd, w, u }, grid, null, 0.25);
        // The first encoded column against the rule (it has received no feedback).
        for (let r = 0; r < rows; r++) {
          const [s, z, lo, hi] = [grid[r], grid[rows + r], grid[2 * rows + r], grid[3 * rows + r]];
          const x = w[a0 * rows + r];
          const y = x / s; // the code is z plus y rounded half to even, clamped
          const c = js.codes[r];
          expect(c).toBeGreaterThanOrEqual(lo);
          expect(c).toBeLessThanOrEqual(hi);
          if (c > lo && c < hi) {
            expect(Math.abs(y - (c - z))).toBeLessThanOrEqual(0.5);
            if (Math.abs(y - (c - z)) === 0.5) expect(Math.abs((c - z) % 2)).toBe(0);
          } else if (c === lo && lo < hi) expect(y).toBeLessThanOrEqual(lo - z + 0.5);
          else if (c === hi && lo < hi) expect(y).toBeGreaterThanOrEqual(hi - z - 0.5);
          const q = Math.fround((c - z) * s);
          expect(js.w[a0 * rows + r]).toBe(q);
          expect(js.e[a0 * rows + r]).toBe((x - q) / u[a0 * nb + a0]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gptq_table_f64: wasm equals the js reference bit for bit, ties and clamped indices included', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 2, max: 16 }), ({ rows, nb, cut, seed }, nv) => {
        const next = rng(seed);
        const a0 = cut[0] % nb;
        const a1 = a0 + 1 + (cut[1] % (nb - a0));
        const kEnd = a1 + (cut[2] % (nb - a1 + 1));
        // distinct ascending values, codes a permutation, midpoints, tie steps 0/1
        const values = Array.from({ length: nv }, (_, i) => i - Math.floor(nv / 2) + (next() - 0.5) * 0.8).sort((x, y) => x - y);
        const codes = Array.from({ length: nv }, (_, i) => i).sort(() => next() - 0.5);
        const table = new Float64Array(4 * nv);
        for (let k = 0; k < nv; k++) {
          table[k] = values[k];
          table[nv + k] = codes[k];
          if (k < nv - 1) {
            table[2 * nv + k] = (values[k] + values[k + 1]) / 2;
            table[3 * nv + k] = next() < 0.5 ? 0 : 1;
          }
        }
        const grid = new Float64Array(3 * rows);
        for (let r = 0; r < rows; r++) {
          grid[r] = 2 ** Math.floor(next() * 6 - 3); // powers of two: x = midpoint · s is an exact tie
          const lo = Math.floor(next() * nv);
          grid[rows + r] = next() < 0.3 ? lo : 0;
          grid[2 * rows + r] = next() < 0.3 ? Math.max(lo, Math.floor(next() * nv)) : nv - 1;
        }
        const w = new Float64Array(nb * rows);
        for (let t = 0; t < nb; t++) {
          for (let r = 0; r < rows; r++) {
            const kind = next();
            const mid = table[2 * nv + Math.floor(next() * (nv - 1))];
            w[t * rows + r] = grid[r] * (kind < 0.3 ? mid : kind < 0.4 ? (next() < 0.5 ? -1 : 1) * (nv + 3) : (next() * 2 - 1) * nv * 0.6);
          }
        }
        const u = new Float64Array(nb * nb);
        for (let i = 0; i < nb; i++) for (let j = i; j < nb; j++) u[i * nb + j] = i === j ? 0.5 + next() : next() - 0.5;
        const js = runBoth('gptq_table_f64', { rows, nb, a0, a1, kEnd, w, u }, grid, { data: table, nv }, 0.5);
        // The first column against the rule: the nearest value (a tie takes the step), clamped.
        for (let r = 0; r < rows; r++) {
          const v = w[a0 * rows + r] / grid[r];
          const k = values.indexOf(values.find((_, i) => codes[i] === js.codes[r])!);
          expect(k).toBeGreaterThanOrEqual(grid[rows + r]);
          expect(k).toBeLessThanOrEqual(grid[2 * rows + r]);
          const free = values.reduce((best, x, i) => (Math.abs(x - v) < Math.abs(values[best] - v) ? i : best), 0);
          const clamped = Math.min(grid[2 * rows + r], Math.max(grid[rows + r], free));
          const tie = free < nv - 1 && v === table[2 * nv + free] ? free + table[3 * nv + free] : free > 0 && v === table[2 * nv + free - 1] ? free - 1 + table[3 * nv + free - 1] : -1;
          expect(k).toBe(tie >= 0 ? Math.min(grid[2 * rows + r], Math.max(grid[rows + r], tie)) : clamped);
          expect(js.w[a0 * rows + r]).toBe(Math.fround(values[k] * grid[r]));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves columns outside [a0, kEnd) untouched', () => {
    const rows = 5;
    const nb = 6;
    const next = rng(7);
    const w = Float64Array.from({ length: nb * rows }, () => next() * 4 - 2);
    const grid = new Float64Array(4 * rows);
    for (let r = 0; r < rows; r++) [grid[r], grid[rows + r], grid[2 * rows + r], grid[3 * rows + r]] = [0.25, 8, 0, 15];
    const u = Float64Array.from({ length: nb * nb }, (_, i) => (i % (nb + 1) === 0 ? 1 : 0.3));
    for (const where of ['js', 'wasm'] as const) {
      const wr = refIn(w, where);
      const fn = where === 'js' ? KERNELS.gptq_affine_f64.js : KERNELS.gptq_affine_f64.wasm!;
      fn({ rows, nb, a0: 1, a1: 3, kEnd: 4, w: wr, e: refIn(new Float64Array(nb * rows), where), u: refIn(u, where), grid: refIn(grid, where), codes: u8Ref(2 * rows, where), loss: 0 });
      const out = readRef(wr, Float64Array, nb * rows);
      for (const t of [0, 4, 5]) expect(Array.from(out.subarray(t * rows, (t + 1) * rows)), `${where} column ${t}`).toEqual(Array.from(w.subarray(t * rows, (t + 1) * rows)));
      expect(out[3 * rows]).not.toBe(w[3 * rows]); // column 3 received feedback
    }
  });
});
