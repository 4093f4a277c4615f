/**
 * Choosing a PVQ configuration for a target bits per weight: given the group dimension D and the
 * budget, the pulse count K and the amplitude bits, and the exact bits per weight of the result
 * (codes with row padding, row scales, the amplitude level table, the rotation seed: `pvqSizeBits`).
 *
 * The split between direction (index) bits and amplitude bits is chosen by a distortion model of
 * Hadamard-rotated weights, i.e. i.i.d. Gaussian rows of width n: the relative error of a group is
 * (1 − cos²θ) from the pulse search plus E[(R − R̂)²]/E[R²] from the amplitude quantizer, with R² ~
 * Beta(D/2, (n − D)/2) (./amplitude.ts). The first term is measured by running the greedy search on
 * 256 seeded Gaussian groups, the second is exact for the Lloyd–Max levels
 * (E[(R − R̂)²] = E[R²] − Σ_j c_j² P_j for a centroid quantizer). Every amplitude width from 1 to 8 bits
 * is tried with the largest K that fits; the lowest modelled error wins. Deterministic.
 */
import { ValueError, checkOptions } from '../../errors.js';
import type { ScaleDType } from '../../dtype/table.js';
import { betaAmplitudeLevels } from './amplitude.js';
import { betaCdf } from './beta.js';
import { pvqBits } from '../../dtype/pvq/count.js';
import { pvqSearch } from './search.js';
import { pvqSizeBits, type PvqSizeBits } from './pvq-tensor.js';

/** A PVQ configuration. */
export interface PvqConfig {
  readonly dim: number;
  readonly pulses: number;
  readonly ampBits: number;
  /** ceil(log2 V(dim, pulses)). */
  readonly indexBits: number;
  /** Exact storage of a weight of `shape` with this configuration. */
  readonly size: PvqSizeBits;
  /** size.bitsPerWeight. */
  readonly bitsPerWeight: number;
  /** The model's relative squared error per group (see the file header). */
  readonly modelError: number;
}

/** Options of `pvqConfigForBits`. */
export interface PvqConfigOptions {
  /** Group dimension D (default 16). */
  readonly dim?: number;
  /** Weight shape [rows, cols] the budget is priced on (default [4096, 4096]). */
  readonly shape?: readonly [number, number];
  /** Fix the amplitude bits instead of choosing them. */
  readonly ampBits?: number;
  /** Row scale precision (default f16). */
  readonly scaleDtype?: Exclude<ScaleDType, 'e8m0'>;
  /** Whether a Hadamard rotation seed is stored (default true). */
  readonly rotated?: boolean;
}

/** Mean (1 − cos²θ) of the greedy search with K pulses on seeded Gaussian groups of dimension D. */
function directionError(D: number, K: number): number {
  let s = 0;
  const N = 256;
  let seed = 0x9e3779b9;
  const next = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const x = new Float64Array(D);
  const y = new Int32Array(D);
  for (let n = 0; n < N; n++) {
    let xx = 0;
    for (let i = 0; i < D; i++) {
      x[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
      xx += x[i] * x[i];
    }
    pvqSearch(x, K, y);
    let xy = 0;
    let yy = 0;
    for (let i = 0; i < D; i++) {
      xy += x[i] * y[i];
      yy += y[i] * y[i];
    }
    s += 1 - (xy * xy) / (xx * yy);
  }
  return s / N;
}

/** E[(R − R̂)²]/E[R²] for the Lloyd–Max levels of R² ~ Beta(a, b). */
function amplitudeError(a: number, b: number, bits: number): number {
  const lv = betaAmplitudeLevels({ alpha: a, beta: b }, bits);
  const er2 = a / (a + b);
  let explained = 0;
  let prev = 0;
  for (let j = 0; j < lv.length; j++) {
    const t = j + 1 < lv.length ? 0.5 * (lv[j] + lv[j + 1]) : 1;
    const c = j + 1 < lv.length ? betaCdf(t * t, a, b) : 1;
    explained += lv[j] * lv[j] * (c - prev);
    prev = c;
  }
  return Math.max(0, er2 - explained) / er2;
}

/**
 * The PVQ configuration of group dimension `dim` with the lowest modelled error whose exact storage
 * (on `shape`) stays within `bitsPerWeight`.
 * @throws ValueError when no configuration with at least one pulse fits the budget
 * @example
 * const c = pvqConfigForBits(3, { dim: 16, shape: [1024, 384] });
 * c.pulses; c.ampBits; c.bitsPerWeight; // <= 3
 */
export function pvqConfigForBits(bitsPerWeight: number, opts: PvqConfigOptions = {}): PvqConfig {
  checkOptions('pvqConfigForBits', opts);
  const dim = opts.dim ?? 16;
  const [rows, cols] = opts.shape ?? [4096, 4096];
  const scaleDtype = opts.scaleDtype ?? 'f16';
  const rotated = opts.rotated ?? true;
  if (!(bitsPerWeight > 0) || !Number.isFinite(bitsPerWeight)) throw new ValueError(`pvqConfigForBits: target must be a positive number of bits per weight, got ${bitsPerWeight}`);
  if (!Number.isSafeInteger(dim) || dim < 1) throw new ValueError(`pvqConfigForBits: dim must be a positive integer, got ${dim}`);
  if (cols % dim !== 0) throw new ValueError(`pvqConfigForBits: cols ${cols} is not a multiple of dim ${dim}`);
  const ampChoices = opts.ampBits !== undefined ? [opts.ampBits] : [1, 2, 3, 4, 5, 6, 7, 8];
  let best: PvqConfig | null = null;
  for (const ampBits of ampChoices) {
    const size = (pulses: number) => pvqSizeBits({ rows, cols, dim, pulses, ampBits, scaleDtype, rotated });
    if (size(1).bitsPerWeight > bitsPerWeight) continue;
    // Largest K within budget: bits grow monotonically in K, so double then bisect.
    let lo = 1;
    let hi = 2;
    while (size(hi).bitsPerWeight <= bitsPerWeight && hi < 1 << 20) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (size(mid).bitsPerWeight <= bitsPerWeight) lo = mid;
      else hi = mid;
    }
    const pulses = lo;
    // With n = cols the Beta(D/2, (n − D)/2) model needs n > D; one group per row has no amplitude spread.
    const ampErr = cols > dim ? amplitudeError(dim / 2, (cols - dim) / 2, ampBits) : 0;
    const modelError = directionError(dim, pulses) + ampErr;
    const s = size(pulses);
    if (!best || modelError < best.modelError) {
      best = { dim, pulses, ampBits, indexBits: pvqBits(dim, pulses), size: s, bitsPerWeight: s.bitsPerWeight, modelError };
    }
  }
  if (!best) throw new ValueError(`pvqConfigForBits: no configuration of dim ${dim} fits ${bitsPerWeight} bits per weight on [${rows}, ${cols}]`);
  return best;
}
