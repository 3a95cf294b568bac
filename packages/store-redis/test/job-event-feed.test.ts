/**
 * The Redis store's event feed beyond the contract: one blocking reader per store instance,
 * whatever the number of followers, gone with the last of them; the stream as redis-cli shows
 * it, trimmed; a reader whose connection is killed picks up where it was; jobs stored before
 * events named their subject.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { isFeedMark, type JobEvent, type JobFeedItem } from '@docker-builder/core';
import { eventually, newJob } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A store on a connection of its own name, so CLIENT LIST tells its connections from its neighbours'. */
function namedStore(options: { maxEvents?: number } = {}) {
  const connectionName = `dbt-feed-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const redis = new Redis(inject('redisUrl'), { connectionName, maxRetriesPerRequest: 2 });
  const store = createRedisJobStore({ redis, prefix: uniquePrefix('feed'), pollIntervalMs: 200, ...options });
  const admin = new Redis(inject('redisUrl'));
  cleanup.push(() => admin.quit(), () => redis.quit(), () => store.close());
  const clients = async () =>
    ((await admin.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(` name=${connectionName} `))
      .map((line) => ({ id: /^id=(\d+)/.exec(line)![1]!, command: / cmd=(\S+)/.exec(line)?.[1] }));
  return { store, redis, admin, clients };
}

/** Starts following; resolves once its mark has come, so it is certainly listening. */
async function following(store: ReturnType<typeof namedStore>['store'], options: { jobId?: string } = {}) {
  const controller = new AbortController();
  const items: JobFeedItem[] = [];
  let marked!: () => void;
  const ready = new Promise<void>((resolve) => (marked = resolve));
  const done = (async () => {
    for await (const item of store.followEvents({ ...options, signal: controller.signal })) {
      items.push(item);
      if (isFeedMark(item)) marked();
    }
  })();
  await ready;
  return { items, events: () => items.filter((item): item is JobEvent => !isFeedMark(item)), stop: async () => (controller.abort(), await done) };
}

describe('the Redis event feed', () => {
  it('reads the stream once per store, for any number of followers, and closes that connection when the last one leaves', async () => {
    const { store, clients } = namedStore();
    const job = await store.create(newJob('build'));
    const idle = (await clients()).length;
    const followers = await Promise.all(Array.from({ length: 60 }, (_, i) => following(store, i % 3 === 0 ? { jobId: job.id } : {})));
    expect((await clients()).length).toBe(idle + 1);
    await eventually(async () => (await clients()).some((client) => client.command === 'xread'), 5_000, 'the blocking read');
    await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
    await eventually(() => followers.every((f) => f.events().length === 1), 5_000, 'every follower to see the start');
    expect((await clients()).filter((client) => client.command === 'xread')).toHaveLength(1);
    await Promise.all(followers.map((f) => f.stop()));
    expect((await store.health()).details).toMatchObject({ eventFollowers: 0 });
    await eventually(async () => (await clients()).length === idle, 5_000, `connections back to ${idle}`);
  });

  it('keeps the stream readable with redis-cli, and about as long as asked', async () => {
    const { store, admin } = namedStore({ maxEvents: 100 });
    const job = await store.create(newJob('build', { user: { sub: 'alice' } }));
    const [id, fields] = ((await admin.xrange(`${store.prefix}jobs:events`, '-', '+')) as Array<[string, string[]]>)[0]!;
    expect(id).toMatch(/^\d+-\d+$/);
    const entry = Object.fromEntries(fields.flatMap((value, i, all) => (i % 2 ? [] : [[value, all[i + 1]]])));
    expect(entry).toMatchObject({ type: 'created', job: job.id, kind: 'build', state: 'queued', progress: '0', logs: '0', user: '{"sub":"alice"}' });
    expect(JSON.parse(entry.subject!)).toEqual({ service: 'rag-service', image: null, tags: ['20251025-111006'] });
    await Promise.all(Array.from({ length: 1_000 }, () => store.create(newJob('build'))));
    const length = await admin.xlen(`${store.prefix}jobs:events`);
    // Trimming is approximate (a node of entries at a time), never below what was asked.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(400);
  });

  it('picks up where it was when its connection is killed, missing nothing', async () => {
    const { store, admin, clients } = namedStore();
    const job = await store.create(newJob('build'));
    await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
    const follower = await following(store);
    for (let percent = 1; percent <= 5; percent += 1) await store.setProgress(job.id, percent, { attempt: 1 });
    await eventually(() => follower.events().length === 5, 5_000, 'the first five events');
    const reader = await eventually(async () => (await clients()).find((client) => client.command === 'xread'), 5_000, 'the reader');
    await admin.client('KILL', 'ID', reader.id);
    for (let percent = 6; percent <= 10; percent += 1) await store.setProgress(job.id, percent, { attempt: 1 });
    await eventually(() => follower.events().length === 10, 10_000, 'the five events after the kill');
    await follower.stop();
    expect(follower.events().map((event) => event.job.progress)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(follower.items.filter((item) => item.type === 'reset')).toEqual([]);
  });

  it('names the subject of a job stored before jobs kept one, from its spec', async () => {
    const { store, admin } = namedStore();
    const job = await store.create(newJob('deploy'));
    await admin.hdel(`${store.prefix}job:${job.id}`, 'subject');
    const follower = await following(store, { jobId: job.id });
    expect(follower.items[0]).toMatchObject({ type: 'ready', job: { services: ['rag-service', 'neuroboss-service', 'agent-service'] } });
    await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
    await eventually(() => follower.events().length === 1, 5_000, 'the start');
    await follower.stop();
    expect(follower.events()[0]!.job).toMatchObject({ kind: 'deploy', services: ['rag-service', 'neuroboss-service', 'agent-service'] });
  });
});
