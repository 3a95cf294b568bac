/**
 * One reader per job feeds every follower of that job in a store instance: followers that start
 * anywhere get the same complete log, Redis is read once per change rather than once per
 * follower, a follower that stops reading stalls no one and pins a bounded number of lines, and
 * the reader goes when its last follower does.
 */
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { StoreUnavailableError, type JobStore, type LogEntry } from '@docker-builder/core';
import { collect, delay, eventually, newJob } from '@docker-builder/core/testing';
import { createRedisJobStore, storeKeys } from '@docker-builder/store-redis';
import { createJobNotifications } from '../src/job-notifications.js';
import { createLogFollowHub, type LogFollowHub } from '../src/log-follow-hub.js';
import { startRedisServer } from '../../../test-support/redis-server.js';
import { uniquePrefix } from '../../../test-support/prefix.js';

const closers: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const at = () => new Date().toISOString();
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => `line ${from + i}`);
const entries = (from: number, to: number): LogEntry[] =>
  Array.from({ length: to - from }, (_, i) => ({ index: from + i, line: `line ${from + i}`, at: expect.any(Number) as number }));

/** Lines [from, to) as the store reads them, each with its run's time: what every follower must be given. */
async function logOf(store: JobStore, id: string, from: number, to: number): Promise<LogEntry[]> {
  const { lines: read, times } = await store.readLogs(id, { from, limit: to - from });
  let run = -1;
  return read.map((line, i) => {
    while (run + 1 < times.length && times[run + 1]!.from <= from + i) run += 1;
    return { index: from + i, line, at: times[run]!.at };
  });
}

async function runningJob(writer: JobStore, backlog = 0) {
  const job = await writer.create(newJob('build'));
  await writer.transition(job.id, { from: ['queued'], to: 'running', at: at() });
  if (backlog > 0) await writer.appendLogs(job.id, lines(0, backlog), { attempt: 1 });
  return job.id;
}

/** A hub of its own over a store's Redis, so a test can look at what it holds. */
type HubSizes = { windowLines?: number; pageLines?: number; turnLines?: number };

function hubOver(url: string, prefix: string, options: HubSizes = {}): LogFollowHub {
  return hubWithConnection(url, prefix, options).hub;
}

function hubWithConnection(url: string, prefix: string, options: HubSizes = {}): { hub: LogFollowHub; redis: Redis } {
  const redis = new Redis(url);
  const notifications = createJobNotifications(() => new Redis(url));
  const hub = createLogFollowHub({ redis, keys: storeKeys(prefix), notifications, guard: (work) => work(), pollMs: 60_000, outageMs: 1_000, ...options });
  closers.push(async () => {
    hub.close();
    await notifications.close();
    redis.disconnect();
  });
  return { hub, redis };
}

describe('followers of one job share one reader', () => {
  it('gives 100 followers that start at different places the same complete log, reading Redis once per change, not per follower', async () => {
    // A Redis of this test's own, so its command counts are this test's alone.
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const prefix = uniquePrefix('hub');
    // The followers' store and the writer's are separate instances, as an API server and a worker are.
    const reader = createRedisJobStore({ redis: server.url, prefix, pollIntervalMs: 60_000 });
    const writer = createRedisJobStore({ redis: server.url, prefix });
    closers.push(() => reader.close(), () => writer.close());
    const id = await runningJob(writer, 500);
    const admin = new Redis(server.url);
    closers.push(() => admin.disconnect());
    const lrangeCalls = async () => Number(/cmdstat_lrange:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

    const followers: Array<{ from: number; got: Promise<LogEntry[]> }> = [];
    for (let i = 0; i < 100; i += 1) {
      const from = [0, 250, 499, 500, 510][i % 5]!;
      followers.push({ from, got: collect(reader.followLogs(id, { from })) });
    }
    const before = await lrangeCalls();
    const appends = 60;
    for (let b = 0; b < appends; b += 1) {
      await writer.appendLogs(id, lines(500 + b * 10, 10), { attempt: 1 });
      await delay(2);
    }
    await writer.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
    const total = 500 + appends * 10;
    for (const { from, got } of followers) expect(await got).toEqual(await logOf(writer, id, from, total));
    // Each follower on its own would read at least once per append: 6,000 reads. Shared, the
    // reader reads about once per append, and a follower that started behind reads its way up.
    expect(await lrangeCalls() - before).toBeLessThan(appends * 2 + 200);
  });

  it('lets the others go on while one follower stops reading, holding no more than its window for it', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('hub-slow');
    const writer = createRedisJobStore({ redis: url, prefix });
    closers.push(() => writer.close());
    const id = await runningJob(writer);
    const hub = hubOver(url, prefix, { windowLines: 200, pageLines: 100 });

    const stalled = hub.follow(id, 0, undefined);
    const others = Array.from({ length: 10 }, (_, i) => collect(hub.follow(id, i * 10, undefined)));
    await writer.appendLogs(id, lines(0, 5), { attempt: 1 });
    expect((await stalled.next()).value).toEqual({ index: 0, line: 'line 0', at: expect.any(Number) });
    // The stalled follower takes nothing more while 5,000 lines go by.
    for (let b = 0; b < 50; b += 1) await writer.appendLogs(id, lines(5 + b * 100, 100), { attempt: 1 });
    await writer.appendLogs(id, lines(5005, 5), { attempt: 1 });
    await writer.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
    const got = await Promise.all(others);
    const log = await logOf(writer, id, 0, 5010);
    got.forEach((entriesOfOne, i) => expect(entriesOfOne).toEqual(log.slice(i * 10)));
    // Its reader kept the window (and one read), not the 5,000 lines the stalled follower lacks.
    expect(hub.usage().heldEntries).toBeLessThanOrEqual(300);

    // When it reads again, it reads what it missed from Redis itself, then ends with the rest.
    const rest: LogEntry[] = [];
    for await (const entry of { [Symbol.asyncIterator]: () => stalled }) rest.push(entry);
    // With the times of the lines it read itself, too.
    expect(rest).toEqual(log.slice(1));
    expect(hub.usage()).toEqual({ readers: 0, heldEntries: 0 });
  });

  it('gives followers from the start every line when the first follower asked for a line past the end', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('hub-ahead');
    const store = createRedisJobStore({ redis: url, prefix });
    closers.push(() => store.close());
    const id = await runningJob(store, 3);
    // A stale Last-Event-ID: the first follower, so its position is where the shared reader starts.
    const ahead = collect(store.followLogs(id, { from: 10_000 }));
    await delay(20);
    const got: LogEntry[][] = [[], []];
    const fromStart = [0, 2].map(async (from, i) => {
      for await (const entry of store.followLogs(id, { from })) got[i]!.push(entry);
    });
    // They have what there is; what comes next must still reach them.
    await eventually(() => got[0]!.length === 3 && got[1]!.length === 1, 5_000, 'the followers to read the log so far');
    await store.appendLogs(id, lines(3, 5), { attempt: 1 });
    await store.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
    await Promise.all(fromStart);
    expect(await ahead).toEqual([]);
    expect(got).toEqual([entries(0, 8), entries(2, 8)]);
  });

  it('reads a long log no further ahead than its followers take it', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('hub-pace');
    const writer = createRedisJobStore({ redis: url, prefix });
    closers.push(() => writer.close());
    const id = await runningJob(writer, 5_000);
    const { hub, redis } = hubWithConnection(url, prefix, { windowLines: 200, pageLines: 100 });
    const reads = vi.spyOn(redis, 'multi');
    const slow = hub.follow(id, 0, undefined);
    expect((await slow.next()).value).toEqual({ index: 0, line: 'line 0', at: expect.any(Number) });
    // Nobody asks for more: given time, the reader still has not read the other 49 pages.
    await delay(200);
    expect(reads.mock.calls.length).toBeLessThanOrEqual(3);
    await slow.return(undefined);
  });

  it('lets the event loop turn while followers hand on a long log, rather than all of it in one go', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('hub-turns');
    const writer = createRedisJobStore({ redis: url, prefix });
    closers.push(() => writer.close());
    const id = await runningJob(writer, 1_000);
    const hub = hubOver(url, prefix, { turnLines: 100 });
    let delivered = 0;
    let deliveredAtFirstTurn: number | undefined;
    const followers = Array.from({ length: 10 }, async () => {
      for await (const entry of hub.follow(id, 0, undefined)) {
        delivered += 1;
        if (delivered === 1) setImmediate(() => (deliveredAtFirstTurn = delivered));
        if (entry.index === 999) return;
      }
    });
    await Promise.all(followers);
    expect(delivered).toBe(10_000);
    // All ten were woken by one read of 1,000 lines; each hands on 100 of them per turn.
    expect(deliveredAtFirstTurn).toBeLessThanOrEqual(10 * 100);
  });

  it('stops the reader and its subscription when the last follower leaves', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('hub-leave');
    const writer = createRedisJobStore({ redis: url, prefix });
    closers.push(() => writer.close());
    const id = await runningJob(writer, 3);
    const hub = hubOver(url, prefix);
    const admin = new Redis(url);
    closers.push(() => admin.disconnect());
    const subscribers = async () => ((await admin.pubsub('NUMSUB', storeKeys(prefix).events(id))) as [string, number])[1];

    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const following = controllers.map((controller) => collect(hub.follow(id, 0, controller.signal)));
    await eventually(async () => (await subscribers()) === 1, 5_000, 'the reader to subscribe');
    expect(hub.usage().readers).toBe(1);
    for (const controller of controllers.slice(0, 4)) controller.abort();
    for (const got of await Promise.all(following.slice(0, 4))) expect(got).toEqual(entries(0, 3));
    expect(hub.usage().readers).toBe(1);
    controllers[4]!.abort();
    expect(await following[4]).toEqual(entries(0, 3));
    await eventually(() => hub.usage().readers === 0, 5_000, 'the reader to stop');
    await eventually(async () => (await subscribers()) === 0, 5_000, 'the channel to be unsubscribed');

    // A follower that comes afterwards gets a reader of its own, which ends with the job.
    const later = collect(hub.follow(id, 1, undefined));
    await writer.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });
    expect(await later).toEqual(entries(1, 3));
  });

  it('fails every follower at once when Redis refuses the reader, rather than trying again', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('hub-refused');
    const store = createRedisJobStore({ redis: url, prefix, pollIntervalMs: 50, followOutageMs: 60_000 });
    closers.push(() => store.close());
    const id = await runningJob(store, 2);
    const admin = new Redis(url);
    closers.push(() => admin.disconnect());
    const followers = Array.from({ length: 3 }, () => collect(store.followLogs(id, { from: 0 })).catch((error: unknown) => error));
    await delay(50);
    await admin.del(storeKeys(prefix).logs(id));
    await admin.set(storeKeys(prefix).logs(id), 'not a list');
    for (const failed of await Promise.all(followers)) {
      expect(failed).toBeInstanceOf(StoreUnavailableError);
      expect((failed as Error).message).toMatch(/WRONGTYPE/);
    }
  });
});
