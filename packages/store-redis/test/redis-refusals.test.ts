/**
 * Redis refusing a command (a key of the wrong type, out of memory) becomes a clear
 * StoreUnavailableError that says so, never a TypeError from a dropped MULTI reply
 * (issue 9, item 4).
 */
import { Redis } from 'ioredis';
import { afterAll, expect, inject, it } from 'vitest';
import { StoreUnavailableError } from '@docker-builder/core';
import { collect, newJob } from '@docker-builder/core/testing';
import { createRedisJobStore, storeKeys } from '@docker-builder/store-redis';
import { startRedisServer } from '../../../test-support/redis-server.js';
import { uniquePrefix } from '../../../test-support/prefix.js';

const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

it('reports a log key of the wrong type as such, when read and when followed', async () => {
  const prefix = uniquePrefix('wrongtype');
  const admin = new Redis(inject('redisUrl'));
  const store = createRedisJobStore({ redis: inject('redisUrl'), prefix });
  closers.push(() => store.close(), async () => admin.disconnect());
  const job = await store.create(newJob('build'));
  await admin.set(storeKeys(prefix).logs(job.id), 'not a list');
  const read = await store.readLogs(job.id, { from: 0 }).catch((error: unknown) => error);
  expect(read).toBeInstanceOf(StoreUnavailableError);
  expect((read as Error).message).toMatch(/^Redis refused a command: WRONGTYPE/);
  const followed = await collect(store.followLogs(job.id, { from: 0 })).catch((error: unknown) => error);
  expect(followed).toBeInstanceOf(StoreUnavailableError);
  expect((followed as Error).message).toMatch(/WRONGTYPE/);
});

it('reports Redis out of memory as such when a line is appended', async () => {
  // A Redis of this test's own: its memory limit must not touch the other tests.
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  const store = createRedisJobStore({ redis: server.url, prefix: 'oom:' });
  closers.push(() => store.close(), async () => admin.disconnect(), () => server.stop());
  const job = await store.create(newJob('build'));
  await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
  await admin.config('SET', 'maxmemory', '1');
  const append = await store.appendLogs(job.id, ['a line'], { attempt: 1 }).catch((error: unknown) => error);
  expect(append).toBeInstanceOf(StoreUnavailableError);
  expect((append as Error).message).toMatch(/^Redis refused a command: OOM/);
  await admin.config('SET', 'maxmemory', '0');
});
