/**
 * The JobStore contract for when log lines were stored (`LogTime`): one run per write, read
 * back with any slice and by every follower. Every store runs it beside `jobStoreContract`.
 * Times are the store's clock; these cases take it to be this machine's, to within `SKEW_MS`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore, LogTime } from '../ports/job-store.js';
import { collect, delay } from './collect.js';
import { newJob } from './fixtures.js';

export interface JobLogTimesContractOptions {
  makeStore: () => Promise<JobStore> | JobStore;
  /**
   * What `call` costs the store, counted and never timed (a busy machine must not fail it): the
   * bytes a Redis store exchanges with Redis, the runs the memory store looks at.
   */
  countWork: (store: JobStore, call: () => Promise<unknown>) => Promise<number>;
}

/** How far the store's clock may be from this process's (a Redis on another host). */
const SKEW_MS = 1_000;

export function jobLogTimesContract(name: string, options: JobLogTimesContractOptions): void {
  describe(`JobStore contract, log times: ${name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await options.makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const at = () => new Date().toISOString();
    const fence = { attempt: 1 };
    const running = async () => {
      const job = await store.create(newJob('build'));
      return (await store.transition(job.id, { from: ['queued'], to: 'running', at: at() }))!;
    };
    /** Lets the clock move on, so the next write has a later millisecond than the last. */
    const later = () => delay(3);
    const near = (time: number, from: number, to: number) => {
      expect(time).toBeGreaterThanOrEqual(from - SKEW_MS);
      expect(time).toBeLessThanOrEqual(to + SKEW_MS);
    };
    /** The time of line `index` by the rule of `LogSlice.times`. */
    const timeOf = (times: LogTime[], index: number) => times.filter((run) => run.from <= index).pop()?.at;

    /** Lines 0–2, 3–5 and 6–8, each three written at once, a few milliseconds apart. */
    const threeRuns = async (id: string) => {
      for (const first of [0, 3, 6]) {
        await later();
        await store.appendLogs(id, [`l${first}`, `l${first + 1}`, `l${first + 2}`], fence);
      }
      const { times } = await store.readLogs(id, { from: 0 });
      expect(times.map((run) => run.from)).toEqual([0, 3, 6]);
      return times.map((run) => run.at) as [number, number, number];
    };

    it('records one time per append, the store\'s, for every line of it', async () => {
      const job = await running();
      const before = Date.now();
      await store.appendLogs(job.id, ['a', 'b'], fence);
      const between = Date.now();
      await later();
      await store.appendLogs(job.id, ['c'], fence);
      const after = Date.now();
      const { times } = await store.readLogs(job.id, { from: 0 });
      expect(times.map((run) => run.from)).toEqual([0, 2]);
      near(times[0]!.at, before, between);
      near(times[1]!.at, between, after);
      expect(times[1]!.at).toBeGreaterThan(times[0]!.at);
    });

    it('records the lines a move appends as a run of their own', async () => {
      const job = await running();
      await store.appendLogs(job.id, ['first'], fence);
      await later();
      const before = Date.now();
      await store.transition(job.id, { from: ['running'], to: 'error', at: at(), attempt: 1, error: 'x', logs: ['last words', 'really last'] });
      const { times } = await store.readLogs(job.id, { from: 0 });
      expect(times.map((run) => run.from)).toEqual([0, 1]);
      near(times[1]!.at, before, Date.now());
      expect(times[1]!.at).toBeGreaterThan(times[0]!.at);
      // A move without lines records nothing.
      const quiet = await running();
      await store.transition(quiet.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
      expect((await store.readLogs(quiet.id, { from: 0 })).times).toEqual([]);
    });

    it('gives a slice the runs over its lines, the first clamped to where the slice starts', async () => {
      const job = await running();
      const [t0, t1, t2] = await threeRuns(job.id);
      const times = async (from: number, limit?: number) => (await store.readLogs(job.id, { from, limit })).times;
      expect(await times(1, 1)).toEqual([{ from: 1, at: t0 }]);
      expect(await times(2, 2)).toEqual([{ from: 2, at: t0 }, { from: 3, at: t1 }]);
      expect(await times(3, 3)).toEqual([{ from: 3, at: t1 }]);
      expect(await times(4, 4)).toEqual([{ from: 4, at: t1 }, { from: 6, at: t2 }]);
      expect(await times(1)).toEqual([{ from: 1, at: t0 }, { from: 3, at: t1 }, { from: 6, at: t2 }]);
      expect(await times(8)).toEqual([{ from: 8, at: t2 }]);
      // No line read, no time.
      expect(await times(9)).toEqual([]);
      expect(await times(0, 0)).toEqual([]);
    });

    it('gives every follower each line with its time, live and from any line', async () => {
      const job = await running();
      await store.appendLogs(job.id, ['early'], fence);
      const fromStart = collect(store.followLogs(job.id, { from: 0 }));
      const fromMiddle = collect(store.followLogs(job.id, { from: 5 }));
      for (const first of [1, 4, 7]) {
        await later();
        await store.appendLogs(job.id, [`l${first}`, `l${first + 1}`, `l${first + 2}`], fence);
      }
      await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1, logs: ['end'] });
      const { lines, times } = await store.readLogs(job.id, { from: 0 });
      const expected = lines.map((line, index) => ({ index, line, at: timeOf(times, index) }));
      expect(expected.every((entry) => typeof entry.at === 'number')).toBe(true);
      expect(await fromStart).toEqual(expected);
      expect(await fromMiddle).toEqual(expected.slice(5));
      // And after the end, from the store's copy.
      expect(await collect(store.followLogs(job.id, { from: 2 }))).toEqual(expected.slice(2));
    });

    it('never goes back in time, and starts a run at each append even when appends race', async () => {
      const job = await running();
      const writers = 8;
      const batches = 10;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let b = 0; b < batches; b += 1) await store.appendLogs(job.id, [`w${w} b${b} 0`, `w${w} b${b} 1`, `w${w} b${b} 2`], fence);
        }),
      );
      const { times } = await store.readLogs(job.id, { from: 0 });
      expect(times.map((run) => run.from)).toEqual(Array.from({ length: writers * batches }, (_, i) => i * 3));
      for (let i = 1; i < times.length; i += 1) expect(times[i]!.at).toBeGreaterThanOrEqual(times[i - 1]!.at);
    });

    it('records nothing for a refused write', async () => {
      const job = await running();
      await store.appendLogs(job.id, ['a'], fence);
      // The attempt is lost and the job taken again: attempt 1's writes are stale now.
      await store.transition(job.id, { from: ['running'], to: 'queued', at: at(), attempt: 1 });
      await store.transition(job.id, { from: ['queued'], to: 'running', at: at() });
      await later();
      expect(await store.appendLogs(job.id, ['stale'], fence)).toBeNull();
      expect(await store.transition(job.id, { from: ['queued'], to: 'cancelled', at: at(), logs: ['never'] })).toBeNull();
      await later();
      const before = Date.now();
      await store.appendLogs(job.id, ['b'], { attempt: 2 });
      await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 2 });
      expect(await store.appendLogs(job.id, ['too late'])).toBeNull();
      const { lines, times } = await store.readLogs(job.id, { from: 0 });
      expect(lines).toEqual(['a', 'b']);
      // Line 1 has the time of the append that stored it, not of one refused before it.
      expect(times.map((run) => run.from)).toEqual([0, 1]);
      near(times[1]!.at, before, Date.now());
    });

    it('reads the times of line 100,000 at the cost of line 100', async () => {
      const batch = Array.from({ length: 50 }, (_, i) => `a log line of a realistic length, number ${i}`);
      const logOf = async (lines: number) => {
        const job = await running();
        // One run per append of 50 lines: 2,020 runs in the long log, 4 in the short one.
        for (let written = 0; written < lines; written += 50 * 20) {
          await Promise.all(Array.from({ length: Math.min(20, (lines - written) / 50) }, () => store.appendLogs(job.id, batch, fence)));
        }
        return job.id;
      };
      const short = await logOf(200);
      const long = await logOf(101_000);
      const read = (id: string, from: number) => () => store.readLogs(id, { from, limit: 10 });
      const few = await options.countWork(store, read(short, 100));
      expect(few).toBeGreaterThan(0);
      // A seek in sorted runs (a sorted set's, a binary search) may cost a few times what it does in
      // 4 runs; reading the runs before the line, or all of them, would cost hundreds of times more.
      expect(await options.countWork(store, read(long, 100))).toBeLessThan(few * 5);
      expect(await options.countWork(store, read(long, 100_000))).toBeLessThan(few * 5);
      const slice = await read(long, 100_000)();
      expect(slice.times).toEqual([{ from: 100_000, at: expect.any(Number) }]);
      expect(slice.total).toBe(101_000);
    }, 60_000);
  });
}
