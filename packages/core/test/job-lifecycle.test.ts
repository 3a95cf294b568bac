import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_LIMITS, createBuilder, createInProcessQueue, type JobQueue } from '@docker-builder/core';
import { createScriptedRunner, eventually, jobEnded, newJob } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { BUILD, DEPLOY, scriptedBuilder } from './helpers.js';

const settled = (builder: ReturnType<typeof scriptedBuilder>['builder'], id: string) => jobEnded(builder, id, 5_000);

describe('job lifecycle', () => {
  it('runs a job to done: logs, progress, result, timestamps', async () => {
    const { builder } = scriptedBuilder({
      build: [{ log: ['Step 1/2 : FROM base', 'Step 2/2 : RUN make'] }, { progress: 40 }, { progress: 90 }, { result: { image: 'r/x:1' } }],
    });
    const { id, enqueued } = await builder.submitBuild(BUILD);
    expect(enqueued).toBe(true);
    const job = await settled(builder, id);
    expect(job).toMatchObject({ state: 'done', progress: 100, error: null, result: { image: 'r/x:1' }, attempt: 1 });
    expect(Date.parse(job.startedAt!)).toBeLessThanOrEqual(Date.parse(job.finishedAt!));
    expect((await builder.readLogs(id)).lines).toEqual(['Step 1/2 : FROM base', 'Step 2/2 : RUN make']);
  });

  it('ends in error with the runner message when the runner rejects', async () => {
    const { builder } = scriptedBuilder({ build: [{ log: 'compiling' }, { fail: 'The command /bin/sh -c make returned a non-zero code: 2' }] });
    const { id } = await builder.submitBuild(BUILD);
    const job = await settled(builder, id);
    expect(job).toMatchObject({ state: 'error', error: 'The command /bin/sh -c make returned a non-zero code: 2' });
    expect((await builder.readLogs(id)).lines).toEqual([
      'compiling',
      '[docker-builder] job failed: The command /bin/sh -c make returned a non-zero code: 2',
    ]);
  });

  it('ends in error when the runner throws a non-Error value', async () => {
    const { builder } = scriptedBuilder({ build: [{ throw: { exitCode: 4 } }] });
    const job = await settled(builder, (await builder.submitBuild(BUILD)).id);
    expect(job.state).toBe('error');
    expect(job.error).toBe('non-Error value thrown: {"exitCode":4}');
  });

  it('ends in error when the runner throws synchronously', async () => {
    const store = createMemoryJobStore();
    const builder = createBuilder({
      store,
      runners: {
        build: {
          name: 'sync-thrower',
          kind: 'build',
          run: () => {
            throw new TypeError('bad config');
          },
          health: async () => ({ name: 'sync-thrower', ok: true }),
        },
      },
    });
    const job = await settled(builder as never, (await builder.submitBuild(BUILD)).id);
    expect(job).toMatchObject({ state: 'error', error: 'bad config' });
  });

  it('cancels a queued job at once, and it never runs', async () => {
    const { builder, build } = scriptedBuilder({ build: [{ gate: 'go' }] }, { concurrency: 1 });
    const first = await builder.submitBuild(BUILD);
    const second = await builder.submitBuild(BUILD);
    await build.started(1);
    const cancelled = await builder.cancel(second.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', error: 'Cancelled before it started.' });
    build.open('go');
    expect((await settled(builder, first.id)).state).toBe('done');
    await builder.close();
    expect(build.runs.map((r) => r.jobId)).toEqual([first.id]);
  });

  it('cancels a running job: the abort reaches the runner and the job ends cancelled', async () => {
    const { builder, build } = scriptedBuilder({ build: [{ log: 'RUN sleep 600' }, { hang: true }] });
    const { id } = await builder.submitBuild(BUILD);
    await build.started();
    const asked = await builder.cancel(id);
    expect(asked.state).toBe('running');
    expect(asked.cancelRequestedAt).not.toBeNull();
    const job = await settled(builder, id);
    expect(job).toMatchObject({ state: 'cancelled', error: 'Cancelled on request.' });
    expect(build.runs[0]!.context.signal.aborted).toBe(true);
    expect((await builder.readLogs(id)).lines).toEqual(['RUN sleep 600', '[docker-builder] job cancelled on request']);
  });

  it('refuses to cancel a finished job', async () => {
    const { builder } = scriptedBuilder();
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    await expect(builder.cancel(id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('does not wait forever for a runner that ignores its abort', async () => {
    const { builder } = scriptedBuilder({ build: [{ hangIgnoringAbort: true }] }, { abortGraceMs: 50 });
    const { id } = await builder.submitBuild(BUILD);
    await eventually(async () => (await builder.get(id)).state === 'running');
    await builder.cancel(id);
    const job = await settled(builder, id);
    expect(job.state).toBe('cancelled');
  });

  it('retries a finished job as a new job with the same spec', async () => {
    const { builder, deploy } = scriptedBuilder({ deploy: [{ fail: 'host unreachable' }] });
    const { id } = await builder.submitDeploy(DEPLOY, { user: { sub: 'alice' } });
    await settled(builder, id);
    await expect(builder.retry(id)).resolves.toMatchObject({ enqueued: true });
    const page = await builder.list({ limit: 10 });
    const retry = page.jobs[0]!;
    expect(retry.id).not.toBe(id);
    expect(retry).toMatchObject({ kind: 'deploy', retryOf: id, spec: DEPLOY, user: { sub: 'alice' } });
    await settled(builder, retry.id);
    expect(deploy.runs).toHaveLength(2);
  });

  it('refuses to retry a job that has not ended', async () => {
    const { builder, build } = scriptedBuilder({ build: [{ gate: 'go' }] });
    const { id } = await builder.submitBuild(BUILD);
    await build.started();
    await expect(builder.retry(id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    build.open('go');
  });

  it('runs the job in-process and says enqueued: false when the queue refuses it', async () => {
    const { builder, build } = scriptedBuilder({}, { queue: brokenQueue(async () => ({ accepted: false, reason: 'no broker' })) });
    const { id, enqueued } = await builder.submitBuild(BUILD);
    expect(enqueued).toBe(false);
    expect((await settled(builder, id)).state).toBe('done');
    expect(build.runs).toHaveLength(1);
  });

  it('falls back too when enqueueing throws', async () => {
    const throwing = brokenQueue(async () => {
      throw new Error('ECONNREFUSED');
    });
    const { builder } = scriptedBuilder({}, { queue: throwing });
    const { id, enqueued } = await builder.submitBuild(BUILD);
    expect(enqueued).toBe(false);
    expect((await settled(builder, id)).state).toBe('done');
  });

  it('without a fallback, a refused job ends in error and the caller is told', async () => {
    const refusing = brokenQueue(async () => ({ accepted: false, reason: 'no broker' }));
    const { builder } = scriptedBuilder({}, { queue: refusing, fallback: false });
    await expect(builder.submitBuild(BUILD)).rejects.toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
    const [job] = (await builder.list({ limit: 1 })).jobs;
    expect(job).toMatchObject({ state: 'error', error: 'Could not queue the job: no broker' });
  });

  it('refuses a kind that has no runner, creating nothing', async () => {
    const store = createMemoryJobStore();
    const builder = createBuilder({ store, runners: {} });
    await expect(builder.submitDeploy(DEPLOY)).rejects.toMatchObject({ code: 'RUNNER_UNAVAILABLE' });
    expect((await store.list({ limit: 10 })).jobs).toEqual([]);
  });

  it('on close, lets running jobs finish and fails the ones not started', async () => {
    const { builder, build } = scriptedBuilder({ build: [{ sleep: 50 }, { log: 'finished' }] }, { concurrency: 1 });
    const first = await builder.submitBuild(BUILD);
    const second = await builder.submitBuild(BUILD);
    await build.started();
    await builder.close({ deadlineMs: 5_000 });
    expect((await builder.store.get(first.id))?.state).toBe('done');
    expect(await builder.store.get(second.id)).toMatchObject({
      state: 'error',
      error: 'Not started: the queue closed before the job started',
    });
    expect(build.runs).toHaveLength(1);
  });

  it('on close past the deadline, aborts running jobs and they end in error', async () => {
    const store = createMemoryJobStore();
    const build = createScriptedRunner({ kind: 'build', script: [{ hang: true }] });
    const builder = createBuilder({ store, runners: { build }, concurrency: 1 });
    const running = await builder.submitBuild(BUILD);
    const waiting = await builder.submitBuild(BUILD);
    await build.started();
    await builder.close({ deadlineMs: 20 });
    const [a, b] = await Promise.all([store.get(running.id), store.get(waiting.id)]);
    expect(a).toMatchObject({ state: 'error' });
    expect(a?.error).toMatch(/^Aborted: the queue closed and the job did not finish within 20 ms/);
    expect(b).toMatchObject({ state: 'error', error: 'Not started: the queue closed before the job started' });
  });

  it('respects the in-process concurrency limit', async () => {
    const build = createScriptedRunner({ kind: 'build', script: [{ gate: 'go' }] });
    const store = createMemoryJobStore();
    let running = 0;
    let peak = 0;
    const builder = createBuilder({ store, runners: { build }, concurrency: 3 });
    const queue = createInProcessQueue({
      concurrency: 3,
      execute: async (id, signal) => {
        running += 1;
        peak = Math.max(peak, running);
        await builder.execute(id, signal);
        running -= 1;
      },
    });
    const jobs = await Promise.all(Array.from({ length: 10 }, () => store.create(newJob('build'))));
    for (const job of jobs) await queue.enqueue(job);
    await build.started(3);
    expect(running).toBe(3);
    build.open('go');
    await queue.idle();
    expect(peak).toBe(3);
    for (const job of jobs) expect((await store.get(job.id))?.state).toBe('done');
  });

  it('writes logs in batches, not a store call per line', async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `line ${i}`);
    const { builder } = scriptedBuilder({ build: [{ log: lines }] }, { logs: { flushIntervalMs: 10, maxBatch: 1_000 } });
    const store = builder.store;
    let calls = 0;
    const append = store.appendLogs.bind(store);
    store.appendLogs = (...args) => {
      calls += 1;
      return append(...args);
    };
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    expect((await builder.readLogs(id)).lines).toEqual(lines);
    expect(calls).toBeLessThanOrEqual(6);
  });

  it('caps a runaway log, keeping its first and its last lines and saying how many in between were dropped', async () => {
    const lines = Array.from({ length: 1_050 }, (_, i) => `line ${i}`);
    const { builder } = scriptedBuilder({ build: [{ log: lines }] }, { logs: { maxLines: 1_000, flushIntervalMs: 5 } });
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    const { lines: stored } = await builder.readLogs(id);
    // A tail of a tenth of the cap (100 lines); the head leaves room for it and for two lines of explanation.
    expect(stored).toHaveLength(1_000);
    expect(stored.slice(0, 898)).toEqual(lines.slice(0, 898));
    expect(stored[898]).toBe('[docker-builder] log limit of 1000 lines reached: from here only the last 100 lines (up to 4 MiB) are kept; they appear when the job ends');
    expect(stored[899]).toBe('[docker-builder] log limit of 1000 lines reached: 52 lines were dropped here; the last 100 lines of the log follow');
    expect(stored.slice(900)).toEqual(lines.slice(950));
  });

  it('caps a log by its bytes too, the tail included: the line cap alone allows 100,000 lines of 16 KiB', async () => {
    // 3-byte characters: 100 lines of 1,000 characters are about 300,000 bytes. The budget of
    // 100,000 keeps a tenth for the tail (3 of these lines and a short one) and 512 bytes for the two
    // lines of explanation; the head holds 29.
    const line = (i: number) => `${String(i).padStart(3, '0')}${'€'.repeat(997)}`;
    const lines = Array.from({ length: 100 }, (_, i) => line(i));
    const { builder } = scriptedBuilder({ build: [{ log: lines }, { log: 'short, but after the cap' }] }, { logs: { maxBytes: 100_000, flushIntervalMs: 5 } });
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    const { lines: stored } = await builder.readLogs(id);
    expect(stored.slice(0, 29)).toEqual(lines.slice(0, 29));
    expect(stored[29]).toBe('[docker-builder] log limit of 100000 bytes reached: from here only the last 1000 lines (up to 10000 bytes) are kept; they appear when the job ends');
    expect(stored[30]).toBe('[docker-builder] log limit of 100000 bytes reached: 68 lines were dropped here; the last 4 lines of the log follow');
    expect(stored.slice(31)).toEqual([...lines.slice(97), 'short, but after the cap']);
    expect(stored.reduce((sum, l) => sum + Buffer.byteLength(l), 0)).toBeLessThanOrEqual(100_000);
  });

  it('keeps 64 MiB of log per job by default, and names the limit in MiB', async () => {
    expect(DEFAULT_LOG_LIMITS.maxBytes).toBe(64 * 1024 * 1024);
    const big = 'x'.repeat(16_384);
    // 4,097 lines of 16 KiB are one line more than 64 MiB: the head holds 3,839 (60 MiB less 512
    // bytes), the tail 256 (4 MiB), so 2 are dropped.
    const { builder } = scriptedBuilder({ build: [{ log: Array.from({ length: 4_097 }, () => big) }] }, { logs: { flushIntervalMs: 5 } });
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    const { total, lines } = await builder.readLogs(id, { from: 3_839, limit: 2 });
    expect(total).toBe(4_097);
    expect(lines).toEqual([
      '[docker-builder] log limit of 64 MiB reached: from here only the last 1000 lines (up to 4 MiB) are kept; they appear when the job ends',
      '[docker-builder] log limit of 64 MiB reached: 2 lines were dropped here; the last 256 lines of the log follow',
    ]);
  });

  it('sanitises lines: splits newlines, keeps what follows a carriage return, drops NUL, fixes broken UTF-16', async () => {
    const { builder } = scriptedBuilder({
      build: [{ log: ['a\nb\r\n', 'progress 10%\rprogress 100%', 'nul\u0000byte', 'half \uD800 surrogate'] }],
    });
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    expect((await builder.readLogs(id)).lines).toEqual(['a', 'b', 'progress 100%', 'nulbyte', 'half \uFFFD surrogate']);
  });

  it('truncates a runaway line visibly', async () => {
    const { builder } = scriptedBuilder({ build: [{ log: 'x'.repeat(100) }] }, { logs: { maxLineLength: 10 } });
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    expect((await builder.readLogs(id)).lines).toEqual(['xxxxxxxxxx … [line truncated: 90 more characters]']);
  });

  it('keeps progress within 0..100 and ends a done job at 100', async () => {
    const { builder } = scriptedBuilder({ build: [{ progress: -5 }, { progress: 250 }, { progress: 33.4 }, { gate: 'check' }] });
    const { id } = await builder.submitBuild(BUILD);
    await eventually(async () => (await builder.get(id)).progress === 33);
    expect((await builder.get(id)).progress).toBe(33);
  });

  it('follows the logs of a running job live until it ends', async () => {
    const { builder, build } = scriptedBuilder({ build: [{ log: 'first' }, { gate: 'more' }, { log: ['second', 'third'] }] });
    const { id } = await builder.submitBuild(BUILD);
    const seen: string[] = [];
    const following = (async () => {
      for await (const entry of builder.followLogs(id)) seen.push(entry.line);
    })();
    await build.reached('more');
    await eventually(() => seen.length === 1);
    build.open('more');
    await following;
    expect(seen).toEqual(['first', 'second', 'third']);
    expect((await builder.get(id)).state).toBe('done');
  });

  it('a job claimed elsewhere is not run twice', async () => {
    const { builder, build } = scriptedBuilder();
    const { id } = await builder.submitBuild(BUILD);
    await settled(builder, id);
    expect(await builder.execute(id)).toBeNull();
    expect(build.runs).toHaveLength(1);
  });

  it('reports every component in debug()', async () => {
    const { builder } = scriptedBuilder();
    const debug = await builder.debug();
    expect(debug.store).toMatchObject({ name: 'memory', ok: true });
    expect(debug.queue).toMatchObject({ name: 'in-process', ok: true, workers: 2 });
    expect(debug.runners.build).toMatchObject({ name: 'scripted', ok: true });
    expect(debug.fallback).toBeNull();
  });
});

/** A queue whose broker is down: it refuses or throws on every enqueue. */
function brokenQueue(enqueue: JobQueue['enqueue']): JobQueue {
  return { name: 'broken', enqueue, health: async () => ({ name: 'broken', ok: false }), close: async () => undefined };
}
