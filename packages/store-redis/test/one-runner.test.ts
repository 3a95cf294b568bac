/**
 * A job has exactly one runner at a time, whatever the queue answered (issue 9, item 5):
 * when BullMQ stored a job but its answer was lost, the API process runs the job through its
 * fallback, and the worker that BullMQ also delivers it to must leave it alone.
 */
import { afterEach, expect, inject, it } from 'vitest';
import { createBuilder, type Builder, type JobQueue } from '@docker-builder/core';
import { createScriptedRunner, delay, jobEnded } from '@docker-builder/core/testing';
import { createBullMQJobQueue, createRedisJobStore, createRedisWorker, type RedisWorker } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

it('runs a job once when the queue stored it but answered with an error', async () => {
  const redis = inject('redisUrl');
  const prefix = uniquePrefix('one-runner');
  const bullmq = createBullMQJobQueue({ redis, prefix: `${prefix}bull` });
  // A fake on purpose: Redis cannot be made to apply an ADD and then lose its reply on demand.
  const answerLost: JobQueue = {
    ...bullmq,
    async enqueue(ref) {
      await bullmq.enqueue(ref);
      return { accepted: false, reason: 'Redis queue unavailable: connection reset' };
    },
  };
  const deploy = createScriptedRunner({ kind: 'deploy', script: [{ log: `ran` }, { sleep: 1_500 }] });
  const api: Builder = createBuilder({ store: createRedisJobStore({ redis, prefix }), queue: answerLost, runners: { deploy }, reapIntervalMs: false });
  const workerBuilder = createBuilder({ store: createRedisJobStore({ redis, prefix }), runners: { deploy }, reapIntervalMs: false });
  const worker: RedisWorker = createRedisWorker({ builder: workerBuilder, redis, prefix: `${prefix}bull` });
  closers.push(() => worker.close({ deadlineMs: 1_000 }), () => api.close({ deadlineMs: 1_000 }));

  const { id, enqueued } = await api.submitDeploy({ mappings: { web: 'img:1' } });
  expect(enqueued).toBe(false);
  const job = await jobEnded(api, id, 10_000);
  await delay(500);
  expect(job).toMatchObject({ state: 'done', attempt: 1 });
  expect(deploy.runs).toHaveLength(1);
  expect((await api.readLogs(id)).lines).toEqual(['ran']);
});
