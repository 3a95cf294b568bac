/**
 * A job's log stream also carries its `state` and `progress`: the job as it is now first, then
 * each change after the lines its log held when it happened, even while the client is still
 * being sent older lines; without an `id`, so `Last-Event-ID` stays a line index.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { parseEvents } from './openapi-conformance.js';
import { postJson, readEvents, startHarness, type Harness, type ParsedEvent } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const label = (event: { event: string; data: string }) => {
  if (event.event === 'message') return event.data;
  if (event.event === 'time') return `time from ${(JSON.parse(event.data) as { from: number }).from}`;
  const job = JSON.parse(event.data) as { state: string; progress: number };
  return `${event.event} ${job.state} ${job.progress}`;
};

describe('state and progress in the log stream', () => {
  it('puts each change after the lines logged before it, live', async () => {
    harness = await startHarness({
      build: [{ log: 'a' }, { gate: 'go' }, { sleep: 30 }, { progress: 10 }, { log: 'b' }, { sleep: 30 }, { progress: 20 }, { log: 'c' }, { sleep: 30 }, { result: { ok: true } }],
    });
    const h = harness;
    const id = (await postJson(`${h.url}/build`, { service: 'x' })).body.id;
    await h.build.reached('go');
    const reading = readEvents(`${h.url}/build/${id}/logs`);
    await eventually(async () => (await h.builder.store.health()).details?.eventFollowers === 1, 5_000, 'the stream to follow the job');
    h.build.open('go');
    const { events } = await reading;
    expect(events.map(label)).toEqual([
      'state running 0',
      'time from 0',
      'a',
      'progress running 10',
      'time from 1',
      'b',
      'progress running 20',
      'time from 2',
      'c',
      'state done 100',
      `end done 100`,
    ]);
    expect(events.filter((event) => event.event !== 'message').every((event) => event.id === undefined)).toBe(true);
  });

  it('holds a change back until the client has been sent the lines before it', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(80)}`);
    harness = await startHarness({
      build: [{ log: lines }, { gate: 'go' }, { progress: 50 }, { gate: 'end' }, { log: 'last' }],
      // Lines a page at a time, as the Redis store reads them: between pages the job's change is there to be sent first.
      wrap: (builder) => ({
        ...builder,
        followLogs: (jobId, options) =>
          (async function* () {
            for await (const entry of builder.followLogs(jobId, options)) {
              if (entry.index % 1_000 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
              yield entry;
            }
          })(),
      }),
    });
    const h = harness;
    const id = (await postJson(`${h.url}/build`, { service: 'x' })).body.id;
    await h.build.reached('go');
    await eventually(async () => (await h.builder.readLogs(id, { limit: 0 })).total === lines.length, 5_000, 'every line stored');

    // A client that reads nothing yet: the server can send only what the socket takes, far from line 20 000.
    const { port, pathname } = new URL(`${h.url}/build/${id}/logs`);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.pause();
    await eventually(async () => (await h.builder.store.health()).details?.eventFollowers === 1, 5_000, 'the stream to follow the job');
    h.build.open('go');
    await eventually(async () => (await h.builder.get(id)).progress === 50, 5_000, 'progress 50 stored');
    h.build.open('end');

    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.resume();
    await eventually(() => text.includes('event: end'), 10_000, 'the end event');
    socket.destroy();
    // Times aside: the lines were stored in batches, as many runs as the store's clock tells apart.
    const events = (parseEvents(text.slice(text.indexOf('\r\n\r\n') + 4).replace(/\r?\n[0-9a-f]+\r\n/g, '\n')) as ParsedEvent[]).filter(
      (event) => event.event !== 'time',
    );
    const named = events.map((event, index) => ({ index, label: label(event) })).filter((event) => !event.label.startsWith('line '));
    expect(named.map((event) => event.label)).toEqual(['state running 0', 'progress running 50', 'last', 'state done 100', 'end done 100']);
    // Right after the last of the 20 000 lines logged before it, not among them.
    expect(named[1]!.index).toBe(lines.length + 1);
    expect(events.filter((event) => event.event === 'message')).toHaveLength(lines.length + 1);
  });

  it('starts again with the job as it is now after a reconnect, and lines from Last-Event-ID', async () => {
    harness = await startHarness({ build: [{ log: ['a', 'b'] }, { progress: 30 }, { gate: 'go' }, { log: 'c' }] });
    const h = harness;
    const id = (await postJson(`${h.url}/build`, { service: 'x' })).body.id;
    await h.build.reached('go');
    const first = await readEvents(`${h.url}/build/${id}/logs`, { maxEvents: 2 });
    expect(first.events.map(label)).toEqual(['state running 30', 'time from 0', 'a', 'b']);
    h.build.open('go');
    const second = await readEvents(`${h.url}/build/${id}/logs`, { lastEventId: first.lastId });
    expect(second.events.map(label)[0]).toMatch(/^state (running 30|done 100)$/);
    expect(second.events.filter((event) => event.event === 'message').map((event) => event.data)).toEqual(['c']);
    // The resumed stream says when the line it resumes at was stored.
    expect(second.events.filter((event) => event.event === 'message' || event.event === 'time').map(label)).toEqual(['time from 2', 'c']);
    expect(second.events.at(-1)!.event).toBe('end');
  });
});
