/**
 * The public ops, re-exported for the package entry. Each op is a free function in its own module
 * (tree-shakeable); internal helpers (operand.ts) are not re-exported.
 */
export * from './creation.js';
export * from './random.js';
export * from './cast.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './movement.js';
export { broadcastShapes, normalizeAxis, normalizeAxes } from './strided.js';
export * from './matmul.js';
export * from './linalg.js';
