import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../../src/cli/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (t: string) => void writes.push(t) };
}

describe('Progress', () => {
  it('extrapolates the time left from the mean time per unit', () => {
    let now = 1000;
    const s = sink(false);
    const p = new Progress(s, 10, { now: () => now });
    now += 4000; // 2 of 10 units in 4 s: 2 s per unit, 8 left -> 16 s
    p.update(2, 'layer 1');
    now += 76000; // 10 of 10 in 80 s
    p.update(10, 'layer 5');
    expect(s.writes).toEqual(['[ 20%] layer 1  (16s left)\n', '[100%] layer 5  (1m20s)\n']);
  });

  it('rewrites one line on a TTY and ends it with a newline; prints nothing when quiet', () => {
    const t = sink(true);
    const p = new Progress(t, 4, { now: () => 0 });
    p.update(1, 'a');
    p.update(2, 'b');
    p.done();
    expect(t.writes.slice(0, 2).every((w) => w.startsWith('\r') && w.endsWith('\x1b[K'))).toBe(true);
    expect(t.writes[2]).toBe('\n');
    const q = sink(true);
    const quiet = new Progress(q, 4, { quiet: true });
    quiet.update(1, 'a');
    quiet.done();
    expect(q.writes).toEqual([]);
  });

  it('formats durations', () => {
    expect(formatDuration(5.4)).toBe('5s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(NaN)).toBe('?');
  });
});
