/** WasmHeap: alignment, reuse, coalescing, growth, and bounded memory when tensors are dropped. */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryError } from '../../src/errors.js';
import { WasmHeap } from '../../src/kernels/wasm/heap.js';

const PAGE = 65536;
const newHeap = (pages = 1, base = 1000) => new WasmHeap(new WebAssembly.Memory({ initial: pages, maximum: 65536 }), base);

describe('WasmHeap', () => {
  it('returns 16-byte aligned blocks above the heap base, disjoint while live', () => {
    const h = newHeap();
    const blocks = [1, 15, 16, 17, 100, 0, 4096].map((n) => [h.alloc(n), n] as const);
    for (const [p] of blocks) {
      expect(p % 16).toBe(0);
      expect(p).toBeGreaterThanOrEqual(1000);
    }
    const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + Math.max(sorted[i - 1][1], 1));
  });

  it('grows the memory when a block does not fit, keeping existing bytes', () => {
    const h = newHeap(1);
    const a = h.alloc(100);
    new Uint8Array(h.memory.buffer, a, 100).fill(7);
    const b = h.alloc(3 * PAGE);
    expect(h.memory.buffer.byteLength).toBeGreaterThanOrEqual(b + 3 * PAGE);
    expect(new Uint8Array(h.memory.buffer, a, 100).every((x) => x === 7)).toBe(true);
  });

  it('coalesces freed neighbours and returns the top, so memory does not creep', () => {
    const h = newHeap();
    const a = h.alloc(64);
    const b = h.alloc(64);
    const c = h.alloc(64);
    const d = h.alloc(64);
    h.free(b);
    h.free(c); // b+c coalesce
    expect(h.stats().freeBlocks).toBe(1);
    expect(h.alloc(128)).toBe(b); // the merged block fits exactly
    h.free(b);
    h.free(d); // d is at the top: b+c+d goes back to the bump pointer
    expect(h.stats().freeBlocks).toBe(0);
    expect(h.stats().top).toBe(b);
    h.free(a);
    expect(h.stats()).toMatchObject({ top: h.base, used: 0, free: 0, liveBlocks: 0, freeBlocks: 0 });
  });

  it('rejects double free and foreign pointers', () => {
    const h = newHeap();
    const a = h.alloc(10);
    h.free(a);
    expect(() => h.free(a)).toThrow(MemoryError);
    expect(() => h.free(12345)).toThrow(MemoryError);
  });

  it('random alloc/free sequences keep blocks disjoint and end empty (fragmentation property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5000 }), fc.nat()), { maxLength: 200 }), (ops) => {
        const h = newHeap();
        const live = new Map<number, number>();
        for (const [doAlloc, size, pick] of ops) {
          if (doAlloc || live.size === 0) {
            const p = h.alloc(size);
            for (const [q, n] of live) expect(p + Math.max(size, 1) <= q || q + Math.max(n, 1) <= p).toBe(true);
            live.set(p, size);
          } else {
            const keys = [...live.keys()];
            const p = keys[pick % keys.length];
            h.free(p);
            live.delete(p);
          }
        }
        for (const p of live.keys()) h.free(p);
        const s = h.stats();
        expect(s).toMatchObject({ top: h.base, used: 0, free: 0, freeBlocks: 0 });
      }),
      { numRuns: 50 },
    );
  });

  it('a loop allocating and freeing blocks of varying size does not grow memory', () => {
    const h = newHeap(1);
    const keep: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const p = h.alloc(1000 + ((i * 7919) % 30000));
      keep.push(p);
      if (keep.length > 3) h.free(keep.shift()!);
    }
    // 4 live blocks of < 31 kB each never need more than ~ 2 MB even with fragmentation.
    expect(h.memory.buffer.byteLength).toBeLessThanOrEqual(32 * PAGE);
  });

  it('throws MemoryError beyond 4 GiB', () => {
    const h = newHeap();
    expect(() => h.alloc(2 ** 32)).toThrow(MemoryError);
  });
});

describe('tensors in the wasm heap', () => {
  it('dropping tensors without dispose() keeps memory bounded (FinalizationRegistry safety net)', () => {
    // A child process with --expose-gc: allocate 2000 tensors of 1 MB (2 GB in total) and drop them.
    const script = `
      import { tensor, empty } from './src/tensor.ts';
      import { getBackend, wasmRuntime } from './src/kernels/backend.ts';
      if (getBackend() !== 'wasm') throw new Error('wasm backend expected');
      const heap = wasmRuntime().heap;
      const tick = () => new Promise((r) => setTimeout(r, 0));
      for (let i = 0; i < 2000; i++) {
        const t = empty([512, 512], 'f32');
        t.raw()[0] = i;
        if (i % 50 === 0) { globalThis.gc(); await tick(); }
      }
      globalThis.gc(); await tick(); globalThis.gc(); await tick();
      console.log(JSON.stringify({ capacity: heap.memory.buffer.byteLength, live: heap.stats().liveBlocks }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const { capacity, live } = JSON.parse(out.trim().split('\n').pop()!);
    expect(capacity).toBeLessThan(400 * 2 ** 20);
    expect(live).toBeLessThan(200);
  });
});
