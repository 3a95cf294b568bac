/** What only the Redis store has: retention of finished jobs, and the eviction-policy warning. */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { eventually, newJob } from '@docker-builder/core/testing';
import { createRedisJobStore, evictionPolicyWarning, storeKeys } from '@docker-builder/store-redis';
import { startRedisServer } from '../../../test-support/redis-server.js';
import { uniquePrefix } from '../../../test-support/prefix.js';

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

describe('Redis store options', () => {
  it('expires a finished job, its log and its deploy metadata after the retention time, and lists past it', async () => {
    const store = createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('retention'), retentionSeconds: 1 });
    closers.push(() => store.close());
    const kept = await store.create(newJob('deploy'));
    const finished = await store.create(newJob('deploy'));
    await store.transition(finished.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
    await store.appendLogs(finished.id, ['a line'], { attempt: 1 });
    await store.transition(finished.id, { from: ['running'], to: 'done', at: new Date().toISOString(), attempt: 1 });
    expect((await store.list({ limit: 10 })).jobs.map((j) => j.id)).toEqual([finished.id, kept.id]);
    const keys = storeKeys(store.prefix);
    expect(await store.redis.exists(keys.logs(finished.id), keys.logTimes(finished.id))).toBe(2);

    await eventually(async () => (await store.get(finished.id)) === null, 5_000, 'the finished job to expire');
    expect(await store.getDeployMetadata(finished.id)).toBeNull();
    expect(await store.redis.exists(keys.logs(finished.id), keys.logTimes(finished.id))).toBe(0);
    expect((await store.list({ limit: 10 })).jobs.map((j) => j.id)).toEqual([kept.id]);
    expect((await store.list({ limit: 10, states: ['done'] })).jobs).toEqual([]);
    expect(await store.get(kept.id)).toMatchObject({ state: 'queued' });
  });

  it('warns when Redis may evict keys, and not when it may not', async () => {
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const redis = new Redis(server.url);
    closers.push(async () => redis.disconnect());
    expect(await evictionPolicyWarning(redis)).toBeNull();
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    expect(await evictionPolicyWarning(redis)).toBe(
      'Redis maxmemory-policy is "allkeys-lru": under memory pressure Redis may evict queued jobs. Set it to "noeviction".',
    );
    const store = createRedisJobStore({ redis });
    expect((await store.health()).message).toContain('maxmemory-policy is "allkeys-lru"');
  });
});
