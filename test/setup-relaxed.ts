/**
 * The relaxed-SIMD project (vitest.config.ts): opts in before any tensor exists and fails every test
 * file when the relaxed build did not load, so the project cannot pass on the SIMD128 build.
 */
import { useRelaxedSimd, wasmRuntime } from '../src/kernels/backend.js';

if (!useRelaxedSimd()) throw new Error('relaxed SIMD is unavailable: the relaxed-simd project needs node --experimental-wasm-relaxed-simd');
if (!wasmRuntime().relaxed) throw new Error('the relaxed-SIMD build did not load');
