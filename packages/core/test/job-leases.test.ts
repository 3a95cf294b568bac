/**
 * Leases and the reaper, in one process on the memory store: a job whose owner is gone —
 * dead, hung, or cut off from the store at the wrong moment — still ends, or runs again
 * when the retry policy allows. Faults the memory store cannot produce on its own are
 * injected with createFaultyStore.
 */
import { describe, expect, it } from 'vitest';
import { createBuilder, type JobQueue } from '@docker-builder/core';
import { createFaultyStore, createScriptedRunner, delay, eventually, jobEnded, newJob, type ScriptStep } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { BUILD } from './helpers.js';

const FAST_LEASES = { leaseMs: 600, queuedLeaseMs: 300, reapIntervalMs: 50 };

function leasedBuilder(script: ScriptStep[], options: { retryLostJobs?: number; queue?: JobQueue; reapIntervalMs?: false } = {}) {
  const store = createFaultyStore(createMemoryJobStore());
  const build = createScriptedRunner({ kind: 'build', script });
  const builder = createBuilder({ store, runners: { build }, logs: { flushIntervalMs: 5 }, progressIntervalMs: 0, ...FAST_LEASES, ...options });
  return { store, build, builder };
}

/** A process that claimed a job and died: the claim is made, nobody renews it. */
async function claimAndDie(builder: ReturnType<typeof leasedBuilder>['builder']) {
  const job = await builder.store.create(newJob('build'));
  await builder.store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString(), leaseMs: 100 });
  return job.id;
}

describe('leases and the reaper', () => {
  it('ends a job whose store was unreachable when it finished (issue 9, item 1)', async () => {
    const { store, build, builder } = leasedBuilder([{ log: 'working' }]);
    // The store refuses every end of a job for 3 s: the attempt gives up, its lease runs out.
    store.inject({ method: 'transition', when: (_id: string, change: { to: string }) => change.to !== 'running' });
    const { id } = await builder.submitBuild(BUILD);
    await build.started();
    await eventually(() => (store.failures.transition ?? 0) >= 4, 5_000, 'the attempt to give up its end');
    await delay(3_000 - 1_200);
    expect((await builder.get(id)).state).toBe('running');
    store.heal();
    const job = await jobEnded(builder, id, 5_000);
    expect(job.state).toBe('error');
    expect(job.error).toMatch(/^The worker running attempt 1 was lost: it stopped renewing the job's lease, which ran out at .+ Not retried: retryLostJobs \(RETRY_LOST_JOBS\) is 0\.$/);
    expect((await builder.readLogs(id)).lines).toEqual(['working', `[docker-builder] ${job.error}`]);
  }, 15_000);

  it('ends the job of a process that died holding it, saying why', async () => {
    const { builder } = leasedBuilder([], { reapIntervalMs: false });
    const id = await claimAndDie(builder);
    await delay(150);
    expect(await builder.reap()).toBe(1);
    const job = await builder.get(id);
    expect(job).toMatchObject({ state: 'error', attempt: 1 });
    expect(job.error).toContain('Lines it logged after its last stored write may be missing.');
    expect(await builder.reap()).toBe(0);
  });

  it('queues it again when the retry policy allows, and it runs as a new attempt', async () => {
    const { builder, build } = leasedBuilder([{ log: 'built' }], { retryLostJobs: 1 });
    const id = await claimAndDie(builder);
    const job = await jobEnded(builder, id, 5_000);
    expect(job).toMatchObject({ state: 'done', attempt: 2 });
    expect(build.runs).toHaveLength(1);
    const { lines } = await builder.readLogs(id);
    expect(lines[0]).toMatch(/^\[docker-builder\] the worker running attempt 1 was lost: .+; queued again \(retry 1 of 1\)/);
    expect(lines.slice(1)).toEqual(['built']);
  });

  it('ends a lost job that was asked to stop as cancelled, not run again', async () => {
    const { builder, build } = leasedBuilder([{ log: 'built' }], { retryLostJobs: 1 });
    const id = await claimAndDie(builder);
    await builder.cancel(id);
    const job = await jobEnded(builder, id, 5_000);
    expect(job).toMatchObject({ state: 'cancelled', attempt: 1 });
    expect(build.runs).toHaveLength(0);
  });

  it('stops the runner of an attempt that cannot renew its lease, before the lease runs out', async () => {
    const { store, build, builder } = leasedBuilder([{ log: 'deploying' }, { hang: true }]);
    const { id } = await builder.submitBuild(BUILD);
    await build.started();
    store.inject({ method: 'renewLease' });
    const job = await jobEnded(builder, id, 5_000);
    expect(build.runs[0]!.context.signal.aborted).toBe(true);
    expect(job).toMatchObject({ state: 'error', attempt: 1 });
    expect(job.error).toMatch(/^Aborted: the job's lease could not be renewed for 0\.\d s/);
  });

  it('fences an attempt whose job was handed on (it was frozen past its lease): it stops and writes nothing more', async () => {
    const { build, builder } = leasedBuilder([{ log: 'attempt starts' }, { gate: 'go' }, { log: 'late line' }], { reapIntervalMs: false });
    const { id } = await builder.submitBuild(BUILD);
    await build.reached('go');
    await eventually(async () => (await builder.readLogs(id)).total === 1, 2_000, 'the first line to be stored');
    // What a reaper elsewhere does while this attempt's process is frozen (SIGSTOP; see
    // workers.test.ts for the real thing): it moves the job on, here by hand.
    await builder.store.transition(id, { from: ['running'], to: 'queued', at: new Date().toISOString(), attempt: 1, leaseMs: 60_000 });
    const second = builder.execute(id);
    await build.started(2);
    build.open('go');
    expect(await second).toMatchObject({ state: 'done', attempt: 2 });
    await eventually(() => build.runs[0]!.context.signal.aborted, 2_000, 'the first attempt to be stopped');
    const lines = (await builder.readLogs(id)).lines;
    expect(lines).toEqual(['attempt starts', 'attempt starts', 'late line']);
  });

  it('hands a queued job over again when its queue lost it', async () => {
    let deliveries = 0;
    const execute: { run?: (id: string) => Promise<unknown> } = {};
    const losesFirstDelivery: JobQueue = {
      name: 'loses-first',
      async enqueue(ref) {
        deliveries += 1;
        if (deliveries > 1) void execute.run?.(ref.id);
        return { accepted: true };
      },
      health: async () => ({ name: 'loses-first', ok: true }),
      close: async () => undefined,
    };
    const { builder } = leasedBuilder([{ log: 'built' }], { queue: losesFirstDelivery });
    execute.run = (id) => builder.execute(id);
    const { id } = await builder.submitBuild(BUILD);
    expect(await jobEnded(builder, id, 5_000)).toMatchObject({ state: 'done', attempt: 1 });
    expect(deliveries).toBe(2);
  });

  it('runs a job whose claim failed on a store error, once the store answers again', async () => {
    const { store, builder } = leasedBuilder([{ log: 'built' }]);
    store.inject({ method: 'claim', times: 1 });
    const { id } = await builder.submitBuild(BUILD);
    expect(await jobEnded(builder, id, 5_000)).toMatchObject({ state: 'done', attempt: 1 });
    expect(store.failures.claim).toBe(1);
  });
});

describe('the log at the end of a job', () => {
  it('keeps a line whose append was in flight and failed when the job ended (issue 9, item 2)', async () => {
    // The runner returns while the append of its line is still in flight, and that append fails.
    const { store, builder } = leasedBuilder([{ log: 'the only line' }, { sleep: 30 }]);
    store.inject({ method: 'appendLogs', times: 1, delayMs: 200 });
    const { id } = await builder.submitBuild(BUILD);
    const job = await jobEnded(builder, id, 5_000);
    expect(job.state).toBe('done');
    expect((await builder.readLogs(id)).lines).toEqual(['the only line']);
  });

  it('says in its last line how many lines were lost when the store refused them for good', async () => {
    const { store, builder } = leasedBuilder([{ log: ['one', 'two'] }]);
    store.inject({ method: 'appendLogs' });
    const { id } = await builder.submitBuild(BUILD);
    const job = await jobEnded(builder, id, 5_000);
    expect(job.state).toBe('done');
    expect((await builder.readLogs(id)).lines).toEqual(['[docker-builder] 2 log lines could not be stored (the store refused them); this log is incomplete']);
  });
});
