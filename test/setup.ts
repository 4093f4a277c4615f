/** Applies the run's fast-check seed (chosen in global-setup.ts) in every test worker. */
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED ?? 42);
fc.configureGlobal({ seed, numRuns: Number(process.env.FC_RUNS ?? 100) });
