/**
 * Reading when log lines were stored (keys.ts's `logTimes`): the run at or before a slice's first
 * line and the runs inside the slice, two reads added to the transaction that reads the lines,
 * so times cost no round trip of their own. Both are seeks in a sorted set, not scans: the times
 * of line 100,000 cost what those of line 100 do (job-log-times-contract.ts counts it).
 */
import type { LogTime } from '@docker-builder/core';
import type { ChainableCommander } from 'ioredis';

/** Adds the two reads to `transaction`; `count` null for every run after `from`. Their replies go to `logTimesOf`. */
export function readLogTimes(transaction: ChainableCommander, key: string, from: number, count: number | null): ChainableCommander {
  return transaction
    .zrevrangebyscore(key, from, '-inf', 'LIMIT', 0, 1)
    .zrangebyscore(key, `(${from}`, count === null ? '+inf' : `(${from + count}`);
}

/** The runs over lines [from, from + lines), the first clamped to `from`, from the replies of `readLogTimes`. */
export function logTimesOf(atOrBefore: string[], inside: string[], from: number, lines: number): LogTime[] {
  const times: LogTime[] = [];
  if (lines === 0) return times;
  const first = atOrBefore[0] === undefined ? null : parseLogRun(atOrBefore[0]);
  if (first) times.push({ from, at: first.at });
  for (const member of inside) {
    const run = parseLogRun(member);
    if (run && run.from < from + lines) times.push(run);
  }
  return times;
}

/** The member that records a run (scored by `from`). */
export const logRunMember = (run: LogTime): string => `${run.from}:${run.at}`;

/** Each of the `count` lines from `from`: its time by `times` (as `logTimesOf` gives them), or undefined before the first run. */
export function lineTimes(times: readonly LogTime[], from: number, count: number): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  let run = -1;
  for (let index = from; index < from + count; index += 1) {
    while (run + 1 < times.length && times[run + 1]!.from <= index) run += 1;
    out.push(run >= 0 ? times[run]!.at : undefined);
  }
  return out;
}

/** A member of the sorted set, `<from>:<ms>`; null for anything else (a key edited by hand must not break reading the log). */
export function parseLogRun(member: string): LogTime | null {
  const match = /^(\d+):(\d+)$/.exec(member);
  return match ? { from: Number(match[1]), at: Number(match[2]) } : null;
}
