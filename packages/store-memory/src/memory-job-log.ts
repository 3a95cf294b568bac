/**
 * One job's log in memory: its lines, and when they were stored as runs (one per append, see
 * `LogTime`), so a time costs one entry per write rather than one per line. A line's time is
 * found by binary search over the runs: the same few steps at line 100 or line 100,000.
 */
import type { LogEntry, LogTime } from '@docker-builder/core';

export interface MemoryJobLog {
  readonly length: number;
  /** Appends the lines as one run, at the clock's time (never before the previous run's). */
  append(lines: readonly string[]): void;
  /** Lines [from, from + limit) and the runs that cover them, the first clamped to `from`. */
  slice(from: number, limit?: number): { lines: string[]; times: LogTime[] };
  /** The line at `index` with its time; undefined past the end. */
  entry(index: number): LogEntry | undefined;
}

/** Runs looked at by every log's reads so far: what the complexity contract counts (never timed). */
let runsExamined = 0;
export const memoryLogRunsExamined = (): number => runsExamined;

export function createMemoryJobLog(clock: () => number): MemoryJobLog {
  const lines: string[] = [];
  const runs: LogTime[] = [];

  /** The position in `runs` of the run holding line `index`, or -1 when no run starts at or before it. */
  const runOf = (index: number): number => {
    let low = 0;
    let high = runs.length - 1;
    let found = -1;
    while (low <= high) {
      runsExamined += 1;
      const middle = (low + high) >>> 1;
      if (runs[middle]!.from <= index) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  };

  return {
    get length() {
      return lines.length;
    },

    append(added) {
      if (added.length === 0) return;
      const last = runs[runs.length - 1];
      // A clock set back (NTP, a VM resumed) must not make later lines look older than earlier ones.
      runs.push({ from: lines.length, at: Math.max(clock(), last?.at ?? 0) });
      for (const line of added) lines.push(line);
    },

    slice(from, limit) {
      const start = Math.max(0, from);
      const taken = lines.slice(start, limit === undefined ? undefined : start + Math.max(0, limit));
      const end = start + taken.length;
      const times: LogTime[] = [];
      if (taken.length === 0) return { lines: taken, times };
      const first = runOf(start);
      if (first >= 0) times.push({ from: start, at: runs[first]!.at });
      for (let i = first + 1; i < runs.length && runs[i]!.from < end; i += 1) {
        runsExamined += 1;
        times.push({ ...runs[i]! });
      }
      return { lines: taken, times };
    },

    entry(index) {
      if (index < 0 || index >= lines.length) return undefined;
      const run = runOf(index);
      return run >= 0 ? { index, line: lines[index]!, at: runs[run]!.at } : { index, line: lines[index]! };
    },
  };
}
