/**
 * JobStore contract, the questions a queue page asks: search, the retries of a job, counts per
 * state and places in line. Run by jobStoreContract.
 */
import { describe, expect, it } from 'vitest';
import { JOB_STATES, type JobState } from '../job-state.js';
import type { JobEvent } from '../ports/job-events.js';
import type { JobStore } from '../ports/job-store.js';
import { buildSpec, deploySpec, newJob } from './fixtures.js';

export function jobQueryCases(store: () => JobStore): void {
  const at = () => new Date().toISOString();
  const zero = () => Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>;
  const ids = async (query: Parameters<JobStore['list']>[0]) => (await store().list(query)).jobs.map((job) => job.id);

  const deployOf = async (mappings: Record<string, string>, user: { sub: string; name?: string } | null = null) =>
    store().create({ ...newJob('deploy', { user }), kind: 'deploy', spec: deploySpec(mappings) });
  const buildOf = async (service: string, image?: string, user: { sub: string; name?: string } | null = null) =>
    store().create({ ...newJob('build', { user }), kind: 'build', spec: buildSpec({ service, ...(image ? { image } : {}) }) });

  describe('search, retries, counts and places in line', () => {
    it('finds jobs by service, image, repository, image name and user, whole words without case', async () => {
      const rag = await deployOf({ 'rag-service': 'registry.example/team/rag-image:1.2' }, { sub: 'alice', name: 'Alice Smith' });
      const agent = await deployOf({ 'agent-service': 'registry.example/team/agent:3' }, { sub: 'bob' });
      const build = await buildOf('rag-service', 'registry.example/team/rag-builds', { sub: 'carol' });

      expect(await ids({ limit: 10, search: 'rag-service' })).toEqual([build.id, rag.id]);
      expect(await ids({ limit: 10, search: 'RAG-Service ' })).toEqual([build.id, rag.id]);
      expect(await ids({ limit: 10, search: 'registry.example/team/rag-image:1.2' })).toEqual([rag.id]);
      expect(await ids({ limit: 10, search: 'registry.example/team/rag-image' })).toEqual([rag.id]);
      expect(await ids({ limit: 10, search: 'agent' })).toEqual([agent.id]);
      expect(await ids({ limit: 10, search: 'rag-builds' })).toEqual([build.id]);
      expect(await ids({ limit: 10, search: 'alice' })).toEqual([rag.id]);
      expect(await ids({ limit: 10, search: 'alice smith' })).toEqual([rag.id]);
      // Whole terms only: a part of a word is not a match.
      expect(await ids({ limit: 10, search: 'rag' })).toEqual([]);
      expect(await ids({ limit: 10, search: 'nobody' })).toEqual([]);
      expect(await ids({ limit: 10, search: 'rag-service', kind: 'build' })).toEqual([build.id]);
    });

    it('combines a search with states and pages through its matches with a cursor', async () => {
      const matching: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        const job = await deployOf(i % 2 === 0 ? { 'rag-service': `r/rag-service:${i}` } : { 'other-service': `r/other:${i}` });
        if (i % 2 === 0) matching.push(job.id);
        if (i % 4 === 0) await store().transition(job.id, { from: ['queued'], to: 'running', at: at() });
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store().list({ limit: 2, cursor, search: 'rag-service' });
        seen.push(...page.jobs.map((job) => job.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...matching].reverse());
      expect(await ids({ limit: 10, search: 'rag-service', states: ['running'] })).toEqual(matching.filter((_, i) => i % 2 === 0).reverse());
      expect(await ids({ limit: 10, search: 'rag-service', states: ['queued', 'done'] })).toEqual(matching.filter((_, i) => i % 2 === 1).reverse());
    });

    it('lists the retries of a job, newest first, and nothing for a job never retried', async () => {
      const first = await store().create(newJob('build'));
      await store().transition(first.id, { from: ['queued'], to: 'cancelled', at: at() });
      const retryA = await store().create({ ...newJob('build'), retryOf: first.id });
      const retryB = await store().create({ ...newJob('build'), retryOf: first.id });
      await store().create({ ...newJob('build'), retryOf: retryA.id });
      expect(await ids({ limit: 10, retryOf: first.id })).toEqual([retryB.id, retryA.id]);
      expect(await ids({ limit: 1, retryOf: first.id })).toEqual([retryB.id]);
      expect(await ids({ limit: 10, retryOf: retryB.id })).toEqual([]);
      expect(await ids({ limit: 10, retryOf: first.id, states: ['running'] })).toEqual([]);
    });

    it('counts jobs per state, for a kind and for a search', async () => {
      expect(await store().count({})).toEqual(zero());
      const a = await deployOf({ 'rag-service': 'r/rag-service:1' });
      const b = await deployOf({ 'rag-service': 'r/rag-service:2' });
      await deployOf({ 'agent-service': 'r/agent-service:1' });
      await buildOf('rag-service');
      await store().transition(a.id, { from: ['queued'], to: 'running', at: at() });
      await store().transition(b.id, { from: ['queued'], to: 'running', at: at() });
      await store().transition(b.id, { from: ['running'], to: 'error', at: at(), error: 'failed' });

      expect(await store().count({})).toEqual({ ...zero(), queued: 2, running: 1, error: 1 });
      expect(await store().count({ kind: 'deploy' })).toEqual({ ...zero(), queued: 1, running: 1, error: 1 });
      expect(await store().count({ search: 'rag-service' })).toEqual({ ...zero(), queued: 1, running: 1, error: 1 });
      expect(await store().count({ search: 'rag-service', kind: 'deploy' })).toEqual({ ...zero(), running: 1, error: 1 });
      expect(await store().count({ search: 'nobody' })).toEqual(zero());
    });

    it('gives queued jobs their place in line, in submission order across kinds, and none to others', async () => {
      const first = await store().create(newJob('build'));
      const second = await store().create(newJob('deploy'));
      const third = await store().create(newJob('build'));
      const fourth = await store().create(newJob('deploy'));
      const all = [first.id, second.id, third.id, fourth.id];
      expect(Object.fromEntries(await store().placesInLine(all))).toEqual({ [first.id]: 1, [second.id]: 2, [third.id]: 3, [fourth.id]: 4 });

      await store().transition(first.id, { from: ['queued'], to: 'running', at: at() });
      await store().transition(third.id, { from: ['queued'], to: 'cancelled', at: at() });
      expect(Object.fromEntries(await store().placesInLine(all))).toEqual({ [second.id]: 1, [fourth.id]: 2 });
      expect(Object.fromEntries(await store().placesInLine([fourth.id, 'not-a-job']))).toEqual({ [fourth.id]: 2 });
      expect((await store().placesInLine([])).size).toBe(0);
    });

    it('says in the created and requeued events where the job joined the line', async () => {
      const first = await store().create(newJob('build'));
      await store().transition(first.id, { from: ['queued'], to: 'running', at: at() });
      const after = await store().lastEventId();
      const second = await store().create(newJob('deploy'));
      const third = await store().create(newJob('build'));
      // Its worker was lost: back in line, ahead of the jobs submitted after it.
      await store().transition(first.id, { from: ['running'], to: 'queued', at: at() });
      const controller = new AbortController();
      const joined: Array<[string, string, number | undefined]> = [];
      for await (const item of store().followEvents({ after, signal: controller.signal })) {
        if (item.type !== 'created' && item.type !== 'requeued') continue;
        joined.push([item.type, item.job.id, (item as JobEvent).placeInLine]);
        if (joined.length === 3) controller.abort();
      }
      expect(joined).toEqual([
        ['created', second.id, 1],
        ['created', third.id, 2],
        ['requeued', first.id, 1],
      ]);
    });
  });
}
