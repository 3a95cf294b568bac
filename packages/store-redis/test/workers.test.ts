/**
 * Real worker processes against a real Redis: every job runs once, a killed worker's job
 * does not stay running, a paused worker's stale attempt is fenced, a worker that only lost
 * BullMQ's lock keeps its job, cancel crosses processes, and SIGTERM drains within one deadline.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createBuilder, type Builder, type BuilderOptions, type Job } from '@docker-builder/core';
import { createScriptedRunner, delay, eventually, jobEnded } from '@docker-builder/core/testing';
import { createBullMQJobQueue, createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { startWorkerProcess, type WorkerProcess } from './fixtures/processes.js';

const workers: WorkerProcess[] = [];
const builders: Builder[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
  await Promise.all(builders.splice(0).map((b) => b.close({ deadlineMs: 100 })));
});

/** The API side: Redis store + BullMQ queue, and a deploy runner that must never run here. */
function apiSide(options: Pick<BuilderOptions, 'retryLostJobs' | 'groups'> = {}) {
  const prefix = uniquePrefix('workers');
  const redis = inject('redisUrl');
  const builder = createBuilder({
    store: createRedisJobStore({ redis, prefix, pollIntervalMs: 100 }),
    queue: createBullMQJobQueue({ redis, prefix: `${prefix}bull` }),
    runners: { deploy: createScriptedRunner({ kind: 'deploy', script: [{ fail: 'ran in the API process, not in a worker' }] }) },
    // Only the workers reap here, so what a test sees is the workers' doing.
    reapIntervalMs: false,
    ...options,
  });
  builders.push(builder);
  const spawnWorker = async (env: Record<string, string> = {}) => {
    const worker = startWorkerProcess({ REDIS_URL: redis, STORE_PREFIX: prefix, ...env });
    workers.push(worker);
    await worker.ready;
    return worker;
  };
  return { builder, spawnWorker };
}

const ended = (builder: Builder, id: string, timeoutMs = 15_000) => jobEnded(builder, id, timeoutMs);

const running = (builder: Builder, id: string, line: string) =>
  eventually(async () => (await builder.readLogs(id)).lines.includes(line), 10_000, `job ${id} to log "${line}"`);

describe('BullMQ workers in separate processes', () => {
  it('runs 500 jobs across two workers, each exactly once', async () => {
    // Every job maps the same fixture "service" (`lines`): without groups off they would run one
    // at a time, by design (concurrency-groups.test.ts). This is about delivery across workers.
    const { builder, spawnWorker } = apiSide({ groups: { defaultGroups: false } });
    const [a, b] = await Promise.all([spawnWorker({ CONCURRENCY: '8' }), spawnWorker({ CONCURRENCY: '8' })]);
    const ids: string[] = [];
    for (let i = 0; i < 500; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, () => builder.submitDeploy({ mappings: { lines: 'img:2' } })));
      for (const result of batch) {
        expect(result.enqueued).toBe(true);
        ids.push(result.id);
      }
    }
    await eventually(async () => {
      let done = 0;
      let cursor: string | null = null;
      do {
        const page = await builder.list({ limit: 200, cursor, states: ['done'] });
        done += page.jobs.length;
        cursor = page.nextCursor;
      } while (cursor);
      return done === 500;
    }, 60_000, 'all 500 jobs to be done');

    const ranOn = new Map<number, number>();
    for (const id of ids) {
      const job = await builder.get(id);
      expect(job).toMatchObject({ state: 'done', attempt: 1 });
      const { lines } = await builder.readLogs(id);
      const runs = lines.filter((line) => line.startsWith('ran on '));
      expect(runs).toHaveLength(1);
      expect(lines).toEqual([runs[0], 'line 0', 'line 1']);
      const pid = Number(runs[0]!.slice('ran on '.length));
      ranOn.set(pid, (ranOn.get(pid) ?? 0) + 1);
    }
    expect([...ranOn.keys()].sort()).toEqual([a.pid, b.pid].sort());
  }, 90_000);

  it('ends the job of a SIGKILLed worker in error, saying the worker was lost', async () => {
    const { builder, spawnWorker } = apiSide();
    const settings = { LEASE_MS: '1000', REAP_MS: '100' };
    const doomed = await spawnWorker(settings);
    const { id } = await builder.submitDeploy({ mappings: { hang: 'img:1' } });
    await running(builder, id, 'hanging');
    await spawnWorker(settings);
    await doomed.stop('SIGKILL');
    const job = await ended(builder, id);
    expect(job.state).toBe('error');
    expect(job.error).toMatch(/^The worker running attempt 1 was lost: it stopped renewing the job's lease, which ran out at /);
    expect((await builder.readLogs(id)).lines.at(-1)).toBe(`[docker-builder] ${job.error}`);
  }, 30_000);

  it('runs the job again when the retry policy allows, as a new attempt', async () => {
    const { builder, spawnWorker } = apiSide();
    const settings = { LEASE_MS: '1000', REAP_MS: '100', RETRY_LOST: '1' };
    const doomed = await spawnWorker(settings);
    const { id } = await builder.submitDeploy({ mappings: { sleep: 'img:1500', lines: 'img:1' } });
    await running(builder, id, `ran on ${doomed.pid}`);
    const survivor = await spawnWorker(settings);
    await doomed.stop('SIGKILL');
    const job = await ended(builder, id);
    expect(job).toMatchObject({ state: 'done', attempt: 2 });
    const lines = (await builder.readLogs(id)).lines;
    expect(lines[1]).toMatch(/^\[docker-builder\] the worker running attempt 1 was lost: .+; queued again \(retry 1 of 1\)/);
    expect(lines.filter((_, i) => i !== 1)).toEqual([`ran on ${doomed.pid}`, `ran on ${survivor.pid}`, 'line 0']);
  }, 30_000);

  it('fences a paused worker whose lease ran out: the job runs again elsewhere, its late writes are refused', async () => {
    const { builder, spawnWorker } = apiSide();
    const settings = { LEASE_MS: '1000', REAP_MS: '100', RETRY_LOST: '1', LOCK_MS: '1000', STALLED_MS: '300' };
    const paused = await spawnWorker(settings);
    const { id } = await builder.submitDeploy({ mappings: { sleep: 'img:1200', lines: 'img:3' } });
    await running(builder, id, `ran on ${paused.pid}`);
    paused.child.kill('SIGSTOP');
    const survivor = await spawnWorker(settings);
    const job = await eventually(async () => {
      const current = await builder.get(id);
      return current.attempt === 2 ? current : undefined;
    }, 15_000, 'the survivor to run the job again');
    expect(job.state).toBe('running');
    paused.child.kill('SIGCONT');
    const finished = await ended(builder, id);
    expect(finished).toMatchObject({ state: 'done', attempt: 2 });
    const { lines } = await builder.readLogs(id);
    expect(lines[1]).toMatch(/^\[docker-builder\] the worker running attempt 1 was lost/);
    expect(lines.filter((_, i) => i !== 1)).toEqual([`ran on ${paused.pid}`, `ran on ${survivor.pid}`, 'line 0', 'line 1', 'line 2']);
  }, 40_000);

  it('keeps the job of a worker that lost only BullMQ\'s lock: it ends done, not error (issue 9, item 6)', async () => {
    const { builder, spawnWorker } = apiSide();
    // BullMQ's lock lapses while the worker is paused; the job's own lease does not.
    const settings = { LEASE_MS: '20000', RETRY_LOST: '1', LOCK_MS: '1000', STALLED_MS: '300' };
    const worker = await spawnWorker(settings);
    const { id } = await builder.submitDeploy({ mappings: { sleep: 'img:2500', lines: 'img:1' } });
    await running(builder, id, `ran on ${worker.pid}`);
    worker.child.kill('SIGSTOP');
    await delay(2_000);
    worker.child.kill('SIGCONT');
    await spawnWorker(settings);
    const job = await ended(builder, id);
    expect(job).toMatchObject({ state: 'done', attempt: 1 });
    expect((await builder.readLogs(id)).lines).toEqual([`ran on ${worker.pid}`, 'line 0']);
  }, 40_000);

  it('cancels a job running in another process', async () => {
    const { builder, spawnWorker } = apiSide();
    await spawnWorker();
    const { id } = await builder.submitDeploy({ mappings: { hang: 'img:1' } });
    await running(builder, id, 'hanging');
    const asked = await builder.cancel(id);
    expect(asked.state).toBe('running');
    const job = await ended(builder, id, 5_000);
    expect(job).toMatchObject({ state: 'cancelled', error: 'Cancelled on request.' });
    expect((await builder.readLogs(id)).lines.at(-1)).toBe('[docker-builder] job cancelled on request');
  }, 20_000);

  it('on SIGTERM, lets a running job finish within the deadline and exits 0', async () => {
    const { builder, spawnWorker } = apiSide();
    const worker = await spawnWorker({ DEADLINE_MS: '10000' });
    const { id } = await builder.submitDeploy({ mappings: { sleep: 'img:500', lines: 'img:1' } });
    await running(builder, id, `ran on ${worker.pid}`);
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(await builder.get(id)).toMatchObject({ state: 'done' });
  }, 20_000);

  it('on SIGTERM past the deadline, aborts the running job (error, with why) and exits 0', async () => {
    const { builder, spawnWorker } = apiSide();
    const worker = await spawnWorker({ DEADLINE_MS: '300' });
    const { id } = await builder.submitDeploy({ mappings: { hang: 'img:1' } });
    await running(builder, id, 'hanging');
    expect(await worker.stop('SIGTERM')).toBe(0);
    const job: Job = await builder.get(id);
    expect(job.state).toBe('error');
    expect(job.error).toBe('Aborted: the worker shut down and the job did not finish within its 300 ms deadline.');
  }, 20_000);

  it('keeps to one shutdown deadline even when a runner ignores its abort (issue 9, item 10)', async () => {
    const { builder, spawnWorker } = apiSide();
    const worker = await spawnWorker({ DEADLINE_MS: '3000' });
    const { id } = await builder.submitDeploy({ mappings: { stubborn: 'img:1' } });
    await running(builder, id, 'ignoring aborts');
    const stoppedAt = Date.now();
    expect(await worker.stop('SIGTERM')).toBe(0);
    // The deadline is the behaviour under test: an orchestrator SIGKILLs a process that overruns it.
    expect(Date.now() - stoppedAt).toBeLessThan(3_000 + 1_000);
    const job: Job = await builder.get(id);
    expect(job).toMatchObject({ state: 'error', error: 'Aborted: the worker shut down and the job did not finish within its 3 s deadline.' });
  }, 20_000);
});
