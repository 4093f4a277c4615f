/**
 * The bundle the browser test loads: the public API (src/index.ts) and the case the page runs
 * (test/portable/cases.ts `runCase`, called with the bundle itself as the API).
 */
export * from '../../src/index.js';
export { runCase } from '../portable/cases.js';
