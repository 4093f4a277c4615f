/** The benchmark suites, in report order. Each maps a run's context to its cases. */
import { actCases } from './act.bench.js';
import { gemmCases } from './gemm.bench.js';
import { gptqCases } from './gptq.bench.js';
import type { BenchCase, SuiteContext } from './harness.js';
import { linalgCases } from './linalg.bench.js';
import { pvqCases } from './pvq.bench.js';
import { quantCases } from './quant.bench.js';

/** Every suite (one per kernel family). */
export const SUITES: ReadonlyArray<(ctx: SuiteContext) => BenchCase[]> = [quantCases, pvqCases, gemmCases, linalgCases, gptqCases, actCases];
