/**
 * The UI's copy of a log's times (log-times.ts): runs as the stream sends them, the time of any
 * line from them, and a resumed stream that repeats where it resumed changing nothing. The
 * browser test (log-times.test.ts) checks what a person sees.
 */
import { describe, expect, it } from 'vitest';
import { LogTimes, clockTime } from '../app/log-times';

describe('LogTimes', () => {
  it('gives each line the time of the run at or before it, and none before the first', () => {
    const times = new LogTimes();
    times.add(3, 1_000);
    times.add(10, 2_000);
    expect([0, 2, 3, 9, 10, 99_999].map((index) => times.at(index))).toEqual([undefined, undefined, 1_000, 1_000, 2_000, 2_000]);
  });

  it('takes a resumed stream\'s first time, inside a run it has, as the same run', () => {
    const times = new LogTimes();
    times.add(0, 1_000);
    times.add(5, 2_000);
    // Reconnected at line 7: the stream says again when line 7 was stored.
    times.add(7, 2_000);
    times.add(9, 3_000);
    expect([4, 6, 7, 8, 9].map((index) => times.at(index))).toEqual([1_000, 2_000, 2_000, 2_000, 3_000]);
    // A stream opened again further back (another tab's link): its runs go where they belong.
    times.add(2, 1_500);
    expect([1, 2, 4, 5].map((index) => times.at(index))).toEqual([1_000, 1_500, 1_500, 2_000]);
  });

  it('shows hours, minutes and seconds of the reader\'s day', () => {
    const at = new Date(2026, 10, 25, 4, 7, 9, 999).getTime();
    expect(clockTime(at)).toBe('04:07:09');
  });
});
