/**
 * A source that fails after the 200 headers went out: the SSE stream says so with an `error`
 * event and ends, rather than stopping mid-air; a text body is cut off, so it cannot pass for
 * the whole log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError, type Builder } from '@docker-builder/core';
import { jobEnded } from '@docker-builder/core/testing';
import { postJson, readEvents, startHarness, type Harness } from './harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

/** Follows the real log for `lines` lines, then throws what `failure` makes. */
function failingFollow(lines: number, failure: () => unknown) {
  return (builder: Builder): Builder => ({
    ...builder,
    followLogs: (id, options) =>
      (async function* () {
        let sent = 0;
        for await (const entry of builder.followLogs(id, options)) {
          yield entry;
          sent += 1;
          if (sent === lines) throw failure();
        }
      })(),
  });
}

describe('a source that fails mid-stream', () => {
  it('sends an error event with the error\'s code and message, then ends the SSE stream', async () => {
    harness = await startHarness({
      build: [{ log: ['one', 'two', 'three'] }],
      wrap: failingFollow(2, () => new StoreUnavailableError('Redis is unreachable (ECONNREFUSED).')),
    });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await jobEnded(harness.builder, id);
    const { response, events } = await readEvents(`${harness.url}/build/${id}/logs`);
    expect(response.status).toBe(200);
    expect(events.filter((e) => e.event !== 'state' && e.event !== 'time')).toEqual([
      { id: '0', event: 'message', data: 'one' },
      { id: '1', event: 'message', data: 'two' },
      { event: 'error', data: JSON.stringify({ error: { code: 'STORE_UNAVAILABLE', message: 'Redis is unreachable (ECONNREFUSED).' } }) },
    ]);
  });

  it('hides an unexpected error\'s message from the client and hands the error to onError', async () => {
    const reported: unknown[] = [];
    harness = await startHarness({
      build: [{ log: ['one', 'two'] }],
      wrap: failingFollow(1, () => new TypeError('lines is not iterable (redis://:hunter2@10.0.0.1)')),
      router: { onError: (error) => reported.push(error) },
    });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await jobEnded(harness.builder, id);
    const { events } = await readEvents(`${harness.url}/build/${id}/logs`);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: JSON.stringify({ error: { code: 'INTERNAL', message: 'Something went wrong on the server; its log has the details.' } }),
    });
    expect(JSON.stringify(events)).not.toContain('hunter2');
    expect(reported).toEqual([expect.objectContaining({ message: expect.stringContaining('lines is not iterable') })]);
  });

  it('cuts a text log off when a later page cannot be read, so it never looks complete', async () => {
    const lines = Array.from({ length: 1_500 }, (_, i) => `line ${i}`);
    harness = await startHarness({
      build: [{ log: lines }],
      wrap: (builder) => ({
        ...builder,
        readLogs: async (id, options) => {
          if ((options?.from ?? 0) > 0) throw new StoreUnavailableError('Redis is unreachable.');
          return builder.readLogs(id, options);
        },
      }),
    });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await jobEnded(harness.builder, id);
    const response = await fetch(`${harness.url}/build/${id}/logs.txt`);
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const reading = (async () => {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value;
    })();
    await expect(reading).rejects.toThrow();
    expect(received).toBe(`${lines.slice(0, 1_000).join('\n')}\n`);
  });
});
