/**
 * Redis restarted while many followers of a job's log share one reader (store-redis's
 * log-follow-hub.ts). A restart shorter than `followOutageMs` is waited out: every follower
 * still gets every line once, in order, and no error. A longer outage fails the followers with
 * StoreUnavailableError, and following again from the last line each saw (as an EventSource
 * does with Last-Event-ID) gives the rest, nothing lost or repeated.
 */
import { afterEach, expect, it } from 'vitest';
import { StoreUnavailableError, type JobStore, type LogEntry } from '@docker-builder/core';
import { collect, delay, eventually, newJob } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { startRedisServer, type RedisServer } from '../test-support/redis-server.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const at = () => new Date().toISOString();
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => `line ${from + i}`);
// Every line with its time, read back across the restart too.
const entries = (from: number, to: number): LogEntry[] =>
  Array.from({ length: to - from }, (_, i) => ({ index: from + i, line: `line ${from + i}`, at: expect.any(Number) as number }));
const STARTS = [0, 0, 5, 40, 79, 80, 90, 200];

async function setUp(followOutageMs: number): Promise<{ server: RedisServer; reader: JobStore; writer: JobStore; id: string }> {
  // appendonly, so the log written before the restart is there after it.
  const server = await startRedisServer({ appendOnly: true });
  closers.push(() => server.stop());
  const prefix = 'restart:';
  // The followers' store and the writer's are separate instances, as an API server and a worker are.
  const reader = createRedisJobStore({ redis: server.url, prefix, pollIntervalMs: 100, followOutageMs });
  const writer = createRedisJobStore({ redis: server.url, prefix });
  closers.push(() => reader.close(), () => writer.close());
  const job = await writer.create(newJob('build'));
  await writer.transition(job.id, { from: ['queued'], to: 'running', at: at() });
  await writer.appendLogs(job.id, lines(0, 80), { attempt: 1 });
  return { server, reader, writer, id: job.id };
}

/** Appends until Redis takes the batch: the writer's own connection comes back in its own time. */
async function appendWhenBack(writer: JobStore, id: string, batch: string[]) {
  await eventually(() => writer.appendLogs(id, batch, { attempt: 1 }).catch(() => undefined), 20_000, 'Redis to take lines again');
}

it('waits out a Redis restart: every follower gets every line once, in order, and no error', async () => {
  const { server, reader, writer, id } = await setUp(30_000);
  const seen = STARTS.map(() => [] as LogEntry[]);
  const following = STARTS.map(async (from, i) => {
    for await (const entry of reader.followLogs(id, { from })) seen[i]!.push(entry);
  });
  await eventually(() => seen.every((got, i) => got.length >= Math.max(0, 80 - STARTS[i]!)), 10_000, 'the followers to catch up');

  await server.halt();
  // Long enough for the reader's polls to fail against the stopped server.
  await delay(1_500);
  await server.restart();
  await appendWhenBack(writer, id, lines(80, 70));
  await writer.appendLogs(id, lines(150, 100), { attempt: 1 });
  await writer.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });

  await Promise.all(following);
  seen.forEach((got, i) => expect(got).toEqual(entries(STARTS[i]!, 250)));
});

it('fails the followers when Redis stays away longer than followOutageMs; following again from where each stopped misses nothing', async () => {
  const { server, reader, writer, id } = await setUp(300);
  const seen = STARTS.map(() => [] as LogEntry[]);
  const failures = STARTS.map(async (from, i) => {
    try {
      for await (const entry of reader.followLogs(id, { from })) seen[i]!.push(entry);
      return undefined;
    } catch (error) {
      return error;
    }
  });
  await eventually(() => seen.every((got, i) => got.length >= Math.max(0, 80 - STARTS[i]!)), 10_000, 'the followers to catch up');

  await server.halt();
  for (const failure of await Promise.all(failures)) expect(failure).toBeInstanceOf(StoreUnavailableError);
  await server.restart();
  await appendWhenBack(writer, id, lines(80, 70));
  await writer.transition(id, { from: ['running'], to: 'done', at: at(), attempt: 1 });

  const resumed = await Promise.all(
    seen.map(async (got, i) => {
      const from = got.length > 0 ? got.at(-1)!.index + 1 : STARTS[i]!;
      return eventually(() => collect(reader.followLogs(id, { from })).catch(() => undefined), 20_000, 'the store to reconnect');
    }),
  );
  resumed.forEach((rest, i) => expect([...seen[i]!, ...rest]).toEqual(entries(STARTS[i]!, 150)));
});
