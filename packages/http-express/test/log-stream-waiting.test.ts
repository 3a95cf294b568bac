/**
 * A job's log stream while it waits for a concurrency group: the `state` event that says so
 * (`waitingFor`) goes out right after the line the job logged, not with its next line, which
 * only comes once it starts; and one with `waitingFor: null` when it starts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobQueue, QueuedJobRef } from '@docker-builder/core';
import { eventually } from '@docker-builder/core/testing';
import { postJson, readEvents, startHarness, type Harness, type ParsedEvent } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A queue that delivers only when the test says: so the stream is open before the job is found waiting. */
function manualQueue(): JobQueue & { delivered: QueuedJobRef[] } {
  const delivered: QueuedJobRef[] = [];
  return {
    name: 'manual',
    delivered,
    enqueue: async (ref) => (delivered.push(ref), { accepted: true }),
    health: async () => ({ name: 'manual', ok: true }),
    close: async () => undefined,
  };
}

const label = (event: ParsedEvent) => {
  if (event.event === 'message') return event.data;
  if (event.event === 'time') return 'time';
  const job = JSON.parse(event.data) as { state: string; waitingFor: { jobId: string } | null };
  return `${event.event} ${job.state}${job.waitingFor ? ` waiting for ${job.waitingFor.jobId}` : ''}`;
};

describe('the log stream of a job waiting for a group', () => {
  it('says at once that the queued job waits, and when it starts', async () => {
    const queue = manualQueue();
    harness = await startHarness({ build: [{ gate: 'go' }, { log: 'built' }], builder: { queue } });
    const h = harness;
    const first = (await postJson(`${h.url}/build`, { service: 'app', push: false })).body.id as string;
    const running = h.builder.execute(first);
    await h.build.reached('go');
    const second = (await postJson(`${h.url}/build`, { service: 'app', push: false })).body.id as string;

    const events: ParsedEvent[] = [];
    const reading = readEvents(`${h.url}/build/${second}/logs`, { until: (seen) => (events.splice(0, events.length, ...seen), false) });
    // Should an assertion below fail, the harness closing the stream is no second error.
    reading.catch(() => undefined);
    await eventually(async () => (await h.builder.store.health()).details?.eventFollowers === 1, 5_000, 'the stream to follow the job');
    expect(await h.builder.execute(second)).toBeNull();
    await eventually(() => events.some((event) => label(event) === `state queued waiting for ${first}`) || undefined, 5_000, 'the waiting state');
    expect(events.map(label)).toEqual(['state queued', 'time', `[docker-builder] waiting for ${first} (build of app)`, `state queued waiting for ${first}`]);

    h.build.open('go');
    await running;
    // The slot freed: the builder handed the waiting job over again.
    await eventually(() => queue.delivered.filter((ref) => ref.id === second).length === 2 || undefined, 5_000, 'the job handed over again');
    await h.builder.execute(second);
    expect((await reading).events.map(label).slice(4)).toEqual(['state running', 'time', 'built', 'state done', 'end done']);
  });
});
