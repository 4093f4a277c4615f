/**
 * The bundle the browser test loads: the public API (src/index.ts) plus `linear`, which the page
 * needs for the packed matmul until src/index.ts re-exports it (an explicit export takes precedence
 * over the star export, so this stays valid afterwards).
 */
export * from '../../src/index.js';
export { linear } from '../../src/ops/linear.js';
