/**
 * Progress of a long command on stderr. On a TTY one line is rewritten in place (`\r`, cleared to the
 * end) with the step, the fraction done and the time left, extrapolated from the mean time per unit
 * so far; elsewhere (a pipe, a CI log) each message is its own line, and nothing is printed when
 * quiet. Not the report (the command prints that on stdout when it is done).
 */

/** Where progress goes: a stream with an optional TTY flag (process.stderr in the CLI). */
export interface ProgressSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Formats seconds as `1m05s` / `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A progress line for a job of `total` units.
 * @example
 * const p = new Progress(process.stderr, 42, { quiet: false });
 * p.update(1, 'layer 0 q/k/v'); // "[  2%] layer 0 q/k/v  (1m20s left)"
 * p.done();
 */
export class Progress {
  private readonly t0: number;
  private live = false;

  /** `now` is the clock in milliseconds (performance.now by default; tests pass a fake one). */
  constructor(
    private readonly sink: ProgressSink,
    private readonly total: number,
    private readonly opts: { quiet?: boolean; now?: () => number } = {},
  ) {
    this.t0 = this.now();
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  /** Reports that `done` of `total` units are finished, the last being `what`. */
  update(done: number, what: string): void {
    if (this.opts.quiet) return;
    const elapsed = (this.now() - this.t0) / 1000;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const left = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const line = `[${String(Math.round(frac * 100)).padStart(3)}%] ${what}  (${done < this.total ? `${formatDuration(left)} left` : `${formatDuration(elapsed)}`})`;
    if (this.sink.isTTY) {
      this.sink.write(`\r${line}\x1b[K`);
      this.live = true;
    } else {
      this.sink.write(`${line}\n`);
    }
  }

  /** Ends the live line (TTY) so the next output starts on a fresh line. */
  done(): void {
    if (this.live) this.sink.write('\n');
    this.live = false;
  }
}
