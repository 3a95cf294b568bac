/**
 * JobStore contract, concurrency groups: a claim takes a slot in each of the job's groups or
 * leaves the job queued saying why; jobs of a group start in submission order; every move out
 * of `running` frees the slots, and only the attempt that holds them can. Run by jobStoreContract.
 */
import { describe, expect, it } from 'vitest';
import type { JobGroup } from '../job-groups.js';
import type { JobEvent } from '../ports/job-events.js';
import type { JobStore } from '../ports/job-store.js';
import { newJob } from './fixtures.js';

export function jobGroupsCases(store: () => JobStore): void {
  const at = () => new Date().toISOString();
  const group = (name: string, limit = 1): JobGroup => ({ name, limit, policy: 'queue' });
  const inGroups = (...groups: JobGroup[]) => store().create({ ...newJob('deploy'), groups });
  const claim = (id: string) => store().claim(id, { at: at(), leaseMs: 30_000 });

  describe('concurrency groups', () => {
    it('starts a job that takes every slot it needs, and keeps one whose group is full queued, saying why, once', async () => {
      const first = await inGroups(group('deploy:rag'));
      const second = await inGroups(group('deploy:rag'));
      const unrelated = await inGroups(group('deploy:agent'));
      const after = await store().lastEventId();

      expect(await claim(first.id)).toMatchObject({ started: true, job: { state: 'running', attempt: 1, waitingFor: null } });
      const waiting = await claim(second.id);
      expect(waiting).toMatchObject({ started: false, job: { state: 'queued', attempt: 0, waits: 1, waitingFor: { group: 'deploy:rag', jobId: first.id } } });
      expect(Date.parse(waiting!.job.waitingFor!.since)).not.toBeNaN();
      expect((await claim(unrelated.id))?.started).toBe(true);

      // Found waiting again for the same reason: counted, but said only once.
      expect(await claim(second.id)).toMatchObject({ started: false, job: { waits: 2 } });
      expect((await store().readLogs(second.id, { from: 0 })).lines).toEqual([`[docker-builder] waiting for ${first.id} (deploy of rag)`]);
      const controller = new AbortController();
      const types: string[] = [];
      for await (const item of store().followEvents({ after, signal: controller.signal })) {
        if (item.type === 'ready') continue;
        types.push(`${item.type} ${(item as JobEvent).job.id === second.id ? 'second' : 'other'}`);
        if (types.length === 3) controller.abort();
      }
      expect(types).toEqual(['started other', 'waiting second', 'started other']);
      expect((await store().get(second.id))?.waitingFor).toMatchObject({ group: 'deploy:rag', jobId: first.id });
      expect(await store().claim(first.id, { at: at(), leaseMs: 1_000 })).toBeNull();
    });

    it('starts the jobs of a group in submission order: a newer one waits behind an older one that waits', async () => {
      const holder = await inGroups(group('deploy:rag'));
      await claim(holder.id);
      const older = await inGroups(group('deploy:rag'));
      const newer = await inGroups(group('deploy:rag'));
      expect((await claim(newer.id))?.job.waitingFor?.jobId).toBe(holder.id);

      await store().transition(holder.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
      // The slot is free, but the older job is ahead of it.
      expect(await claim(newer.id)).toMatchObject({ started: false, job: { waitingFor: { group: 'deploy:rag', jobId: older.id } } });
      expect((await claim(older.id))?.started).toBe(true);
      expect(await store().groupStates(['deploy:rag'])).toEqual([{ name: 'deploy:rag', limit: 1, policy: 'queue', holders: [older.id], waiting: [newer.id] }]);
    });

    it('runs as many as the limit at once, and a job of two groups waits for the one that is full', async () => {
      const jobs = [await inGroups(group('builds', 2)), await inGroups(group('builds', 2)), await inGroups(group('builds', 2))];
      expect((await Promise.all(jobs.map((job) => claim(job.id)))).map((claimed) => claimed?.started)).toEqual([true, true, false]);

      const envHolder = await inGroups(group('environment:production'));
      await claim(envHolder.id);
      const both = await inGroups(group('deploy:web'), group('environment:production'));
      expect(await claim(both.id)).toMatchObject({ started: false, job: { waitingFor: { group: 'environment:production', jobId: envHolder.id } } });
      // It took no slot of the group it could have had: another job of that group may start.
      expect(await store().groupStates(['deploy:web'])).toEqual([{ name: 'deploy:web', limit: 1, policy: 'queue', holders: [], waiting: [both.id] }]);
    });

    it('frees the slots when the job ends, fails or is queued again (back in its place), and only the attempt that holds them can', async () => {
      const holder = await inGroups(group('deploy:rag'));
      await claim(holder.id);
      const waiter = await inGroups(group('deploy:rag'));
      // A stale attempt frees nothing.
      expect(await store().transition(holder.id, { from: ['running'], to: 'error', at: at(), attempt: 7 })).toBeNull();
      expect((await store().groupStates(['deploy:rag']))[0]?.holders).toEqual([holder.id]);

      // Its worker was lost: queued again, ahead of the job submitted after it.
      await store().transition(holder.id, { from: ['running'], to: 'queued', at: at(), attempt: 1 });
      expect(await store().groupStates(['deploy:rag'])).toMatchObject([{ holders: [], waiting: [holder.id, waiter.id] }]);
      expect((await claim(waiter.id))?.job.waitingFor?.jobId).toBe(holder.id);
      expect((await claim(holder.id))?.job).toMatchObject({ state: 'running', attempt: 2 });
      await store().transition(holder.id, { from: ['running'], to: 'error', at: at(), attempt: 2, error: 'failed' });
      expect((await claim(waiter.id))?.started).toBe(true);
      expect(await store().groupStates()).toEqual([{ name: 'deploy:rag', limit: 1, policy: 'queue', holders: [waiter.id], waiting: [] }]);
    });

    it('lets a waiting job be cancelled without freeing what it did not hold', async () => {
      const holder = await inGroups(group('deploy:rag'));
      await claim(holder.id);
      const waiter = await inGroups(group('deploy:rag'));
      const last = await inGroups(group('deploy:rag'));
      await claim(waiter.id);
      expect(await store().transition(waiter.id, { from: ['queued'], to: 'cancelled', at: at(), error: 'Cancelled before it started.' })).toMatchObject({ waitingFor: null });
      expect(await store().groupStates(['deploy:rag'])).toMatchObject([{ holders: [holder.id], waiting: [last.id] }]);
      expect((await claim(last.id))?.job.waitingFor?.jobId).toBe(holder.id);
    });

    it('starts a job without groups at once, like any claim', async () => {
      const job = await store().create(newJob('build'));
      expect(await claim(job.id)).toMatchObject({ started: true, job: { state: 'running', groups: [] } });
      expect(await store().groupStates()).toEqual([]);
    });
  });
}
