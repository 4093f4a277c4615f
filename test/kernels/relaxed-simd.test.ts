/**
 * The opt-in relaxed-SIMD build. Runs in both vitest projects: on the SIMD128 one (Node 20 without
 * the flag) it checks the fallback, on the relaxed-simd one (vitest.config.ts) that the relaxed build
 * is loaded and really fuses multiply-adds.
 */
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { useRelaxedSimd, wasmRuntime } from '../../src/kernels/backend.js';
import { WASM_EXPORT_ARITY } from '../../src/kernels/wasm/exports.js';
import { hasRelaxedSimd, instantiateSync, prepareBinary } from '../../src/kernels/wasm/module.js';
import { matmul } from '../../src/ops/matmul.js';
import { tensor } from '../../src/tensor.js';

describe('relaxed-SIMD build', () => {
  it('validates exactly where relaxed SIMD is available (it uses relaxed instructions); the default build everywhere', () => {
    expect(WebAssembly.validate(prepareBinary(true, true).bytes as BufferSource)).toBe(hasRelaxedSimd());
    expect(WebAssembly.validate(prepareBinary(true).bytes as BufferSource)).toBe(true);
  });

  it('instantiate({ relaxed: true }) gives the relaxed build where available, else SIMD128, with the same exports', () => {
    const inst = instantiateSync({ relaxed: true })!;
    expect(inst.relaxed).toBe(hasRelaxedSimd());
    const exported = WebAssembly.Module.exports(inst.module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort();
    expect(exported).toEqual(Object.keys(WASM_EXPORT_ARITY).sort());
  });

  it('useRelaxedSimd: the build is fixed once the module runs; asking for the running one is fine', () => {
    tensor([1]);
    const running = wasmRuntime().relaxed;
    expect(useRelaxedSimd(running)).toBe(running);
    if (hasRelaxedSimd()) expect(() => useRelaxedSimd(!running)).toThrow(ValueError);
    else expect(useRelaxedSimd(true)).toBe(false); // unavailable: keeps SIMD128, never throws
  });

  it('the GEMM micro-kernel rounds a multiply-add once on the relaxed build and twice on SIMD128', () => {
    // Row [1, a] times column [-1, a], a = 1 + 2^-12: the sum is -1 + a², a² = 1 + 2^-11 + 2^-24.
    // Rounding a² first (a tie, to even) gives 2^-11; fusing keeps 2^-11 + 2^-24 (exact in f32).
    // V8 fuses f32x4.relaxed_madd on x64 with FMA3 and on arm64.
    const a = 1 + 2 ** -12;
    const x = tensor(Float32Array.from({ length: 8 * 2 }, (_, i) => (i % 2 ? a : 1)), [8, 2]);
    const w = tensor(Float32Array.from({ length: 2 * 8 }, (_, i) => (i < 8 ? -1 : a)), [2, 8]);
    const y = matmul(x, w).data() as Float32Array;
    const want = wasmRuntime().relaxed ? 2 ** -11 + 2 ** -24 : 2 ** -11;
    for (const v of y) expect(v).toBe(want);
  });
});
