/**
 * Public API of VQ with learned codebooks (GPTVQ family): re-exports only. See ./vq.ts for the
 * method, ./vq-tensor.ts for the storage, ./kmeans.ts and ./assign.ts for the k-means parts.
 */
export { vqQuantize, type VqOptions, type VqExtras } from './vq.js';
export { VqTensor, type VqSizeBits } from './vq-tensor.js';
export { vqLinear } from './vq-linear.js';
export { kmeans, kmeansPlusPlus, pointDist, type KMeansOptions, type KMeansResult } from './kmeans.js';
export { nearestCentroids, weightedObjective, checkPoints, type WeightedPoints, type NearestOptions } from './assign.js';
export { roundCodebook, int8CodebookBits, type VqCodebookDType, type StoredCodebook } from './codebook.js';
export { updateCodebooks, loss as vqLayerLoss, type CodebookBlock, type CodebookUpdateResult } from './codebook-update.js';
