/** The router's `onStream` hook: each log stream is counted once when it starts and once when it ends, however it ends. */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import type { StreamChange } from '@docker-builder/http-express';
import { postJson, readEvents, startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function counter() {
  const changes: StreamChange[] = [];
  const open = (format: StreamChange['format']) => changes.filter((c) => c.format === format).reduce((sum, c) => sum + c.delta, 0);
  return { changes, open, onStream: (change: StreamChange) => void changes.push(change) };
}

/** A client that holds a stream open, reading nothing more, until it hangs up. */
async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body!.getReader();
  await reader.read(); // the first chunk: the stream has started
  return {
    close() {
      controller.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}

describe('onStream', () => {
  it('counts an SSE client while it follows a running job, and not after it hangs up', async () => {
    const streams = counter();
    harness = await startHarness({ build: [{ log: ['one', 'two'] }, { gate: 'finish' }, { log: 'three' }], router: { onStream: streams.onStream } });
    const { body } = await postJson(`${harness.url}/build`, { service: 'web' });
    await harness.build.reached('finish');

    // Two clients follow; one hangs up while the job runs, the other stays to the end.
    const leaving = await openStream(`${harness.url}/build/${body.id}/logs`);
    const staying = readEvents(`${harness.url}/build/${body.id}/logs`);
    await eventually(() => streams.open('sse') === 2, 5_000, 'both streams to be counted');
    leaving.close();
    await eventually(() => streams.open('sse') === 1, 5_000, 'the hung-up client to be uncounted');

    harness.build.open('finish');
    const { events } = await staying;
    expect(events.at(-1)!.event).toBe('end');
    await eventually(() => streams.open('sse') === 0, 5_000, 'the ended stream to be uncounted');
    expect(streams.changes).toEqual([
      { format: 'sse', delta: 1 },
      { format: 'sse', delta: 1 },
      { format: 'sse', delta: -1 },
      { format: 'sse', delta: -1 },
    ]);
  });

  it('counts event feed clients as "events", while they stay', async () => {
    const streams = counter();
    harness = await startHarness({ router: { onStream: streams.onStream } });
    const first = await openStream(`${harness.url}/events`);
    const second = await openStream(`${harness.url}/events?kind=build`);
    await eventually(() => streams.open('events') === 2, 5_000, 'both feed clients to be counted');
    expect(streams.open('sse')).toBe(0);
    first.close();
    second.close();
    await eventually(() => streams.open('events') === 0, 5_000, 'the feed clients to be uncounted');
    expect(streams.changes.filter((c) => c.format === 'events')).toHaveLength(4);
    expect((await harness.builder.store.health()).details?.eventFollowers).toBe(0);
    const refused = await fetch(`${harness.url}/events?state=nope`);
    expect(refused.status).toBe(400);
    expect(streams.changes).toHaveLength(4);
  });

  it('counts logs.txt downloads, and nothing for a stream that never started', async () => {
    const streams = counter();
    harness = await startHarness({ router: { onStream: streams.onStream } });
    const { body } = await postJson(`${harness.url}/build`, { service: 'web' });
    await jobEnded(harness.builder, body.id);

    const text = await fetch(`${harness.url}/build/${body.id}/logs.txt`);
    expect(await text.text()).toBe('Step 1/1 : FROM scratch\n');
    await eventually(() => streams.changes.length === 2, 5_000, 'the download to be counted and uncounted');
    expect(streams.changes).toEqual([
      { format: 'text', delta: 1 },
      { format: 'text', delta: -1 },
    ]);

    const missing = await fetch(`${harness.url}/build/0190a000-0000-7000-8000-000000000000/logs`);
    expect(missing.status).toBe(404);
    const bad = await fetch(`${harness.url}/build/${body.id}/logs?from=-1`);
    expect(bad.status).toBe(400);
    expect(streams.changes).toHaveLength(2);
  });
});
