/**
 * The `quantensor` command (tsup builds this file to dist/cli.js with a shebang; package.json `bin`
 * points there). A table of subcommands, each with its options, help and a `run` returning an exit
 * code: 0 success, 1 runtime error (a bad file, a failed computation), 2 usage error (unknown command
 * or option, missing argument). Errors are printed as one line on stderr, never as a stack trace
 * (set QUANTENSOR_DEBUG=1 for the stack).
 *
 * To add a subcommand, add a row to `COMMANDS`: nothing else dispatches on command names.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT, UsageError, optionHelp, parseCommandArgs, type OptionSpec, type ParsedArgs } from './args.js';
import { benchCommand } from './bench.js';
import { evalCommand } from './eval.js';
import { formatInspect, inspectPath } from './inspect.js';
import { quantizeCommand } from './quantize.js';

/** Where a command writes (swapped for buffers in tests). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

/** One subcommand. */
export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Positional arguments as shown in help, e.g. `<file-or-dir>`. */
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Runs with parsed arguments; returns the exit code. Throw `UsageError` for argument mistakes. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

const inspect: Command = {
  summary: 'list the tensors of a checkpoint: dtype, shape, bits per weight, size',
  usage: '<file-or-dir>',
  options: {
    json: { type: 'boolean', help: 'print the report as JSON' },
  },
  async run(args, io) {
    if (args.positionals.length !== 1) {
      throw new UsageError(`inspect: expected one file or directory, got ${args.positionals.length} arguments`);
    }
    const rep = await inspectPath(args.positionals[0]);
    io.out(args.values.json ? JSON.stringify(rep, null, 2) : formatInspect(rep));
    return EXIT.ok;
  },
};

/**
 * Every subcommand, by name.
 * @example
 * Object.keys(COMMANDS); // ['inspect', ...]
 */
export const COMMANDS: Record<string, Command> = { quantize: quantizeCommand, eval: evalCommand, inspect, bench: benchCommand };

function commandHelp(name: string, c: Command): string {
  const opts = optionHelp({ ...c.options, help: { type: 'boolean', short: 'h', help: 'show this help' } });
  return [`usage: quantensor ${name} [options] ${c.usage}`, '', c.summary, '', 'options:', ...opts].join('\n');
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: quantensor <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    '',
    "run 'quantensor <command> --help' for a command's options",
  ].join('\n');
}

const processIO: CliIO = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** A one-line message for a runtime error (Node system errors keep their code and path). */
function describeError(e: unknown): string {
  if (e instanceof Error) {
    const sys = e as NodeJS.ErrnoException;
    if (sys.code === 'ENOENT' && sys.path) return `no such file or directory: ${sys.path}`;
    if (sys.code && sys.path) return `${sys.code}: ${sys.path}: ${e.message}`;
    return `${e.name}: ${e.message}`;
  }
  return String(e);
}

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit code.
 * @example
 * const code = await main(['inspect', 'model.safetensors', '--json']);
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !Object.prototype.hasOwnProperty.call(COMMANDS, topic)) {
      io.err(`quantensor: unknown command '${topic}'\n\n${mainHelp()}`);
      return EXIT.usage;
    }
    if (topic !== undefined) io.out(commandHelp(topic, COMMANDS[topic]));
    else (name === undefined ? io.err : io.out)(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, name)) {
    io.err(`quantensor: unknown command '${name}'\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  const cmd = COMMANDS[name];
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(commandHelp(name, cmd));
      return EXIT.ok;
    }
    return await cmd.run(parseCommandArgs(name, rest, cmd.options), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`quantensor ${e.message}\n\n${commandHelp(name, cmd)}`);
      return EXIT.usage;
    }
    io.err(`quantensor ${name}: ${describeError(e)}`);
    if (process.env.QUANTENSOR_DEBUG) io.err(String((e as Error).stack));
    return EXIT.runtime;
  }
}

/** Whether this module is the program being run (not imported by a test or another module). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main(process.argv.slice(2));
}
