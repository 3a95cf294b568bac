/**
 * A store outage at every step of a job's life — the claim, the first line, progress, the
 * last line, the end — and a real Redis stopped just as a runner returns: every job still
 * ends, and its log is complete or says in its last line that it is not. The per-step
 * outages are injected with createFaultyStore (Redis cannot be stopped at exactly "the first
 * append of this job"); the last test stops a real Redis.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createBuilder, isTerminal, type Builder, type Job, type JobStore } from '@docker-builder/core';
import { createFaultyStore, createScriptedRunner, eventually, jobEnded, type FaultyStore } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../test-support/prefix.js';
import { startRedisServer } from '../test-support/redis-server.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const FAST_LEASES = { leaseMs: 900, queuedLeaseMs: 600, reapIntervalMs: 100 };
const SCRIPT = [{ log: 'first line' }, { sleep: 100 }, { progress: 50 }, { sleep: 100 }, { log: 'last line' }, { sleep: 50 }];

function builderOn(store: JobStore): Builder {
  const build = createScriptedRunner({ kind: 'build', script: SCRIPT });
  const builder = createBuilder({ store, runners: { build }, logs: { flushIntervalMs: 10 }, progressIntervalMs: 0, ...FAST_LEASES });
  closers.push(() => builder.close({ deadlineMs: 1_000 }));
  return builder;
}

/** The log is whole, or its last line says what may be missing. */
function expectCompleteOrMarked(lines: string[]) {
  const complete = lines.includes('first line') && lines.includes('last line');
  const marked = /could not be stored|may be missing/.test(lines.at(-1) ?? '');
  expect(complete || marked, `log neither complete nor marked:\n${lines.join('\n')}`).toBe(true);
}

type Change = { to: string };
const STEPS: Array<{ step: string; method: 'claim' | 'transition' | 'appendLogs' | 'setProgress'; match: (...args: never[]) => boolean }> = [
  { step: 'the claim', method: 'claim', match: () => true },
  { step: 'the first append', method: 'appendLogs', match: (_id: string, lines: string[]) => lines.includes('first line') },
  { step: 'a progress write', method: 'setProgress', match: () => true },
  { step: 'the last append', method: 'appendLogs', match: (_id: string, lines: string[]) => lines.includes('last line') },
  { step: 'the terminal write', method: 'transition', match: (_id: string, change: Change) => isTerminal(change.to as Job['state']) },
];

describe('a store outage at every step of the lifecycle', () => {
  for (const { step, method, match } of STEPS) {
    it(`ends the job when the store goes away for 2 s at ${step}`, async () => {
      const redis = createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('outage') });
      const store: FaultyStore = createFaultyStore(redis);
      let struck = false;
      store.inject({
        method,
        times: 1,
        when: (...args: never[]) => {
          if (struck || !match(...args)) return false;
          struck = true;
          store.outage(2_000);
          return true;
        },
      });
      const builder = builderOn(store);
      const { id } = await builder.submitBuild({ service: 'outage' });
      // Watched through the store itself: the faulty one fails the test's reads too.
      const job = await jobEnded({ get: async (jobId) => (await redis.get(jobId))! }, id, 20_000);
      expect(struck).toBe(true);
      expect(isTerminal(job.state)).toBe(true);
      expectCompleteOrMarked((await builder.readLogs(id)).lines);
      await eventually(async () => (await redis.expiredLeases(10)).length === 0, 3_000, 'no lease left behind');
    }, 30_000);
  }
});

describe('a real Redis stopped as the runner returns', () => {
  it('ends the job once Redis is back, though the end could not be written at the time (issue 9, item 1)', async () => {
    const server = await startRedisServer({ appendOnly: true });
    closers.push(() => server.stop());
    const store = createRedisJobStore({ redis: server.url, prefix: 'stopped:' });
    const deploy = createScriptedRunner({ kind: 'deploy', script: [{ log: 'rolling out' }, { gate: 'finish' }] });
    const builder = createBuilder({ store, runners: { deploy }, logs: { flushIntervalMs: 10 }, ...FAST_LEASES });
    closers.push(() => builder.close({ deadlineMs: 1_000 }));
    const { id } = await builder.submitDeploy({ mappings: { web: 'img:1' } });
    await deploy.reached('finish');
    await eventually(async () => (await builder.readLogs(id)).total === 1, 5_000, 'the first line to be stored');
    await server.halt();
    deploy.open('finish');
    // Longer than the attempt's retries of its end last (about 14 s, most of it ioredis waiting
    // to reconnect): only the lease can end this job now.
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    await server.restart();
    const job = await jobEnded(builder, id, 20_000);
    expect(job.state).toBe('error');
    const lines = (await builder.readLogs(id)).lines;
    expect(lines[0]).toBe('rolling out');
    expect(lines.at(-1)).toMatch(/^\[docker-builder\] The worker running attempt 1 was lost: .+ may be missing/);
  }, 60_000);
});
