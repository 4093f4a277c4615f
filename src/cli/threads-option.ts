/**
 * The --threads option of the commands that run kernels (bench, quantize, eval), and running a
 * command under it. Results do not depend on the thread count (src/kernels/threads.ts), so the
 * option only changes the time.
 */
import { MAX_THREADS, getThreads, setThreads } from '../kernels/threads.js';
import { UsageError, intOption, type ParsedArgs } from './args.js';

/** The option's spec, spread into a command's options. */
export const THREADS_OPTION = {
  threads: { type: 'string', value: 'N', help: 'kernel threads (default 1; results do not depend on it)' },
} as const;

/**
 * Runs `fn` with the kernels on --threads threads (default 1) and restores the previous count
 * afterwards; `fn` receives the count actually running (1 where threads are unavailable).
 * @throws UsageError for a count that is not an integer in [1, MAX_THREADS]
 * @example
 * return withThreads(args, async (threads) => { io.out(`${threads} threads`); return EXIT.ok; });
 */
export async function withThreads<T>(args: ParsedArgs, fn: (threads: number) => Promise<T> | T): Promise<T> {
  const n = intOption(args, 'threads') ?? 1;
  if (n > MAX_THREADS) throw new UsageError(`--threads must be at most ${MAX_THREADS}, got ${n}`);
  const before = getThreads();
  const threads = setThreads(n);
  try {
    return await fn(threads);
  } finally {
    setThreads(before);
  }
}
