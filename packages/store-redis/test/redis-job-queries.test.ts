/**
 * What only the Redis store's queries have to prove: jobs removed by retention leave every set
 * (so counts and searches never see them), a job's retries set lives as long as the job, and the
 * queue page's questions cost the same however long the history is (Redis's own CPU time per
 * call, INFO commandstats, on a Redis of this test's own).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec, deploySpec, eventually, newJob } from '@docker-builder/core/testing';
import { JOB_STATES, type JobStore } from '@docker-builder/core';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { serverMicrosPerCall } from './server-cost.js';
import { startRedisServer, type RedisServer } from '../../../test-support/redis-server.js';

let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

const at = () => new Date().toISOString();
const zero = () => Object.fromEntries(JOB_STATES.map((state) => [state, 0]));
const deployOf = (store: JobStore, service: string, when = new Date()) =>
  store.create({ ...newJob('deploy', { at: when }), kind: 'deploy', spec: deploySpec({ [service]: `registry.example/team/${service}:1` }) });

describe('Redis store queries', () => {
  it('forgets a job removed by retention in its counts, its searches and its sets, and a retries set expires with its job', async () => {
    const store = createRedisJobStore({ redis: server.url, prefix: 'retention:', retentionSeconds: 1 });
    const kept = await deployOf(store, 'rag-service');
    const finished = await deployOf(store, 'rag-service');
    await store.transition(finished.id, { from: ['queued'], to: 'running', at: at() });
    await store.transition(finished.id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
    const retry = await store.create({ ...newJob('deploy'), retryOf: finished.id });
    // The retry deploys the seed's services, rag-service among them.
    expect(await store.count({ search: 'rag-service' })).toEqual({ ...zero(), queued: 2, done: 1 });
    expect((await store.list({ limit: 10, retryOf: finished.id })).jobs.map((job) => job.id)).toEqual([retry.id]);
    const retriesTtl = await admin.pttl(`retention:job:${finished.id}:retries`);
    expect(retriesTtl).toBeGreaterThan(0);
    expect(retriesTtl).toBeLessThanOrEqual(1_000);

    await eventually(async () => (await store.get(finished.id)) === null, 5_000, 'the finished job to expire');
    // Counted before anything listed it: the sweep, not a walk, takes it out.
    expect(await store.count({})).toEqual({ ...zero(), queued: 2 });
    expect(await store.count({ search: 'rag-service' })).toEqual({ ...zero(), queued: 2 });
    expect((await store.list({ limit: 10, search: 'rag-service' })).jobs.map((job) => job.id)).toEqual([retry.id, kept.id]);
    for (const key of ['retention:jobs:term:rag-service', 'retention:jobs:kind:deploy:state:done', 'retention:jobs:ids']) {
      expect(await admin.zscore(key, finished.id)).toBeNull();
    }
    expect(await admin.exists(`retention:job:${finished.id}:retries`, 'retention:jobs:expiring')).toBe(0);
    expect(await admin.hlen('retention:jobs:expiring:indexes')).toBe(0);
    await store.close();
  }, 30_000);

  it('answers counts, a search and places in line at the same cost with 100 or 20,000 other jobs', async () => {
    const small = createRedisJobStore({ redis: server.url, prefix: 'few:' });
    const large = createRedisJobStore({ redis: server.url, prefix: 'many:' });
    const start = Date.parse('2025-10-25T00:00:00Z');
    const fill = async (store: JobStore, count: number) => {
      // The jobs asked about: a few of one service at the head of the line, submitted first.
      const head = [];
      for (let i = 0; i < 5; i += 1) head.push(await deployOf(store, 'rag-service', new Date(start - 10_000 + i)));
      for (let i = 0; i < count; i += 1000) {
        await Promise.all(
          Array.from({ length: Math.min(1000, count - i) }, (_, k) =>
            store.create({ ...newJob('build', { at: new Date(start + i + k) }), kind: 'build', spec: buildSpec({ service: `service-${(i + k) % 500}` }) }),
          ),
        );
      }
      return head.map((job) => job.id);
    };
    const fewIds = await fill(small, 100);
    const manyIds = await fill(large, 20_000);

    const cost = async (work: (store: JobStore, ids: string[]) => Promise<unknown>) => {
      const few = await serverMicrosPerCall(admin, () => work(small, fewIds), 50);
      const many = await serverMicrosPerCall(admin, () => work(large, manyIds), 50);
      return many / few;
    };
    expect(await cost((store) => store.count({}))).toBeLessThan(3);
    expect(await cost((store) => store.count({ search: 'rag-service' }))).toBeLessThan(3);
    expect(await cost((store) => store.list({ limit: 50, search: 'rag-service' }))).toBeLessThan(3);
    expect(await cost((store, ids) => store.placesInLine(ids))).toBeLessThan(3);
    expect(Object.fromEntries(await large.placesInLine(manyIds))).toEqual(Object.fromEntries(manyIds.map((id, i) => [id, i + 1])));
    expect(await large.count({ search: 'rag-service' })).toEqual({ ...zero(), queued: 5 });
    await small.close();
    await large.close();
  }, 120_000);
});
