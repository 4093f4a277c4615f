/**
 * Argument parsing for the `quantensor` command: `node:util` parseArgs (strict: unknown options and
 * missing values are errors) wrapped so every mistake becomes a `UsageError` (exit code 2) with a
 * message naming the command and the offending argument. Not the command table (main.ts).
 */
import { parseArgs } from 'node:util';

/** Exit codes of the command. */
export const EXIT = { ok: 0, runtime: 1, usage: 2 } as const;

/**
 * A mistake in the command line (unknown command or option, missing or extra argument): exit code 2.
 * @example
 * throw new UsageError('inspect: expected one file or directory, got 0');
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command, as `node:util` parseArgs declares it, plus its help text. */
export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  readonly help: string;
  /** Placeholder shown in help for string options (e.g. `BITS`). */
  readonly value?: string;
  readonly multiple?: boolean;
}

/** Parsed options and positionals. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` (the arguments after the command name) against `options`.
 * @throws UsageError naming `command` and the argument at fault
 * @example
 * parseCommandArgs('inspect', ['model', '--json'], { json: { type: 'boolean', help: '' } });
 * // { values: { json: true }, positionals: ['model'] }
 */
export function parseCommandArgs(command: string, argv: readonly string[], options: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const config: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  try {
    const r = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
    return { values: r.values as ParsedArgs['values'], positionals: r.positionals };
  } catch (e) {
    if (!String((e as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS')) throw e;
    // node's messages are precise ("Unknown option '--jsn'") but carry a code prefix and advice on
    // `--`; keep the first sentence.
    const msg = (e as Error).message.split('. ')[0].replace(/\.$/, '');
    throw new UsageError(`${command}: ${msg}`);
  }
}

/** Help lines for a command's options. */
export function optionHelp(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  });
}

/**
 * Parses an integer option of at least `min`, or undefined when absent.
 * @throws UsageError for anything else
 * @example
 * const n = intOption(args, 'samples') ?? 128;
 */
export function intOption(args: ParsedArgs, name: string, min = 1): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${String(v)}'`);
  return n;
}
