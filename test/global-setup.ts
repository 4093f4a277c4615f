/**
 * Picks the fast-check seed once per run (from FC_SEED when set) and prints it, so a failing
 * property can be replayed with `FC_SEED=<seed> npm test`.
 */
export default function setup(): void {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
  process.env.FC_SEED = String(seed);
  console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed})`);
}
