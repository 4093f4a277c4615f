/**
 * The name and version of the JavaScript runtime this code runs in (Bun, Deno or Node), for the
 * programs that run in each of them (test/runtimes/probe.ts, bench/runtimes-probe.ts), and their
 * command-line arguments. Not a vitest file.
 */

type RuntimeGlobals = {
  Bun?: { version: string };
  Deno?: { version: { deno: string }; args: string[] };
  process?: { versions?: { node?: string }; argv: string[] };
};

/**
 * `bun 1.4.5`, `deno 2.9.5` or `node 20.20.2`.
 * @example
 * console.log(runtimeName());
 */
export function runtimeName(): string {
  const g = globalThis as RuntimeGlobals;
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return `node ${g.process?.versions?.node}`;
}

/**
 * The program's arguments after the script (Deno.args in Deno, process.argv from index 2 elsewhere).
 * @example
 * const [inputFile] = programArgs();
 */
export function programArgs(): string[] {
  const g = globalThis as RuntimeGlobals;
  return g.Deno ? g.Deno.args : (g.process?.argv.slice(2) ?? []);
}
