/**
 * A worker SIGKILLed while its deploy holds a concurrency group's slot (issue 14): the slot is
 * not held forever. Once the job's lease runs out, the surviving worker's reaper declares the
 * job lost (with RETRY_LOST_JOBS=0 it ends in error, saying why), which frees the slot, and the
 * deploy that waited for it starts on the survivor.
 */
import { expect, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { rollouts } from '../packages/store-redis/test/fixtures/deploy-timeline.js';
import { startGroupWorkers } from '../packages/store-redis/test/fixtures/group-workers.js';

it('frees the slot of a SIGKILLed worker\'s deploy once it is declared lost, and the next deploy of the service starts', async () => {
  // The shortest lease the server takes, so the reaper finds the lost attempt within seconds.
  const setup = await startGroupWorkers(undefined, { LEASE_SECONDS: '3', RETRY_LOST_JOBS: '0' });
  const holder = await setup.deploy('rag-service', 'held-1');
  await setup.rolloutStarted('held-1');
  const waiter = await setup.deploy('rag-service', 'w1');
  expect((await setup.waiting(waiter)).waitingFor).toMatchObject({ group: 'deploy:rag-service', jobId: holder });

  const pid = await eventually(() => setup.ranOn().get(holder), 10_000, 'the worker that runs the holder to say so');
  const doomed = setup.workers.find((worker) => worker.pid === pid)!;
  const survivor = setup.workers.find((worker) => worker !== doomed)!;
  await doomed.stop('SIGKILL');

  const lost = await setup.ended(holder, 40_000);
  expect(lost.state).toBe('error');
  expect(lost.error).toMatch(/^The worker running attempt 1 was lost: it stopped renewing the job's lease/);
  const next = await setup.ended(waiter, 40_000);
  expect(next).toMatchObject({ state: 'done', attempt: 1, waitingFor: null });
  expect(setup.ranOn().get(waiter)).toBe(survivor.pid);
  expect(Date.parse(next.startedAt!)).toBeGreaterThanOrEqual(Date.parse(lost.finishedAt!));
  expect(rollouts(setup.timeline.events()).map((rollout) => rollout.tag)).toEqual(['held-1', 'w1']);
  expect(await setup.store.groupStates(['deploy:rag-service'])).toMatchObject([{ holders: [], waiting: [] }]);
}, 60_000);
