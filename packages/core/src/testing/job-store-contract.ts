/**
 * The JobStore contract. Every store runs this one suite against itself; a behaviour is
 * defined here once, not per adapter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidStateError, JobNotFoundError } from '../errors.js';
import type { JobStore } from '../ports/job-store.js';
import { collect, delay } from './collect.js';
import { newJob } from './fixtures.js';
import { eventFeedCases } from './job-events-contract.js';
import { jobQueryCases } from './job-query-contract.js';
import { jobGroupsCases } from './job-groups-contract.js';

export interface JobStoreContractOptions {
  /** A fresh, empty store for each test; with `maxEvents`, one that keeps only that many job events. */
  makeStore: (overrides?: { maxEvents?: number }) => Promise<JobStore> | JobStore;
  /** Another instance over the same data as `store` (another process's store), for stores that have such a thing. */
  makePeer?: (store: JobStore) => Promise<JobStore> | JobStore;
  /** Jobs created for the pagination test; default 10 000. */
  paginationJobs?: number;
}

export function jobStoreContract(name: string, options: JobStoreContractOptions): void {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await options.makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const at = () => new Date().toISOString();
    const created = async (kind: 'build' | 'deploy' = 'build') => store.create(newJob(kind));
    const running = async () => {
      const job = await created();
      const claimed = await store.transition(job.id, { from: ['queued'], to: 'running', at: at() });
      return claimed!;
    };

    describe('jobs', () => {
      it('creates a queued job and reads it back', async () => {
        const input = newJob('build', { user: { sub: 'alice' } });
        const job = await store.create(input);
        expect(job).toMatchObject({ id: input.id, kind: 'build', state: 'queued', progress: 0, attempt: 0 });
        expect(job.startedAt).toBeNull();
        expect(await store.get(input.id)).toEqual(job);
        expect((await store.get(input.id))?.spec).toEqual(input.spec);
        expect((await store.get(input.id))?.user).toEqual({ sub: 'alice' });
      });

      it('answers null for an unknown id', async () => {
        expect(await store.get('0190a000-0000-7000-8000-000000000000')).toBeNull();
      });

      it('keeps deploy metadata (mappings and user) for deploys only', async () => {
        const deploy = await store.create(newJob('deploy', { user: { sub: 'bob' } }));
        const build = await created('build');
        const meta = await store.getDeployMetadata(deploy.id);
        expect(meta).toEqual({ mappings: deploy.kind === 'deploy' ? deploy.spec.mappings : {}, user: { sub: 'bob' } });
        expect(await store.getDeployMetadata(build.id)).toBeNull();
      });
    });

    describe('state transitions', () => {
      it('claims a queued job: running, startedAt set, a new attempt', async () => {
        const job = await created();
        const claimed = await store.transition(job.id, { from: ['queued'], to: 'running', at: '2025-10-25T11:10:06.000Z' });
        expect(claimed).toMatchObject({ state: 'running', attempt: 1, startedAt: '2025-10-25T11:10:06.000Z' });
      });

      it('lets exactly one of many concurrent claims win', async () => {
        const job = await created();
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.transition(job.id, { from: ['queued'], to: 'running', at: at() })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get(job.id))?.attempt).toBe(1);
      });

      it('finishes a running job with its result, progress and finishedAt', async () => {
        const job = await running();
        const done = await store.transition(job.id, {
          from: ['running'],
          to: 'done',
          at: '2025-10-25T11:12:00.000Z',
          attempt: job.attempt,
          result: { images: ['r/x:1'], digest: 'sha256:abc' },
          progress: 100,
        });
        expect(done).toMatchObject({ state: 'done', progress: 100, finishedAt: '2025-10-25T11:12:00.000Z', error: null });
        expect(done?.result).toEqual({ images: ['r/x:1'], digest: 'sha256:abc' });
        expect(await store.get(job.id)).toEqual(done);
      });

      it('records the error of a failed job', async () => {
        const job = await running();
        const failed = await store.transition(job.id, { from: ['running'], to: 'error', at: at(), attempt: 1, error: 'exit 2' });
        expect(failed).toMatchObject({ state: 'error', error: 'exit 2' });
      });

      it('never moves a finished job again: a late write is refused', async () => {
        const job = await running();
        await store.transition(job.id, { from: ['running'], to: 'cancelled', at: at(), error: 'Cancelled on request.' });
        expect(await store.transition(job.id, { from: ['running'], to: 'done', at: at() })).toBeNull();
        expect(await store.transition(job.id, { from: ['queued', 'running'], to: 'error', at: at() })).toBeNull();
        expect((await store.get(job.id))?.state).toBe('cancelled');
      });

      it('throws for a move the state machine forbids', async () => {
        const job = await created();
        await expect(store.transition(job.id, { from: ['queued'], to: 'done', at: at() })).rejects.toBeInstanceOf(InvalidStateError);
        expect((await store.get(job.id))?.state).toBe('queued');
      });

      it('throws JobNotFoundError for an unknown id', async () => {
        await expect(
          store.transition('0190a000-0000-7000-8000-000000000000', { from: ['queued'], to: 'running', at: at() }),
        ).rejects.toBeInstanceOf(JobNotFoundError);
      });

      it('fences lifecycle writes to the current attempt', async () => {
        const job = await running();
        const stale = { attempt: job.attempt + 1 };
        expect(await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: stale.attempt })).toBeNull();
        expect(await store.setProgress(job.id, 50, stale)).toBe(false);
        expect(await store.appendLogs(job.id, ['from a stale attempt'], stale)).toBeNull();
        const current = await store.get(job.id);
        expect(current).toMatchObject({ state: 'running', progress: 0 });
        expect((await store.readLogs(job.id, { from: 0 })).lines).toEqual([]);
      });

      it('stores progress of a running job', async () => {
        const job = await running();
        expect(await store.setProgress(job.id, 42, { attempt: job.attempt })).toBe(true);
        expect((await store.get(job.id))?.progress).toBe(42);
      });
    });

    describe('leases', () => {
      const expiredIds = async () => (await store.expiredLeases(100)).map((lease) => lease.id);

      it('a claim holds a lease that runs out unless renewed', async () => {
        const job = await created();
        const claimed = await store.transition(job.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 150 });
        expect(await expiredIds()).not.toContain(job.id);
        await delay(100);
        expect(await store.renewLease(job.id, 150, { attempt: claimed!.attempt })).toBe(true);
        await delay(100);
        expect(await expiredIds()).not.toContain(job.id);
        await delay(120);
        const [lease] = (await store.expiredLeases(100)).filter((l) => l.id === job.id);
        expect(lease).toMatchObject({ id: job.id, state: 'running', attempt: 1 });
        expect(Date.parse(lease!.expiredAt)).toBeLessThanOrEqual(Date.now() + 50);
      });

      it('a queued job created with a lease shows up once it runs out, and a claim replaces it', async () => {
        const waiting = await store.create(newJob('build'), { leaseMs: 30 });
        const claimedSoon = await store.create(newJob('build'), { leaseMs: 30 });
        await store.transition(claimedSoon.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 10_000 });
        await delay(60);
        const expired = await store.expiredLeases(100);
        expect(expired.find((l) => l.id === waiting.id)).toMatchObject({ state: 'queued', attempt: 0 });
        expect(expired.map((l) => l.id)).not.toContain(claimedSoon.id);
      });

      it('refuses a renewal from another attempt or for a finished job, and an end drops the lease', async () => {
        const job = await created();
        await store.transition(job.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 20 });
        expect(await store.renewLease(job.id, 20, { attempt: 2 })).toBe(false);
        await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
        expect(await store.renewLease(job.id, 20, { attempt: 1 })).toBe(false);
        await delay(40);
        expect(await expiredIds()).not.toContain(job.id);
      });

      it('moves a job only if its lease has run out, when asked to', async () => {
        const job = await created();
        await store.transition(job.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 80 });
        const reap = () => store.transition(job.id, { from: ['running'], to: 'error', at: at(), attempt: 1, ifLeaseExpired: true, error: 'lost' });
        expect(await reap()).toBeNull();
        await delay(120);
        const results = await Promise.all(Array.from({ length: 10 }, reap));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get(job.id)).toMatchObject({ state: 'error', error: 'lost' });
      });

      it('queues a running job again with a fresh lease; the next claim is a new attempt', async () => {
        const job = await created();
        await store.transition(job.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 10 });
        await delay(30);
        const requeued = await store.transition(job.id, { from: ['running'], to: 'queued', at: at(), attempt: 1, ifLeaseExpired: true, leaseMs: 10_000 });
        expect(requeued).toMatchObject({ state: 'queued', attempt: 1 });
        expect(await expiredIds()).not.toContain(job.id);
        expect((await store.list({ limit: 10, states: ['queued'] })).jobs.map((j) => j.id)).toContain(job.id);
        // The lost attempt is still attempt 1 until the next claim, but it may no longer write.
        expect(await store.appendLogs(job.id, ['late line of attempt 1'], { attempt: 1 })).toBeNull();
        const again = await store.transition(job.id, { from: ['queued'], to: 'running', at: at(), leaseMs: 10_000 });
        expect(again).toMatchObject({ state: 'running', attempt: 2 });
        expect(await store.appendLogs(job.id, ['from attempt 1'], { attempt: 1 })).toBeNull();
      });

      it('appends the lines given with a move in the same step, before the end closes the log', async () => {
        const job = await running();
        await store.appendLogs(job.id, ['first'], { attempt: 1 });
        const following = collect(store.followLogs(job.id, { from: 0 }));
        const done = await store.transition(job.id, { from: ['running'], to: 'error', at: at(), attempt: 1, error: 'x', logs: ['last words', 'really last'] });
        expect(done?.state).toBe('error');
        expect((await following).map((e) => e.line)).toEqual(['first', 'last words', 'really last']);
        const refused = await store.transition(job.id, { from: ['running'], to: 'done', at: at(), logs: ['never'] });
        expect(refused).toBeNull();
        expect((await store.readLogs(job.id, { from: 0 })).lines).toEqual(['first', 'last words', 'really last']);
      });
    });

    describe('cancel requests', () => {
      it('marks a running job and wakes a watcher', async () => {
        const job = await running();
        const watcher = new AbortController();
        let woke = false;
        const watching = store.watchCancel(job.id, watcher.signal).then(() => (woke = true));
        await delay(20);
        expect(woke).toBe(false);
        const asked = await store.requestCancel(job.id, '2025-10-25T11:11:00.000Z');
        expect(asked).toMatchObject({ state: 'running', cancelRequestedAt: '2025-10-25T11:11:00.000Z' });
        await watching;
        expect(woke).toBe(true);
      });

      it('resolves a watcher at once when cancel was already requested', async () => {
        const job = await running();
        await store.requestCancel(job.id, at());
        await store.watchCancel(job.id, new AbortController().signal);
      });

      it('rejects a watcher when its signal aborts first', async () => {
        const job = await running();
        const watcher = new AbortController();
        const watching = store.watchCancel(job.id, watcher.signal);
        watcher.abort(new Error('stop watching'));
        await expect(watching).rejects.toThrow('stop watching');
      });

      it('records who cancelled: the first request of a running job, or the move of a queued one', async () => {
        const job = await running();
        await store.requestCancel(job.id, at(), { sub: 'carol' });
        await store.requestCancel(job.id, at(), { sub: 'dave' });
        expect((await store.get(job.id))?.cancelledBy).toEqual({ sub: 'carol' });
        const queued = await created();
        const cancelled = await store.transition(queued.id, { from: ['queued'], to: 'cancelled', at: at(), cancelledBy: { sub: 'erin', name: 'Erin' } });
        expect(cancelled?.cancelledBy).toEqual({ sub: 'erin', name: 'Erin' });
        expect((await store.get(queued.id))?.cancelledBy).toEqual({ sub: 'erin', name: 'Erin' });
        expect((await created()).cancelledBy).toBeNull();
      });

      it('answers null for a job that is not running', async () => {
        const job = await created();
        expect(await store.requestCancel(job.id, at())).toBeNull();
      });
    });

    describe('logs', () => {
      it('appends in order and reads from an offset', async () => {
        const job = await running();
        expect(await store.appendLogs(job.id, ['one', 'two'], { attempt: 1 })).toBe(2);
        expect(await store.appendLogs(job.id, ['three', '\u001b[32mgreen\u001b[0m ünïcödé ✓'], { attempt: 1 })).toBe(4);
        expect(await store.readLogs(job.id, { from: 0 })).toMatchObject({
          lines: ['one', 'two', 'three', '\u001b[32mgreen\u001b[0m ünïcödé ✓'],
          next: 4,
          total: 4,
        });
        expect(await store.readLogs(job.id, { from: 1, limit: 2 })).toMatchObject({ lines: ['two', 'three'], next: 3, total: 4 });
        expect(await store.readLogs(job.id, { from: 9 })).toMatchObject({ lines: [], next: 9, total: 4 });
        expect(await store.readLogs(job.id, { from: 0, limit: 0 })).toMatchObject({ lines: [], next: 0, total: 4 });
        expect(await store.readLogs(job.id, { from: 2, limit: 0 })).toMatchObject({ lines: [], next: 2, total: 4 });
      });

      it('answers an offset past any log with nothing, however large', async () => {
        const job = await running();
        await store.appendLogs(job.id, ['one'], { attempt: 1 });
        const slice = await store.readLogs(job.id, { from: 1e23 });
        expect(slice.lines).toEqual([]);
        expect(slice.total).toBe(1);
        expect(await collect(store.followLogs(job.id, { from: 1e23, signal: AbortSignal.timeout(200) }))).toEqual([]);
      });

      it('keeps every line of concurrent batches, each batch contiguous', async () => {
        const job = await running();
        const writers = 10;
        const batches = 20;
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let b = 0; b < batches; b += 1) {
              await store.appendLogs(job.id, [`w${w} b${b} 0`, `w${w} b${b} 1`, `w${w} b${b} 2`], { attempt: 1 });
            }
          }),
        );
        const { lines } = await store.readLogs(job.id, { from: 0 });
        expect(lines).toHaveLength(writers * batches * 3);
        for (let i = 0; i < lines.length; i += 3) {
          const prefix = lines[i]!.slice(0, -2);
          expect(lines.slice(i, i + 3)).toEqual([`${prefix} 0`, `${prefix} 1`, `${prefix} 2`]);
        }
        for (let w = 0; w < writers; w += 1) {
          const own = lines.filter((line) => line.startsWith(`w${w} `) && line.endsWith(' 0'));
          expect(own).toEqual(Array.from({ length: batches }, (_, b) => `w${w} b${b} 0`));
        }
      });

      it('refuses to grow the log of a finished job', async () => {
        const job = await running();
        await store.appendLogs(job.id, ['last'], { attempt: 1 });
        await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
        expect(await store.appendLogs(job.id, ['too late'])).toBeNull();
        expect((await store.readLogs(job.id, { from: 0 })).lines).toEqual(['last']);
      });

      it('follows from an offset while lines arrive, and ends when the job ends', async () => {
        const job = await running();
        await store.appendLogs(job.id, ['l0', 'l1', 'l2'], { attempt: 1 });
        const following = collect(store.followLogs(job.id, { from: 1 }));
        for (let i = 3; i < 60; i += 3) {
          await delay(1);
          await store.appendLogs(job.id, [`l${i}`, `l${i + 1}`, `l${i + 2}`], { attempt: 1 });
        }
        await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
        const entries = await following;
        expect(entries.map((e) => e.index)).toEqual(Array.from({ length: 59 }, (_, i) => i + 1));
        expect(entries.map((e) => e.line)).toEqual(Array.from({ length: 59 }, (_, i) => `l${i + 1}`));
      });

      it('follows a finished job to its last line and ends', async () => {
        const job = await running();
        await store.appendLogs(job.id, ['a', 'b'], { attempt: 1 });
        await store.transition(job.id, { from: ['running'], to: 'error', at: at(), attempt: 1, error: 'x' });
        expect(await collect(store.followLogs(job.id, { from: 0 }))).toMatchObject([
          { index: 0, line: 'a' },
          { index: 1, line: 'b' },
        ]);
        expect(await collect(store.followLogs(job.id, { from: 2 }))).toEqual([]);
      });

      it('lets two followers each see every line', async () => {
        const job = await running();
        const first = collect(store.followLogs(job.id, { from: 0 }));
        const second = collect(store.followLogs(job.id, { from: 0 }));
        for (let i = 0; i < 10; i += 1) await store.appendLogs(job.id, [`line ${i}`], { attempt: 1 });
        await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
        const expected = Array.from({ length: 10 }, (_, i) => ({ index: i, line: `line ${i}` }));
        expect(await first).toMatchObject(expected);
        expect(await second).toMatchObject(expected);
      });

      it('gives many followers that start at different offsets and times, while lines arrive, the same complete log', async () => {
        const job = await running();
        const total = 2_500;
        const expected = Array.from({ length: total }, (_, i) => ({ index: i, line: `line ${i}` }));
        const followers: Array<{ from: number; entries: Promise<Array<{ index: number; line: string }>> }> = [];
        const follow = (from: number) => followers.push({ from, entries: collect(store.followLogs(job.id, { from })) });
        for (let i = 0; i < total; i += 250) {
          // Some start at the beginning, some where the log is now, some ahead of it.
          for (const from of [0, i, Math.max(0, i - 120), i + 300]) follow(from);
          await store.appendLogs(job.id, expected.slice(i, i + 250).map((e) => e.line), { attempt: 1 });
          await delay(1);
        }
        await store.transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
        for (const { from, entries } of followers) expect(await entries).toMatchObject(expected.slice(from));
      });

      it('stops following when the signal aborts', async () => {
        const job = await running();
        await store.appendLogs(job.id, ['only'], { attempt: 1 });
        const controller = new AbortController();
        const following = collect(store.followLogs(job.id, { from: 0, signal: controller.signal }));
        await delay(30);
        controller.abort();
        expect(await following).toMatchObject([{ index: 0, line: 'only' }]);
      });

      it('throws JobNotFoundError when following an unknown job', async () => {
        await expect(collect(store.followLogs('0190a000-0000-7000-8000-000000000000', { from: 0 }))).rejects.toBeInstanceOf(
          JobNotFoundError,
        );
      });
    });

    describe('listing', () => {
      it('lists newest first and filters by state and kind', async () => {
        const a = await created('build');
        const b = await created('deploy');
        const c = await created('build');
        await store.transition(b.id, { from: ['queued'], to: 'running', at: at() });
        const all = await store.list({ limit: 10 });
        expect(all.jobs.map((j) => j.id)).toEqual([c.id, b.id, a.id]);
        expect(all.nextCursor).toBeNull();
        expect((await store.list({ limit: 10, kind: 'build' })).jobs.map((j) => j.id)).toEqual([c.id, a.id]);
        expect((await store.list({ limit: 10, states: ['running'] })).jobs.map((j) => j.id)).toEqual([b.id]);
        expect((await store.list({ limit: 10, states: ['queued'], kind: 'deploy' })).jobs).toEqual([]);
        expect((await store.list({ limit: 10, states: ['queued', 'running'] })).jobs).toHaveLength(3);
      });

      it('pages through many jobs with a cursor, each job once', async () => {
        const count = options.paginationJobs ?? 10_000;
        const start = Date.parse('2025-10-25T00:00:00Z');
        const ids: string[] = [];
        const chunk = 500;
        for (let i = 0; i < count; i += chunk) {
          const jobs = Array.from({ length: Math.min(chunk, count - i) }, (_, k) =>
            newJob((i + k) % 3 === 0 ? 'deploy' : 'build', { at: new Date(start + (i + k) * 1000) }),
          );
          await Promise.all(jobs.map((job) => store.create(job)));
          ids.push(...jobs.map((job) => job.id));
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await store.list({ limit: 100, cursor });
          expect(page.jobs.length).toBeLessThanOrEqual(100);
          seen.push(...page.jobs.map((j) => j.id));
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor);
        expect(pages).toBe(Math.ceil(count / 100));
        expect(seen).toEqual([...ids].reverse());

        const deploys: string[] = [];
        cursor = null;
        do {
          const page = await store.list({ limit: 250, cursor, kind: 'deploy' });
          deploys.push(...page.jobs.map((j) => j.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(deploys).toEqual(ids.filter((_, i) => i % 3 === 0).reverse());
      }, 60_000);
    });

    jobQueryCases(() => store);
    jobGroupsCases(() => store);

    eventFeedCases({ store: () => store, makeStore: (overrides) => options.makeStore(overrides), makePeer: options.makePeer });

    it('reports its health with its name', async () => {
      const health = await store.health();
      expect(health.name).toBe(store.name);
      expect(health.ok).toBe(true);
    });
  });
}
