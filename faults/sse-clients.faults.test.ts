/**
 * 2,000 clients of the log routes that connect and drop at random moments (before the headers,
 * after a few events, half-closed, paused while the server waits to drain), 100 at a time,
 * against a real server and a Redis store while jobs write lines. When they are gone and the
 * jobs have ended, the server's timers and sockets and the store's Redis subscriptions and
 * connections are back to their starting counts, and so is the router's count of open streams
 * (the metrics' `log_stream_clients`).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { createBuilder, type Builder, type RunContext, type Runner } from '@docker-builder/core';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../test-support/prefix.js';

const CLIENTS = 2_000;
const AT_ONCE = 100;
/** A client still connected after this long counts as stuck (the server never let it go). */
const CLIENT_DEADLINE_MS = 10_000;

const prefix = uniquePrefix('sse-faults');
// A name of our own, so CLIENT LIST counts this suite's connections and not its neighbours'.
const connectionName = `dbt-sse-faults-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * A job per service: a short finished log, a long finished log (4 MB), or two lines every 10 ms
 * until cancelled. Not the scripted runner: its sleep step leaves an abort listener behind per
 * step, which thousands of steps would turn into a warning of its own.
 */
const ticker: Runner<'build'> = {
  name: 'ticker',
  kind: 'build',
  async run(spec, context) {
    if (spec.service === 'short') for (let i = 0; i < 50; i += 1) context.log(`short ${i}`);
    else if (spec.service === 'long') for (let i = 0; i < 20_000; i += 1) context.log(`long ${i} ${'x'.repeat(200)}`);
    else await tickUntilAborted(context);
    return { ok: true };
  },
  health: async () => ({ name: 'ticker', ok: true }),
};

function tickUntilAborted(context: RunContext): Promise<never> {
  return new Promise((_resolve, reject) => {
    let tick = 0;
    const timer = setInterval(() => {
      context.log(`tick ${tick}\ntock ${tick}`);
      tick += 1;
    }, 10);
    context.signal.addEventListener('abort', () => {
      clearInterval(timer);
      reject(new Error('cancelled'));
    }, { once: true });
  });
}

let redis: Redis;
let builder: Builder;
let server: http.Server;
let port: number;
let admin: Redis;
/** What the router's onStream hook reported: streams open now, and ever opened. */
const streams = { open: 0, opened: 0 };

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { connectionName, maxRetriesPerRequest: 2 });
  admin = new Redis(inject('redisUrl'));
  builder = createBuilder({
    store: createRedisJobStore({ redis, prefix, pollIntervalMs: 200 }),
    runners: { build: ticker },
    logs: { flushIntervalMs: 5 },
    progressIntervalMs: 0,
    concurrency: 4,
  });
  const app = express();
  app.use(
    '/api',
    createBuilderRouter(builder, {
      onError: () => undefined,
      sseHeartbeatSeconds: 0.2,
      onStream: (change) => {
        streams.open += change.delta;
        if (change.delta > 0) streams.opened += 1;
      },
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await builder?.close({ deadlineMs: 100 });
  await redis?.quit();
  await admin?.quit();
});

/** How a client leaves. */
type Drop =
  | { at: 'connect'; afterMs: number }
  | { at: 'events'; count: number }
  | { at: 'half-close'; count: number }
  | { at: 'paused'; afterMs: number }
  | { at: 'end' };

interface ClientPlan {
  path: string;
  lastEventId?: number;
  drop: Drop;
}

/** A deterministic generator, so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function plans(ids: { running: string[]; short: string; long: string }, random: () => number): ClientPlan[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  return Array.from({ length: CLIENTS }, (): ClientPlan => {
    const roll = random();
    const running = `/api/build/${pick(ids.running)}`;
    if (roll < 0.25) return { path: `${running}/logs`, drop: { at: 'connect', afterMs: between(0, 3) } };
    if (roll < 0.5) return { path: `${running}/logs`, drop: { at: 'events', count: between(1, 10) } };
    if (roll < 0.6) return { path: `${running}/logs`, drop: { at: 'half-close', count: between(1, 5) } };
    if (roll < 0.75) {
      const resume = random() < 0.5 ? between(0, 15_000) : undefined;
      return { path: `/api/build/${ids.long}/logs`, lastEventId: resume, drop: { at: 'paused', afterMs: between(5, 60) } };
    }
    if (roll < 0.85) return { path: `/api/build/${ids.short}/logs`, drop: { at: 'end' } };
    if (roll < 0.95) return { path: `/api/build/${ids.long}/logs.txt`, drop: { at: 'paused', afterMs: between(5, 60) } };
    return { path: `/api/build/${ids.long}/logs.txt`, drop: { at: 'connect', afterMs: between(0, 3) } };
  });
}

/** One raw HTTP client: resolves once its socket is closed, whoever closed it; false if it had to be cut at the deadline. */
function runClient(plan: ClientPlan): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let settled = false;
    const finish = (inTime: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve(inTime);
    };
    const deadline = setTimeout(() => finish(false), CLIENT_DEADLINE_MS);
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    const resume = plan.lastEventId === undefined ? '' : `Last-Event-ID: ${plan.lastEventId}\r\n`;
    socket.write(`GET ${plan.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${resume}\r\n`);

    const { drop } = plan;
    if (drop.at === 'connect') {
      setTimeout(() => finish(true), drop.afterMs);
      return;
    }
    let events = 0;
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      tail = text.slice(-16);
      events += text.split('\ndata: ').length - 1;
      if (drop.at === 'paused') {
        // Stop reading: the server fills the socket and waits for a drain that this client never allows.
        socket.pause();
        setTimeout(() => finish(true), drop.afterMs);
      } else if (drop.at === 'events' && events >= drop.count) finish(true);
      else if (drop.at === 'half-close' && events >= drop.count) socket.end();
      else if (drop.at === 'end' && text.includes('event: end')) finish(true);
    });
  });
}

async function inBatches<T>(items: T[], atOnce: number, work: (item: T) => Promise<boolean>): Promise<number> {
  let next = 0;
  let late = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      if (!(await work(item))) late += 1;
    }
  };
  await Promise.all(Array.from({ length: atOnce }, lane));
  return late;
}

const counts = () => {
  const resources = process.getActiveResourcesInfo();
  return { timers: resources.filter((r) => r === 'Timeout').length, sockets: resources.filter((r) => r === 'TCPSocketWrap').length };
};
const connectionsOf = (srv: http.Server) => new Promise<number>((resolve, reject) => srv.getConnections((error, n) => (error ? reject(error) : resolve(n))));
const ourRedisClients = async () => ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${connectionName} `)).length;
const ourChannels = async () => (await admin.pubsub('CHANNELS', `${prefix}*`)) as string[];
const submit = async (service: string) => (await builder.submitBuild({ service, push: false })).id;

describe('2,000 SSE clients that drop at random moments', () => {
  it('leave the server and Redis as they found them', { timeout: 60_000 }, async () => {
    const short = await submit('short');
    const long = await submit('long');
    await jobEnded(builder, short);
    await jobEnded(builder, long);
    // One full read first, so the store's shared subscriber connection is part of the start.
    expect(await runClient({ path: `/api/build/${short}/logs`, drop: { at: 'end' } })).toBe(true);
    await eventually(async () => (await connectionsOf(server)) === 0);
    const start = { ...counts(), redisClients: await ourRedisClients(), channels: await ourChannels() };
    expect(start.channels).toEqual([]);

    const running = [await submit('running-a'), await submit('running-b')];
    await eventually(async () => (await Promise.all(running.map((id) => builder.get(id)))).every((job) => job.state === 'running'));
    const late = await inBatches(plans({ running, short, long }, seededRandom(20_251_025)), AT_ONCE, runClient);
    expect(late, 'clients the server never let go').toBe(0);

    for (const id of running) await builder.cancel(id);
    await Promise.all(running.map((id) => jobEnded(builder, id)));
    await eventually(async () => (await connectionsOf(server)) === 0, 10_000, 'the server to have no connection left');
    expect(streams.opened, 'streams that started').toBeGreaterThan(CLIENTS / 4);
    expect(streams.open, 'streams counted as open with no client left').toBe(0);
    await eventually(async () => (await ourChannels()).length === 0, 10_000, `no Redis channel under ${prefix} subscribed`);
    for (const id of [...running, short, long]) {
      expect(((await admin.pubsub('NUMSUB', `${prefix}job:${id}:events`)) as [string, number])[1]).toBe(0);
    }
    await eventually(() => counts().timers <= start.timers, 10_000, `active timers back to ${start.timers}`);
    await eventually(() => counts().sockets <= start.sockets, 10_000, `open sockets back to ${start.sockets}`);
    expect(await ourRedisClients()).toBeLessThanOrEqual(start.redisClients);
  });
});
