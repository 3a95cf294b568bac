/**
 * Cost, not speed: the Redis server's own CPU time per operation (INFO commandstats), on a
 * Redis of this test's own so nothing else is counted. Appending line 100,000 must cost about
 * what appending line 100 does, and listing the newest 50 jobs about the same with 100 or
 * 100,000 jobs. The seed's designs (rewrite the whole log, read the whole id set) would
 * differ by three orders of magnitude.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJob } from '@docker-builder/core/testing';
import type { JobStore } from '@docker-builder/core';
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

async function createJobs(store: JobStore, count: number, start: number) {
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, count - i) }, (_, k) => store.create(newJob('build', { at: new Date(start + i + k) }))),
    );
  }
}

describe('Redis store complexity', () => {
  it('appends line 100,000 at the cost of line 100', async () => {
    const store = createRedisJobStore({ redis: server.url, prefix: 'append:' });
    const job = await store.create(newJob('build'));
    await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
    const fence = { attempt: 1 };
    await store.appendLogs(job.id, Array.from({ length: 100 }, (_, i) => `line ${i}`), fence);
    const early = await serverMicrosPerCall(admin, () => store.appendLogs(job.id, ['one more line'], fence), 300);

    const batch = Array.from({ length: 1000 }, (_, i) => `a log line of a realistic length, number ${i}`);
    while ((await store.readLogs(job.id, { from: 0, limit: 0 })).total < 100_000) await store.appendLogs(job.id, batch, fence);
    const late = await serverMicrosPerCall(admin, () => store.appendLogs(job.id, ['one more line'], fence), 300);

    expect(late / early).toBeLessThan(3);
    await store.close();
  }, 60_000);

  it('lists the newest 50 jobs, filtered or not, at the same cost with 100 or 100,000 jobs', async () => {
    const small = createRedisJobStore({ redis: server.url, prefix: 'small:' });
    const large = createRedisJobStore({ redis: server.url, prefix: 'large:' });
    const start = Date.parse('2025-10-25T00:00:00Z');
    await createJobs(small, 100, start);
    await createJobs(large, 100_000, start);

    for (const query of [{ limit: 50 }, { limit: 50, kind: 'build' as const, states: ['queued' as const] }]) {
      const few = await serverMicrosPerCall(admin, () => small.list(query), 100);
      const many = await serverMicrosPerCall(admin, () => large.list(query), 100);
      expect(many / few).toBeLessThan(3);
    }
    const page = await large.list({ limit: 50 });
    expect(page.jobs).toHaveLength(50);
    expect(page.nextCursor).not.toBeNull();
    await small.close();
    await large.close();
  }, 120_000);

  it('answers a log\'s length without reading the log: the same bytes for 100 or 100,000 lines', async () => {
    const connection = new Redis(server.url);
    const store = createRedisJobStore({ redis: connection, prefix: 'length:' });
    const logOf = async (lines: number) => {
      const job = await store.create(newJob('build'));
      await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
      const batch = Array.from({ length: 1000 }, (_, i) => `a log line of a realistic length, number ${i}`);
      for (let written = 0; written < lines; written += 1000) await store.appendLogs(job.id, batch.slice(0, lines - written), { attempt: 1 });
      return job.id;
    };
    /** Bytes Redis sent this connection to answer one length query (issue 9, item 11). */
    const bytesForLength = async (id: string) => {
      const before = connection.stream.bytesRead;
      expect((await store.readLogs(id, { from: 0, limit: 0 })).lines).toEqual([]);
      return connection.stream.bytesRead - before;
    };
    const short = await logOf(100);
    const long = await logOf(100_000);
    expect((await store.readLogs(long, { from: 0, limit: 0 })).total).toBe(100_000);
    const few = await bytesForLength(short);
    const many = await bytesForLength(long);
    expect(many).toBeLessThan(few * 1.5);
    expect(many).toBeLessThan(1_000);
    await store.close();
    connection.disconnect();
  }, 60_000);
});
