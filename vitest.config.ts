import { defineConfig } from 'vitest/config';

/**
 * Two projects: every test on the default SIMD128 build, and the tests of the kernels that differ
 * on the opt-in relaxed-SIMD build (fused multiply-add in the float kernels, byte dot products in
 * the int4 x int8 GEMV) again on it, in workers started with the V8 flag Node 20 needs.
 */
export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'simd128', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: [
            'test/kernels/parity-gemm.test.ts',
            'test/kernels/parity-gptq.test.ts',
            'test/kernels/parity-linalg.test.ts',
            'test/kernels/parity-quant.test.ts',
            'test/kernels/qmatmul-i8-int4.test.ts',
            'test/kernels/threads.test.ts',
            'test/kernels/relaxed-simd.test.ts',
            'test/quantizers/gptq.test.ts',
            'test/quantizers/hessian.test.ts',
          ],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          setupFiles: ['test/setup.ts', 'test/setup-relaxed.ts'],
        },
      },
    ],
  },
});
