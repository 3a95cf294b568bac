/**
 * The log cap keeps a runaway log's beginning and its end (issue 13, item 4): the writer holds
 * the last lines in a bounded ring past the cap and appends them when the job ends, behind a
 * line saying how many were dropped. The log stays append-only, so indexes never move.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_LIMITS, type JobStore, type LogLimits } from '@docker-builder/core';
import { collect, createFaultyStore, newJob } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createJobLogWriter } from '../src/job-log-writer.js';
import { createLogTail } from '../src/log-tail.js';

const numbered = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `line ${from + i}`);
const at = () => new Date().toISOString();

/** A job running its attempt 1 in a real memory store. */
async function runningJob(store: JobStore = createMemoryJobStore()) {
  const job = await store.create(newJob('deploy'));
  await store.transition(job.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 60_000 });
  return { store, id: job.id };
}

function writer(store: JobStore, id: string, limits: Partial<LogLimits>, more: { attempt?: number; existingLines?: number; onFenced?: () => void } = {}) {
  return createJobLogWriter({
    store,
    jobId: id,
    attempt: more.attempt ?? 1,
    existingLines: more.existingLines ?? 0,
    limits: { ...DEFAULT_LOG_LIMITS, flushIntervalMs: 5, ...limits },
    onFenced: more.onFenced ?? (() => undefined),
  });
}

const allLines = async (store: JobStore, id: string) => (await store.readLogs(id, { from: 0 })).lines;

describe('a capped log keeps its first and its last lines', () => {
  it('says at once that the cap was reached, then appends how many were dropped and the last lines, indexes contiguous', async () => {
    const { store, id } = await runningJob();
    // maxLines 100: a tail of a tenth (10 lines), the head up to 88, two lines of explanation.
    const log = writer(store, id, { maxLines: 100 });
    const follower = collect(store.followLogs(id, { from: 0 }));
    for (const line of numbered(250)) log.write(line);
    await log.flush();

    // A live follower already sees why the log went quiet.
    const live = await allLines(store, id);
    expect(live).toHaveLength(89);
    expect(live.slice(0, 88)).toEqual(numbered(88));
    expect(live[88]).toBe('[docker-builder] log limit of 100 lines reached: from here only the last 10 lines (up to 4 MiB) are kept; they appear when the job ends');

    expect(await log.close()).toBe(0);
    const stored = await allLines(store, id);
    expect(stored).toHaveLength(100);
    expect(stored[89]).toBe('[docker-builder] log limit of 100 lines reached: 152 lines were dropped here; the last 10 lines of the log follow');
    expect(stored.slice(90)).toEqual(numbered(10, 240));

    await store.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
    const followed = await follower;
    expect(followed.map((entry) => entry.index)).toEqual(stored.map((_, index) => index));
    expect(followed.map((entry) => entry.line)).toEqual(stored);
  });

  it('drops nothing from a log that fits, and says so when the tail held every line past the head', async () => {
    const fits = await runningJob();
    const whole = writer(fits.store, fits.id, { maxLines: 100 });
    for (const line of numbered(88)) whole.write(line);
    await whole.close();
    expect(await allLines(fits.store, fits.id)).toEqual(numbered(88));

    const { store, id } = await runningJob();
    const log = writer(store, id, { maxLines: 100 });
    for (const line of numbered(95)) log.write(line);
    await log.close();
    const stored = await allLines(store, id);
    expect(stored).toEqual([
      ...numbered(88),
      '[docker-builder] log limit of 100 lines reached: from here only the last 10 lines (up to 4 MiB) are kept; they appear when the job ends',
      '[docker-builder] log limit of 100 lines reached: no line was dropped after all; the last 7 lines of the log follow',
      ...numbered(7, 88),
    ]);
  });

  it('keeps the whole log within maxBytes, the tail and the two lines included', async () => {
    const { store, id } = await runningJob();
    // 100-byte lines: a budget of 10,000 bytes keeps 1,000 for the tail (10 lines) and 512 for
    // the two lines of explanation, so the head holds 84.
    const line = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(96)}`;
    const lines = Array.from({ length: 500 }, (_, i) => line(i));
    const log = writer(store, id, { maxBytes: 10_000 });
    for (const l of lines) log.write(l);
    await log.close();
    const stored = await allLines(store, id);
    expect(stored.slice(0, 84)).toEqual(lines.slice(0, 84));
    expect(stored[84]).toBe('[docker-builder] log limit of 10000 bytes reached: from here only the last 1000 lines (up to 1000 bytes) are kept; they appear when the job ends');
    expect(stored[85]).toBe('[docker-builder] log limit of 10000 bytes reached: 406 lines were dropped here; the last 10 lines of the log follow');
    expect(stored.slice(86)).toEqual(lines.slice(490));
    expect(stored.reduce((sum, l) => sum + Buffer.byteLength(l), 0)).toBeLessThanOrEqual(10_000);
  });

  it('bounds the tail by tailLines and tailBytes when they are smaller than a tenth of the caps', async () => {
    const { store, id } = await runningJob();
    const log = writer(store, id, { maxLines: 1_000, tailLines: 3, tailBytes: 1_000 });
    for (const line of numbered(2_000)) log.write(line);
    await log.close();
    const stored = await allLines(store, id);
    expect(stored).toHaveLength(1_000);
    expect(stored.slice(995, 997)).toEqual([
      '[docker-builder] log limit of 1000 lines reached: from here only the last 3 lines (up to 1000 bytes) are kept; they appear when the job ends',
      '[docker-builder] log limit of 1000 lines reached: 1002 lines were dropped here; the last 3 lines of the log follow',
    ]);
    expect(stored.slice(997)).toEqual(numbered(3, 1_997));

    const bytes = await runningJob();
    const small = writer(bytes.store, bytes.id, { maxLines: 1_000, tailBytes: 30 });
    // "line 1997" and its neighbours are 9 bytes: 30 bytes hold three of them.
    for (const line of numbered(2_000)) small.write(line);
    await small.close();
    expect((await allLines(bytes.store, bytes.id)).slice(-4)).toEqual([
      '[docker-builder] log limit of 1000 lines reached: 1099 lines were dropped here; the last 3 lines of the log follow',
      ...numbered(3, 1_997),
    ]);
  });

  it('keeps a tail of a tenth of a line cap smaller than tailLines, and none below ten lines', async () => {
    const { store, id } = await runningJob();
    const log = writer(store, id, { maxLines: 50 });
    for (const line of numbered(200)) log.write(line);
    await log.close();
    const stored = await allLines(store, id);
    expect(stored).toEqual([
      ...numbered(43),
      '[docker-builder] log limit of 50 lines reached: from here only the last 5 lines (up to 4 MiB) are kept; they appear when the job ends',
      '[docker-builder] log limit of 50 lines reached: 152 lines were dropped here; the last 5 lines of the log follow',
      ...numbered(5, 195),
    ]);

    const tiny = await runningJob();
    const capped = writer(tiny.store, tiny.id, { maxLines: 5 });
    for (const line of numbered(20)) capped.write(line);
    await capped.close();
    expect(await allLines(tiny.store, tiny.id)).toEqual([
      ...numbered(3),
      '[docker-builder] log limit of 5 lines reached: the rest of this log is dropped',
      '[docker-builder] log limit of 5 lines reached: 17 lines were dropped here',
    ]);
  });
});

describe('a retry attempt and the cap', () => {
  it('counts the earlier attempt\'s lines, keeps its own last lines in the room left, and fences the lost attempt out', async () => {
    const { store, id } = await runningJob();
    let fenced = 0;
    const first = writer(store, id, { maxLines: 100 }, { onFenced: () => (fenced += 1) });
    for (const line of numbered(150)) first.write(`first ${line}`);
    await first.flush();
    // Attempt 1 is lost before its end: its tail was only in its memory. The reaper queues the job again.
    await store.transition(id, { from: ['running'], to: 'queued', at: at(), attempt: 1, leaseMs: 60_000, logs: ['[docker-builder] attempt 1 was lost; queued again'] });
    const claimed = await store.transition(id, { from: ['queued'], to: 'running', at: at(), leaseMs: 60_000 });
    expect(claimed?.attempt).toBe(2);
    const before = await allLines(store, id);
    expect(before).toHaveLength(90);

    const second = writer(store, id, { maxLines: 100 }, { attempt: 2, existingLines: before.length });
    for (const line of numbered(30)) second.write(`second ${line}`);
    // The lost attempt's late close is refused whole: it must not write its tail into attempt 2's log.
    await first.close();
    expect(fenced).toBe(1);
    await second.close();

    const stored = await allLines(store, id);
    expect(stored).toHaveLength(100);
    expect(stored.slice(0, 90)).toEqual(before);
    expect(stored.slice(90)).toEqual([
      '[docker-builder] log limit of 100 lines reached: from here only the last 8 lines (up to 4 MiB) are kept; they appear when the job ends',
      '[docker-builder] log limit of 100 lines reached: 22 lines were dropped here; the last 8 lines of the log follow',
      ...numbered(8, 22).map((line) => `second ${line}`),
    ]);
  });

  it('writes one line saying how many it dropped when the earlier attempt filled the log', async () => {
    const { store, id } = await runningJob();
    await store.appendLogs(id, numbered(100), { attempt: 1 });
    await store.transition(id, { from: ['running'], to: 'queued', at: at(), attempt: 1, leaseMs: 60_000, logs: ['[docker-builder] attempt 1 was lost; queued again'] });
    await store.transition(id, { from: ['queued'], to: 'running', at: at(), leaseMs: 60_000 });

    const quiet = writer(store, id, { maxLines: 100 }, { attempt: 2, existingLines: 101 });
    await quiet.close();
    expect(await allLines(store, id)).toHaveLength(101);

    const log = writer(store, id, { maxLines: 100 }, { attempt: 2, existingLines: 101 });
    for (const line of numbered(5)) log.write(line);
    await log.close();
    const stored = await allLines(store, id);
    expect(stored).toHaveLength(102);
    expect(stored[101]).toBe('[docker-builder] log limit of 100 lines reached: 5 lines were dropped here');
  });
});

describe('the guarantees the cap keeps', () => {
  it('retries the tail at close when the store fails for a moment', async () => {
    const faulty = createFaultyStore(createMemoryJobStore());
    const { id } = await runningJob(faulty);
    faulty.inject({ method: 'appendLogs', times: 2, when: ((_: string, lines: readonly string[]) => lines.some((line) => line.includes('dropped here'))) as (...args: never[]) => boolean });
    const log = writer(faulty, id, { maxLines: 100 });
    for (const line of numbered(300)) log.write(line);
    expect(await log.close()).toBe(0);
    expect(faulty.failures.appendLogs).toBe(2);
    const stored = await allLines(faulty, id);
    expect(stored).toHaveLength(100);
    expect(stored.slice(90)).toEqual(numbered(10, 290));
  });

  it('costs O(1) per dropped line: a million lines past the cap leave the ring bounded, with no array shifted', async () => {
    const tail = createLogTail({ lines: 1_000, bytes: 1_000_000 });
    // Counted by hand: a spy's own bookkeeping shifts arrays too.
    const { shift, splice } = Array.prototype;
    let moved = 0;
    Array.prototype.shift = function (this: unknown[]) {
      moved += 1;
      return shift.call(this);
    };
    Array.prototype.splice = function (this: unknown[], ...args: Parameters<typeof splice>) {
      moved += 1;
      return splice.apply(this, args);
    } as typeof splice;
    let fell = 0;
    try {
      for (let i = 0; i < 1_000_000; i += 1) {
        fell += tail.push(`line ${i}`, 12);
        if (tail.size > 1_000 || tail.bytes > 1_000_000) throw new Error(`the ring grew to ${tail.size} lines, ${tail.bytes} bytes`);
      }
    } finally {
      Array.prototype.shift = shift;
      Array.prototype.splice = splice;
    }
    expect(moved).toBe(0);
    expect(fell).toBe(999_000);
    expect(tail.lines()).toEqual(numbered(1_000, 999_000));

    // The same through the writer: a million lines dropped, the log still its cap.
    const { store, id } = await runningJob();
    const log = writer(store, id, { maxLines: 100 });
    for (let i = 0; i < 1_000_100; i += 1) log.write(`line ${i}`);
    await log.close();
    const stored = await allLines(store, id);
    expect(stored).toHaveLength(100);
    expect(stored[89]).toBe('[docker-builder] log limit of 100 lines reached: 1000002 lines were dropped here; the last 10 lines of the log follow');
    expect(stored.slice(90)).toEqual(numbered(10, 1_000_090));
  });

  it('empties the ring for a line larger than its byte bound, so the lines kept stay the contiguous end of the log', () => {
    const tail = createLogTail({ lines: 10, bytes: 100 });
    expect(tail.push('a', 1)).toBe(0);
    expect(tail.push('b', 1)).toBe(0);
    expect(tail.push('huge', 500)).toBe(3);
    expect(tail.size).toBe(0);
    expect(tail.push('c', 60)).toBe(0);
    expect(tail.push('d', 60)).toBe(1);
    expect(tail.lines()).toEqual(['d']);
  });
});
