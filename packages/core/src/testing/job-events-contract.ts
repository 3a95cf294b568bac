/**
 * The JobStore contract's event feed cases (followEvents, lastEventId): run by jobStoreContract,
 * so every store passes them.
 */
import { describe, expect, it } from 'vitest';
import type { FollowEventsOptions, JobEvent, JobFeedItem, JobFeedMark } from '../ports/job-events.js';
import { isFeedMark } from '../ports/job-events.js';
import type { JobStore } from '../ports/job-store.js';
import { delay, eventually } from './collect.js';
import { newJob } from './fixtures.js';

export interface EventFeedContractOptions {
  /** The suite's store for the current test. */
  store: () => JobStore;
  /** A fresh store that keeps only `maxEvents` events (an adapter's own option). */
  makeStore: (overrides: { maxEvents: number }) => Promise<JobStore> | JobStore;
  /** Another instance over the same data (another process's store), when the adapter has such a thing. */
  makePeer?: (store: JobStore) => Promise<JobStore> | JobStore;
}

/** A follower whose first item (its mark) has been read, so it is certainly listening. */
interface Following {
  mark: JobFeedMark;
  /** The next `count` items, or fewer if nothing more comes within the test's patience. */
  take(count: number): Promise<JobFeedItem[]>;
  stop(): Promise<void>;
}

async function follow(store: JobStore, options: Omit<FollowEventsOptions, 'signal'> = {}, patienceMs = 10_000): Promise<Following> {
  const controller = new AbortController();
  const iterator = store.followEvents({ ...options, signal: controller.signal })[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done || !isFeedMark(first.value)) throw new Error(`the feed's first item must be a mark, not ${JSON.stringify(first.value)}`);
  return {
    mark: first.value,
    async take(count) {
      const items: JobFeedItem[] = [];
      const timer = setTimeout(() => controller.abort(), patienceMs);
      try {
        while (items.length < count) {
          const next = await iterator.next();
          if (next.done) break;
          items.push(next.value);
        }
      } finally {
        clearTimeout(timer);
      }
      return items;
    },
    async stop() {
      controller.abort();
      await iterator.return?.();
    },
  };
}

const at = () => new Date().toISOString();
const kinds = (items: JobFeedItem[]) => items.map((item) => item.type);

export function eventFeedCases(options: EventFeedContractOptions): void {
  describe('event feed', () => {
    const store = () => options.store();
    const running = async (s: JobStore = store()) => {
      const job = await s.create(newJob('build', { user: { sub: 'alice', name: 'Alice' } }));
      return (await s.transition(job.id, { from: ['queued'], to: 'running', at: at() }))!;
    };

    it('records each change in the step that makes it, in order, with the job as it became', async () => {
      const feed = await follow(store());
      expect(feed.mark.type).toBe('ready');
      const job = await running();
      await store().setProgress(job.id, 10, { attempt: 1 });
      // The same value again changes nothing, so it records nothing: progress never floods the feed.
      await store().setProgress(job.id, 10, { attempt: 1 });
      await store().appendLogs(job.id, ['one', 'two'], { attempt: 1 });
      await store().setProgress(job.id, 60, { attempt: 1 });
      await store().transition(job.id, { from: ['running'], to: 'error', at: '2025-10-25T11:12:00.000Z', attempt: 1, error: 'exit 1\nand more', logs: ['last'] });
      const events = (await feed.take(5)) as JobEvent[];
      await feed.stop();
      expect(kinds(events)).toEqual(['created', 'started', 'progress', 'progress', 'finished']);
      expect(events.map((e) => [e.job.state, e.job.progress, e.logLength])).toEqual([
        ['queued', 0, 0],
        ['running', 0, 0],
        ['running', 10, 0],
        ['running', 60, 2],
        ['error', 60, 3],
      ]);
      expect(new Set(events.map((e) => e.id)).size).toBe(5);
      expect(events[4]!.job).toEqual({
        id: job.id,
        kind: 'build',
        state: 'error',
        progress: 60,
        attempt: 1,
        createdAt: job.createdAt,
        startedAt: job.startedAt,
        finishedAt: '2025-10-25T11:12:00.000Z',
        cancelRequestedAt: null,
        error: 'exit 1',
        user: { sub: 'alice', name: 'Alice' },
        cancelledBy: null,
        retryOf: null,
        waitingFor: null,
        service: 'rag-service',
        image: null,
        tags: ['20251025-111006'],
      });
    });

    it('names a deploy\'s services and images, records one cancel request and a move back to the queue', async () => {
      const feed = await follow(store());
      const deploy = await store().create(newJob('deploy'));
      const job = await running();
      await store().requestCancel(job.id, at(), { sub: 'carol' });
      await store().requestCancel(job.id, at(), { sub: 'dave' });
      await store().transition(job.id, { from: ['running'], to: 'queued', at: at(), attempt: 1 });
      const events = (await feed.take(5)) as JobEvent[];
      await feed.stop();
      expect(kinds(events)).toEqual(['created', 'created', 'started', 'cancel-requested', 'requeued']);
      expect(events[0]!.job).toMatchObject({ id: deploy.id, kind: 'deploy', services: ['rag-service', 'neuroboss-service', 'agent-service'] });
      expect(events[0]!.job.kind === 'deploy' && events[0]!.job.images[0]).toMatch(/rag-service:20251025-111006$/);
      expect(events[3]!.job).toMatchObject({ cancelledBy: { sub: 'carol' }, cancelRequestedAt: expect.any(String) });
      expect(events[4]!.job).toMatchObject({ state: 'queued', attempt: 1 });
    });

    it('resumes just after an id, with nothing missed or repeated; lastEventId is such an id', async () => {
      const before = await store().lastEventId();
      const jobs = [await running(), await running()];
      const all = await follow(store(), { after: before });
      expect(all.mark).toEqual({ type: 'ready', id: before });
      const events = (await all.take(4)) as JobEvent[];
      await all.stop();
      expect(events.map((e) => `${e.type} ${e.job.id}`)).toEqual([`created ${jobs[0]!.id}`, `started ${jobs[0]!.id}`, `created ${jobs[1]!.id}`, `started ${jobs[1]!.id}`]);
      expect(await store().lastEventId()).toBe(events[3]!.id);

      const resumed = await follow(store(), { after: events[1]!.id });
      expect(resumed.mark).toEqual({ type: 'ready', id: events[1]!.id });
      await store().setProgress(jobs[1]!.id, 5, { attempt: 1 });
      expect((await resumed.take(3)).map((e) => e.id)).toEqual([events[2]!.id, events[3]!.id, expect.any(String)]);
      await resumed.stop();
    });

    it('delivers live, to every follower, in the same order', async () => {
      const feeds = await Promise.all([follow(store()), follow(store()), follow(store())]);
      const job = await running();
      for (let p = 1; p <= 20; p += 1) await store().setProgress(job.id, p, { attempt: 1 });
      const seen = await Promise.all(feeds.map((feed) => feed.take(22)));
      await Promise.all(feeds.map((feed) => feed.stop()));
      expect(seen[0]!.map((e) => (e as JobEvent).job.progress)).toEqual([0, 0, ...Array.from({ length: 20 }, (_, i) => i + 1)]);
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[2]).toEqual(seen[0]);
    });

    it('follows one job: the job as it is now, then only its own events', async () => {
      const job = await running();
      await store().appendLogs(job.id, ['a', 'b'], { attempt: 1 });
      await store().setProgress(job.id, 30, { attempt: 1 });
      const feed = await follow(store(), { jobId: job.id });
      expect(feed.mark).toMatchObject({ type: 'ready', logLength: 2, job: { id: job.id, state: 'running', progress: 30 } });
      const other = await running();
      await store().setProgress(other.id, 50, { attempt: 1 });
      await store().setProgress(job.id, 40, { attempt: 1 });
      await store().transition(job.id, { from: ['running'], to: 'done', at: at(), attempt: 1, progress: 100 });
      const events = (await feed.take(2)) as JobEvent[];
      await feed.stop();
      expect(events.map((e) => `${e.type} ${e.job.progress}`)).toEqual(['progress 40', 'finished 100']);
      expect(events.every((e) => e.job.id === job.id)).toBe(true);
      const unknown = await follow(store(), { jobId: '0190a000-0000-7000-8000-000000000000' });
      expect(unknown.mark).toMatchObject({ type: 'ready', job: null });
      await unknown.stop();
    });

    it('says so when asked to follow on from an id it no longer keeps, or never gave', async () => {
      const small = await options.makeStore({ maxEvents: 10 });
      try {
        const first = await small.lastEventId();
        const gone = (await small.create(newJob('build'))).id;
        // Redis trims approximately, a node of entries at a time: far more than 10 events, then.
        await Promise.all(Array.from({ length: 400 }, () => small.create(newJob('build'))));
        for (const after of [first, 'not-an-event-id']) {
          const feed = await follow(small, { after });
          expect(feed.mark.type, `following on from ${after}`).toBe('reset');
          expect(feed.mark.id).toBe(await small.lastEventId());
          await feed.stop();
        }
        // After a reset the feed goes on from now.
        const feed = await follow(small, { after: first, jobId: gone });
        expect(feed.mark).toMatchObject({ type: 'reset', job: { id: gone, state: 'queued' }, logLength: 0 });
        await small.transition(gone, { from: ['queued'], to: 'cancelled', at: at() });
        expect(kinds(await feed.take(1))).toEqual(['finished']);
        await feed.stop();
      } finally {
        await small.close();
      }
    });

    it('resets a follower that falls further behind than the events it keeps', async () => {
      const small = await options.makeStore({ maxEvents: 10 });
      try {
        const slow = await follow(small);
        await Promise.all(Array.from({ length: 400 }, () => small.create(newJob('build'))));
        const last = await small.lastEventId();
        await eventually(async () => {
          // Whatever it still had, it is told it missed some, and goes on from the newest event.
          const items = await slow.take(1);
          return items[0]?.type === 'reset' ? items[0] : undefined;
        }, 10_000, 'a reset');
        const after = await small.create(newJob('deploy'));
        const [next] = (await slow.take(1)) as JobEvent[];
        expect(next).toMatchObject({ type: 'created', job: { id: after.id } });
        expect(next!.id).not.toBe(last);
        await slow.stop();
      } finally {
        await small.close();
      }
    }, 30_000);

    it('delivers events that another instance of the store records', async (context) => {
      if (!options.makePeer) return context.skip();
      const peer = await options.makePeer(store());
      try {
        const feed = await follow(store());
        const job = await running(peer);
        await peer.setProgress(job.id, 70, { attempt: 1 });
        const events = (await feed.take(3)) as JobEvent[];
        await feed.stop();
        expect(events.map((e) => `${e.type} ${e.job.id} ${e.job.progress}`)).toEqual([`created ${job.id} 0`, `started ${job.id} 0`, `progress ${job.id} 70`]);
      } finally {
        await peer.close();
      }
    });

    it('ends each follower when its signal aborts, and keeps none of them', async () => {
      const job = await running();
      const controllers = Array.from({ length: 20 }, () => new AbortController());
      const followers = controllers.map(async (controller, i) => {
        const items: JobFeedItem[] = [];
        for await (const item of store().followEvents({ signal: controller.signal, ...(i % 2 ? { jobId: job.id } : {}) })) items.push(item);
        return items;
      });
      const following = async () => (await store().health()).details?.eventFollowers;
      await eventually(async () => [20, undefined].includes((await following()) as number | undefined), 5_000, '20 followers');
      await delay(50);
      await store().setProgress(job.id, 1, { attempt: 1 });
      await delay(50);
      for (const controller of controllers) controller.abort();
      const ended = await Promise.all(followers);
      expect(ended.every((items) => items[0]?.type === 'ready')).toBe(true);
      const left = await following();
      if (left !== undefined) expect(left).toBe(0);
      // An aborted signal given at the start: nothing at all.
      const aborted = new AbortController();
      aborted.abort();
      const none: JobFeedItem[] = [];
      for await (const item of store().followEvents({ signal: aborted.signal })) none.push(item);
      expect(none).toEqual([]);
    });
  });
}
