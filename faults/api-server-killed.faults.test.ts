/**
 * The API server SIGKILLed while its in-process fallback runs a job: nobody else knew the job
 * was there, yet once its lease runs out a worker's reaper ends it, or queues it again for a
 * worker when the retry policy allows.
 */
import { once } from 'node:events';
import { afterEach, expect, inject, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { startWorkerProcess, type WorkerProcess } from '../packages/store-redis/test/fixtures/processes.js';
import { runFromSource } from '../test-support/from-source.js';
import { uniquePrefix } from '../test-support/prefix.js';

const fixture = new URL('./fixtures/fallback-api.ts', import.meta.url).pathname;
const workers: WorkerProcess[] = [];
const builders: Builder[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
  await Promise.all(builders.splice(0).map((builder) => builder.close({ deadlineMs: 100 })));
});

async function killApiDuringFallbackJob(redis: string, prefix: string): Promise<{ id: string; apiPid: number }> {
  const api = runFromSource(fixture, { env: { REDIS_URL: redis, STORE_PREFIX: prefix, LEASE_MS: '1000' } });
  const [chunk] = (await once(api.stdout, 'data')) as [Buffer];
  const { submitted, enqueued } = JSON.parse(chunk.toString().split('\n')[0]!) as { submitted: string; enqueued: boolean };
  expect(enqueued).toBe(false);
  const observer = createRedisJobStore({ redis, prefix });
  await eventually(async () => (await observer.readLogs(submitted, { from: 0 })).lines.includes(`ran in the API process ${api.pid}`), 10_000, 'the fallback to run the job');
  await observer.close();
  const exited = once(api, 'exit');
  api.kill('SIGKILL');
  await exited;
  return { id: submitted, apiPid: api.pid! };
}

it.each([
  { retryLost: '0', ends: 'error' },
  { retryLost: '1', ends: 'done' },
])('after the API server is SIGKILLed mid-job, a worker ends the job ($ends with RETRY_LOST=$retryLost)', async ({ retryLost, ends }) => {
  const redis = inject('redisUrl');
  const prefix = uniquePrefix('api-killed');
  const { id, apiPid } = await killApiDuringFallbackJob(redis, prefix);
  const worker = startWorkerProcess({ REDIS_URL: redis, STORE_PREFIX: prefix, LEASE_MS: '1000', REAP_MS: '100', RETRY_LOST: retryLost });
  workers.push(worker);
  await worker.ready;
  const reader = createBuilder({ store: createRedisJobStore({ redis, prefix }), reapIntervalMs: false });
  builders.push(reader);
  const job = await jobEnded(reader, id, 15_000);
  expect(job.state).toBe(ends);
  const { lines } = await reader.readLogs(id);
  expect(lines[0]).toBe(`ran in the API process ${apiPid}`);
  expect(lines[1]).toMatch(/^\[docker-builder\] (T|t)he worker running attempt 1 was lost: it stopped renewing the job's lease/);
  if (ends === 'done') expect(lines.slice(2)).toEqual([`ran on ${worker.pid}`]);
}, 40_000);
