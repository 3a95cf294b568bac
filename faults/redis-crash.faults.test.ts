/**
 * Redis killed with SIGKILL (AOF, `appendfsync everysec`) while jobs run on two workers, then
 * restarted. What may be lost is at most the last second of acknowledged writes (the README
 * says so); what must hold: every job accepted before that second still exists, every job
 * ends, none is left queued or running, and every log is whole or says what may be missing.
 */
import { afterEach, expect, it } from 'vitest';
import { createBuilder, isTerminal, type Builder } from '@docker-builder/core';
import { createScriptedRunner, delay, eventually } from '@docker-builder/core/testing';
import { createBullMQJobQueue, createRedisJobStore } from '@docker-builder/store-redis';
import { startWorkerProcess, type WorkerProcess } from '../packages/store-redis/test/fixtures/processes.js';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';

const workers: WorkerProcess[] = [];
let builder: Builder | undefined;
let server: RedisServer | undefined;
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
  await builder?.close({ deadlineMs: 100 });
  await server?.stop();
});

it('loses no job accepted before the last second, and leaves none stuck, when Redis is killed mid-run', async () => {
  server = await startRedisServer({ appendOnly: true });
  const prefix = 'crash:';
  builder = createBuilder({
    store: createRedisJobStore({ redis: server.url, prefix, pollIntervalMs: 200 }),
    queue: createBullMQJobQueue({ redis: server.url, prefix: `${prefix}bull` }),
    // Submitting needs a deploy runner; with no fallback, this one never runs.
    runners: { deploy: createScriptedRunner({ kind: 'deploy', script: [{ fail: 'ran in the API process' }] }) },
    reapIntervalMs: false,
    fallback: false,
    // Every job maps the same fixture services (`lines`, `sleep`): with groups they would run one
    // at a time, by design. This is about what survives a crash, with many jobs in flight.
    groups: { defaultGroups: false },
  });
  const settings = { REDIS_URL: server.url, STORE_PREFIX: prefix, CONCURRENCY: '3', LEASE_MS: '5000', REAP_MS: '200', RETRY_LOST: '1' };
  for (let i = 0; i < 2; i += 1) workers.push(startWorkerProcess(settings));
  await Promise.all(workers.map((worker) => worker.ready));

  const ids: string[] = [];
  for (let i = 0; i < 12; i += 1) ids.push((await builder.submitDeploy({ mappings: { lines: 'img:5', sleep: 'img:2500' } })).id);
  await eventually(async () => (await builder!.list({ limit: 20, states: ['running'] })).jobs.length >= 4, 10_000, 'jobs to be running');
  // Past the last fsync of every acknowledged write so far: these must all survive.
  await delay(1_500);
  await server.crash();
  await delay(1_000);
  await server.restart();

  const jobs = await eventually(async () => {
    const all = await Promise.all(ids.map((id) => builder!.get(id).catch(() => null)));
    return all.every((job) => job && isTerminal(job.state)) ? all : undefined;
  }, 45_000, 'every job to end after the restart');
  for (const job of jobs) {
    const { lines } = await builder.readLogs(job!.id);
    const complete = lines.includes('line 4');
    const marked = lines.some((line) => /was lost|could not be stored|may be missing|Aborted/.test(line));
    expect(complete || marked, `job ${job!.id} (${job!.state}):\n${lines.join('\n')}`).toBe(true);
  }
  expect((await builder.list({ limit: 50, states: ['queued', 'running'] })).jobs).toEqual([]);
}, 90_000);
