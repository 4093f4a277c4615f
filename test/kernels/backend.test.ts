/** Backend switch: lazy synchronous init, heap of new tensors, dispose, fallback to JS. */
import { describe, expect, it } from 'vitest';
import { MemoryError } from '../../src/errors.js';
import { getBackend, ready, setBackend, wasmRuntime } from '../../src/kernels/backend.js';
import { getHeap } from '../../src/memory/storage.js';
import { empty, tensor } from '../../src/tensor.js';

describe('backend', () => {
  it('the first allocation initialises the wasm backend and lands in the wasm heap', () => {
    const t = tensor([1, 2, 3]);
    expect(getBackend()).toBe('wasm');
    expect(t.storage.heap).toBe(wasmRuntime().heap);
    expect(t.storage.buffer).toBe(wasmRuntime().memory.buffer);
    expect(Array.from(t.data() as Float32Array)).toEqual([1, 2, 3]);
  });

  it('dispose returns the block to the heap and later access throws', () => {
    const heap = wasmRuntime().heap;
    const before = heap.stats().used;
    const t = empty([1000], 'f64');
    expect(heap.stats().used).toBe(before + 8000);
    t.dispose();
    expect(heap.stats().used).toBe(before);
    expect(() => t.data()).toThrow(MemoryError);
  });

  it('views stay valid after the memory grows', () => {
    const a = tensor([1.5, 2.5]);
    const cap = wasmRuntime().memory.buffer.byteLength;
    const big = empty([cap / 4 + 1000], 'f32'); // forces growth
    expect(wasmRuntime().memory.buffer.byteLength).toBeGreaterThan(cap);
    expect(Array.from(a.data() as Float32Array)).toEqual([1.5, 2.5]);
    big.dispose();
  });

  it("setBackend('js') allocates in ArrayBuffers; 'auto' returns to wasm", async () => {
    setBackend('js');
    expect(getBackend()).toBe('js');
    expect(getHeap()).toBeNull();
    expect(tensor([1]).storage.heap).toBeNull();
    setBackend('auto');
    expect(getBackend()).toBe('wasm');
    expect(await ready()).toBe('wasm');
    expect(tensor([1]).storage.heap).toBe(wasmRuntime().heap);
  });

  it('rejects unknown backend names', () => {
    expect(() => setBackend('gpu' as never)).toThrow(/backend must be/);
  });
});
