/**
 * Public API of PVQ (pyramid vector quantization for LLM weights, van der Ouderaa et al. 2024):
 * re-exports only. See ./quantize.ts for the method, ./pvq-tensor.ts for the storage.
 */
export { pvqQuantize, type PvqOptions, type PvqReport, type PvqExtras } from './quantize.js';
export { pvqGptq, type PvqGptqOptions } from './gptq.js';
export { pvqConfigForBits, type PvqConfig, type PvqConfigOptions } from './config.js';
export { PvqTensor, pvqSizeBits, type PvqLayout, type PvqSizeBits, type PvqRotation } from './pvq-tensor.js';
export { pvqCount, pvqCountNumber, pvqBits, pvqCountTable, type PvqCountTable } from '../../dtype/pvq/count.js';
export { pvqEncodeIndex, pvqEncodeIndexNumber, pvqDecodeIndex, packPvqIndices, unpackPvqIndices, writeIndexBits, readIndexBits } from '../../dtype/pvq/index-code.js';
export { pvqSearch, pvqSearchExact, pvqCorrelation } from './search.js';
export { amplitudeLevels, betaAmplitudeLevels, nearestLevel, amplitudeMse, type AmplitudeMethod } from './amplitude.js';
export { betaCdf, betaQuantile, fitBetaMoments, logGamma, type BetaParams } from './beta.js';
export { randomHadamard, RandomHadamard, rotateSymmetric, type RandomHadamardOptions } from '../../ops/hadamard.js';
