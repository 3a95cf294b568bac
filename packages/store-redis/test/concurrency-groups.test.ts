/**
 * Concurrency groups across processes (issue 14): a real Redis, two `docker-builder worker`
 * processes running real ansible-playbook deploys, and a playbook that records when each
 * service's rollout starts and ends. Deploys of one service never overlap and start in
 * submission order while unrelated ones run beside them; `supersede` leaves only the newest
 * queued deploy to run; a waiting deploy says why, and cancelling it frees nothing it did not
 * hold. (A worker SIGKILLed while it holds a slot: faults/group-slot-worker-killed.faults.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { JobFeedItem } from '@docker-builder/core';
import { getJson } from '../../http-express/test/harness.js';
import { overlapped, rollouts } from './fixtures/deploy-timeline.js';
import { startGroupWorkers } from './fixtures/group-workers.js';

describe('concurrency groups with two worker processes', () => {
  it('runs 20 deploys of one service one at a time, in submission order, while 20 deploys of other services run beside them', async () => {
    const setup = await startGroupWorkers(undefined, { CONCURRENCY: '6' });
    // Interleaved and all at once: each deploy of rag-service is followed by one of a service of its own.
    const submissions = Array.from({ length: 20 }, (_, i) => [
      { service: 'rag-service', tag: `s${i}` },
      { service: `other-${i}`, tag: `o${i}` },
    ]).flat();
    const ids = await Promise.all(submissions.map(({ service, tag }) => setup.deploy(service, tag)));
    const idOfTag = new Map(submissions.map(({ tag }, i) => [tag, ids[i]!]));
    for (const id of ids) expect(await setup.ended(id)).toMatchObject({ state: 'done', attempt: 1 });

    const all = rollouts(setup.timeline.events());
    expect(all).toHaveLength(40);
    const shared = all.filter((rollout) => rollout.service === 'rag-service');
    const others = all.filter((rollout) => rollout.service !== 'rag-service');
    // One at a time: each rollout of rag-service ended before the next one started.
    for (let i = 1; i < shared.length; i += 1) {
      expect(shared[i - 1]!.ended, `rag-service ${shared[i - 1]!.tag} ended before ${shared[i]!.tag} started`).toBeLessThan(shared[i]!.started);
    }
    // In submission order: job ids sort by creation time.
    const startOrder = shared.map((rollout) => idOfTag.get(rollout.tag)!);
    expect(startOrder).toEqual([...startOrder].sort());
    // And not one at a time overall: unrelated deploys ran while rag-service was rolling out.
    expect(others.filter((other) => shared.some((mine) => overlapped(mine, other))).length).toBeGreaterThan(0);
    // Both processes ran deploys of rag-service: the one-at-a-time held across processes.
    const where = setup.ranOn();
    expect(new Set(startOrder.map((id) => where.get(id))).size).toBe(2);
  }, 180_000);

  it('says why a deploy waits: waitingFor in the API, a `waiting` event, a log line', async () => {
    const setup = await startGroupWorkers();
    const holder = await setup.deploy('rag-service', 'held-1');
    await setup.rolloutStarted('held-1');
    const from = await setup.api.builder.lastEventId();
    const waiter = await setup.deploy('rag-service', 'w1');

    const job = await setup.waiting(waiter);
    expect(job).toMatchObject({ state: 'queued', attempt: 0, waitingFor: { group: 'deploy:rag-service', jobId: holder } });
    const { status, body } = await getJson(`${setup.api.url}/build/${waiter}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ state: 'queued', waitingFor: { group: 'deploy:rag-service', jobId: holder, since: job.waitingFor!.since } });
    expect(body.logs).toContain(`[docker-builder] waiting for ${holder} (deploy of rag-service)`);

    const controller = new AbortController();
    let said: JobFeedItem | undefined;
    for await (const item of setup.api.builder.followEvents({ after: from, signal: controller.signal })) {
      if (item.type === 'waiting' && item.job.id === waiter) {
        said = item;
        controller.abort();
      }
    }
    expect(said).toMatchObject({ type: 'waiting', job: { id: waiter, state: 'queued', waitingFor: { group: 'deploy:rag-service', jobId: holder } } });

    // Its turn comes when the holder ends, not before.
    setup.timeline.open('held-1');
    expect(await setup.ended(waiter)).toMatchObject({ state: 'done', waitingFor: null });
    const [first, second] = rollouts(setup.timeline.events());
    expect([first?.tag, second?.tag]).toEqual(['held-1', 'w1']);
    expect(first!.ended).toBeLessThan(second!.started);
  }, 60_000);

  it('with a supersede policy, runs only the newest queued deploy after the running one, which it never cancels', async () => {
    const setup = await startGroupWorkers({ rules: [{ match: 'deploy:*', policy: 'supersede' }] });
    const holder = await setup.deploy('rag-service', 'held-1');
    await setup.rolloutStarted('held-1');
    const queued: string[] = [];
    for (const tag of ['q1', 'q2', 'q3', 'q4']) queued.push(await setup.deploy('rag-service', tag));

    for (const [i, id] of queued.slice(0, -1).entries()) {
      const job = await setup.ended(id);
      expect(job).toMatchObject({ state: 'cancelled', attempt: 0, startedAt: null });
      expect(job.error).toMatch(new RegExp(`^Superseded by ${queued[i + 1]}`));
    }
    expect(await setup.job(holder)).toMatchObject({ state: 'running', cancelRequestedAt: null });

    setup.timeline.open('held-1');
    expect(await setup.ended(holder)).toMatchObject({ state: 'done', error: null });
    expect(await setup.ended(queued.at(-1)!)).toMatchObject({ state: 'done', attempt: 1 });
    expect(rollouts(setup.timeline.events()).map((rollout) => rollout.tag)).toEqual(['held-1', 'q4']);
  }, 60_000);

  it('cancels a waiting deploy without freeing what it did not hold: the holder runs on, the next one still waits for it', async () => {
    const setup = await startGroupWorkers();
    const holder = await setup.deploy('rag-service', 'held-1');
    await setup.rolloutStarted('held-1');
    const cancelled = await setup.deploy('rag-service', 'w1');
    const next = await setup.deploy('rag-service', 'w2');
    await setup.waiting(cancelled);
    await setup.waiting(next);

    expect(await setup.api.builder.cancel(cancelled)).toMatchObject({ state: 'cancelled', startedAt: null });
    // A deploy submitted after the cancel, run to its end: time enough for anything the cancel
    // handed to the workers to have started (the order of the rollouts below checks it too).
    const probe = await setup.deploy('unrelated', 'p1');
    expect(await setup.ended(probe)).toMatchObject({ state: 'done' });

    expect(await setup.job(holder)).toMatchObject({ state: 'running' });
    expect(await setup.job(next)).toMatchObject({ state: 'queued', waitingFor: { group: 'deploy:rag-service', jobId: holder } });
    expect(await setup.store.groupStates(['deploy:rag-service'])).toMatchObject([{ holders: [holder], waiting: [next] }]);
    expect(rollouts(setup.timeline.events()).map((rollout) => rollout.tag)).toEqual(['held-1', 'p1']);

    setup.timeline.open('held-1');
    expect(await setup.ended(next)).toMatchObject({ state: 'done' });
    const shared = rollouts(setup.timeline.events()).filter((rollout) => rollout.service === 'rag-service');
    expect(shared.map((rollout) => rollout.tag)).toEqual(['held-1', 'w2']);
    expect(shared[0]!.ended).toBeLessThan(shared[1]!.started);
  }, 60_000);
});
