/** The embedded binary: fresh versus its sources, exports matching the typed interface, SIMD probe. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WASM_BASE64, WASM_BYTE_LENGTH } from '../../src/kernels/wasm/binary.generated.js';
import { WASM_EXPORT_ARITY } from '../../src/kernels/wasm/exports.js';
import { findMemoryImport, hasSimd, instantiateAsync, instantiateSync, prepareBinary } from '../../src/kernels/wasm/module.js';

describe('wasm module', () => {
  it('generated binary is fresh versus assembly/ sources (build-wasm --check)', () => {
    // Throws (non-zero exit) when assembly/*.ts or asconfig.json changed without a rebuild.
    const out = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });

  it('embeds the declared number of bytes, starting with the wasm magic', () => {
    const bytes = Buffer.from(WASM_BASE64, 'base64');
    expect(bytes.length).toBe(WASM_BYTE_LENGTH);
    expect([...bytes.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
  });

  it('SIMD128 is detected in Node 20', () => {
    expect(hasSimd()).toBe(true);
  });

  it('instance exports match the typed interface exactly (names and arity)', () => {
    const inst = instantiateSync();
    expect(inst).not.toBeNull();
    const exported = WebAssembly.Module.exports(inst!.module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort();
    expect(exported).toEqual(Object.keys(WASM_EXPORT_ARITY).sort());
    for (const [name, arity] of Object.entries(WASM_EXPORT_ARITY)) {
      expect((inst!.exports as unknown as Record<string, (...a: unknown[]) => unknown>)[name].length, name).toBe(arity);
    }
  });

  it('imports only env.memory, shared with a 65536-page maximum', () => {
    const inst = instantiateSync({ shared: true })!;
    expect(WebAssembly.Module.imports(inst.module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(inst.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(inst.shared).toBe(true);
  });

  it('instantiates against unshared memory too (the shared bit of the import is cleared)', async () => {
    const { bytes } = prepareBinary(false);
    expect(bytes[findMemoryImport(bytes).flagsAt] & 2).toBe(0);
    const inst = (await instantiateAsync({ shared: false }))!;
    expect(inst.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(inst.exports.heap_base()).toBeGreaterThan(0);
    // A shared memory cannot satisfy the unshared import, and vice versa: the variants really differ.
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory: shared } })).toThrow();
  });
});
