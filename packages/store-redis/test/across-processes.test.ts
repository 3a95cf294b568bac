/**
 * The API server streams what a worker in another process writes, and the store survives
 * a Redis restart.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { StoreUnavailableError, createBuilder, type Builder } from '@docker-builder/core';
import { createScriptedRunner, eventually, newJob } from '@docker-builder/core/testing';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createBullMQJobQueue, createRedisJobStore } from '@docker-builder/store-redis';
import { startRedisServer } from '../../../test-support/redis-server.js';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { readEvents } from '../../http-express/test/harness.js';
import { startWorkerProcess, type WorkerProcess } from './fixtures/processes.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('across processes', () => {
  it('streams over SSE, through the router, the lines a worker in another process writes', async () => {
    const prefix = uniquePrefix('sse');
    const redis = inject('redisUrl');
    const builder: Builder = createBuilder({
      store: createRedisJobStore({ redis, prefix, pollIntervalMs: 1_000 }),
      queue: createBullMQJobQueue({ redis, prefix: `${prefix}bull` }),
      runners: { deploy: createScriptedRunner({ kind: 'deploy', script: [{ fail: 'ran in the API process' }] }) },
    });
    cleanups.push(() => builder.close({ deadlineMs: 100 }));
    const server = express().use('/api', createBuilderRouter(builder)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
    const worker: WorkerProcess = startWorkerProcess({ REDIS_URL: redis, STORE_PREFIX: prefix });
    cleanups.push(() => worker.stop('SIGKILL'));
    await worker.ready;

    const { id } = await builder.submitDeploy({ mappings: { sleep: 'img:300', lines: 'img:500' } });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/build/${id}/logs`;
    const { events } = await readEvents(url);
    const lines = events.filter((e) => e.event === 'message');
    expect(lines.map((e) => e.data)).toEqual([`ran on ${worker.pid}`, ...Array.from({ length: 500 }, (_, i) => `line ${i}`)]);
    expect(lines.map((e) => e.id)).toEqual(lines.map((_, i) => String(i)));
    expect(events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ state: 'done', error: null, progress: 100 }) });
  }, 30_000);

  it('reconnects after Redis restarts, with the data intact, and reports it unreachable meanwhile', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    cleanups.push(() => redis.stop());
    const store = createRedisJobStore({ redis: redis.url, prefix: uniquePrefix('restart') });
    cleanups.push(() => store.close());
    const job = await store.create(newJob('deploy'));
    await store.appendLogs(job.id, ['before the restart']);

    await redis.halt();
    await expect(store.get(job.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.health()).toMatchObject({ ok: false, message: expect.stringMatching(/^Redis is unreachable/) });

    await redis.restart();
    const back = await eventually(() => store.get(job.id).catch(() => undefined), 10_000, 'the store to reconnect');
    expect(back).toMatchObject({ id: job.id, state: 'queued' });
    expect(await store.appendLogs(job.id, ['after the restart'])).toBe(2);
    expect((await store.readLogs(job.id, { from: 0 })).lines).toEqual(['before the restart', 'after the restart']);
    expect(await store.health()).toMatchObject({ ok: true });
  }, 30_000);
});
