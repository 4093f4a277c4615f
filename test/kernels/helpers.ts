/** Helpers of the kernel parity suites: seeded data, refs in either heap, float comparison. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { wasmRuntime } from '../../src/kernels/backend.js';
import type { Ref } from '../../src/kernels/ref.js';
import { Storage } from '../../src/memory/storage.js';

export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;
export type FloatArray = Float32Array | Float64Array;

/** Unit roundoff of the element type. */
export const unitRoundoff = (ctor: FloatCtor): number => (ctor === Float32Array ? 2 ** -24 : 2 ** -53);

/** A small seeded PRNG (mulberry32) so data follows the fast-check seed of the property. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [-1, 1), rounded to the element type. */
export function randArray<C extends FloatCtor>(ctor: C, n: number, next: () => number): InstanceType<C> {
  const out = new ctor(n) as InstanceType<C>;
  for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
  return out;
}

/** A ref over a copy of `data`, in the wasm heap or in an ArrayBuffer of its own, at an element offset. */
export function refIn(data: FloatArray, where: 'wasm' | 'js', pad = 0): Ref {
  const ctor = data.constructor as FloatCtor;
  const padded = new ctor(data.length + pad);
  padded.set(data, pad);
  return { storage: Storage.from(padded, { heap: where === 'wasm' ? wasmRuntime().heap : null }), offset: pad };
}

/** The elements of a ref as a new array (length elements from its offset). */
export function readRef<C extends FloatCtor>(r: Ref, ctor: C, length: number): InstanceType<C> {
  return r.storage.view(ctor as unknown as Float64ArrayConstructor).slice(r.offset, r.offset + length) as unknown as InstanceType<C>;
}

/** Asserts |got[i] - want[i]| <= bound[i] for every i (NaN only where both are NaN). */
export function expectWithin(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      expect(Number.isNaN(g) && Number.isNaN(w), `${what}[${i}]: ${g} vs ${w}`).toBe(true);
      continue;
    }
    if (!(Math.abs(g - w) <= bound[i])) {
      throw new Error(`${what}[${i}]: ${g} vs ${w}, |diff| ${Math.abs(g - w)} > bound ${bound[i]}`);
    }
  }
}

/** Sizes that break SIMD and blocking assumptions: 1, primes, non-multiples of 4/8/16, 0. */
export const ADVERSARIAL_DIMS = [0, 1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 33] as const;

/** fast-check arbitrary of a dimension: adversarial sizes or anything up to `max`. */
export const dimArb = (max: number, min = 0) =>
  fc.oneof(fc.constantFrom(...ADVERSARIAL_DIMS.filter((d) => d >= min && d <= max)), fc.integer({ min, max }));
