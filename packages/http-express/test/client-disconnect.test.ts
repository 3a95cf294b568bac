/**
 * Clients that hang up: a UI reload, a proxy timeout, a load-balancer probe. Whenever one goes
 * (while the route still awaits the store, or mid-stream), the server keeps nothing for it: no
 * heartbeat timer, no follower, no Redis subscription, no reads of the log.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import type { Builder } from '@docker-builder/core';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { postJson, readEvents, startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
let redis: Redis | undefined;
afterEach(async () => {
  await harness?.close();
  await redis?.quit();
});

/**
 * Holds every `builder.get` at a gate while `holding` is set, so a test can hang up clients
 * while their route is certainly still awaiting the job: a wrapper, because no real store is
 * slow on demand. Counts log reads too.
 */
function gatedGets() {
  const gate = { holding: false, held: 0, logReads: 0, release: () => undefined as void };
  let released = Promise.resolve();
  return {
    gate,
    hold() {
      gate.holding = true;
      released = new Promise((resolve) => (gate.release = () => resolve()));
    },
    wrap: (builder: Builder): Builder => ({
      ...builder,
      get: async (id) => {
        if (gate.holding) {
          gate.held += 1;
          await released;
        }
        return builder.get(id);
      },
      lastEventId: async () => {
        if (gate.holding) {
          gate.held += 1;
          await released;
        }
        return builder.lastEventId();
      },
      readLogs: (id, options) => {
        gate.logReads += 1;
        return builder.readLogs(id, options);
      },
    }),
  };
}

async function startWithRedis(gets: ReturnType<typeof gatedGets>) {
  const prefix = uniquePrefix('hangup');
  // A name of our own, so CLIENT LIST counts this test's connections and not its neighbours'.
  const connectionName = `dbt-hangup-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  redis = new Redis(inject('redisUrl'), { connectionName, maxRetriesPerRequest: 2 });
  const store = createRedisJobStore({ redis, prefix, pollIntervalMs: 200 });
  harness = await startHarness({ build: [{ log: ['one', 'two'] }, { gate: 'finish' }, { log: 'three' }], builder: { store }, wrap: gets.wrap });
  const admin = redis;
  return {
    store,
    channel: (id: string) => `${prefix}job:${id}:events`,
    subscribers: async (channel: string) => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1],
    connections: async () => ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${connectionName} `)).length,
  };
}

const activeTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

function rawGet(url: string): net.Socket {
  const { port, pathname } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return socket;
}

const firstBytes = (socket: net.Socket) => new Promise((resolve) => socket.once('data', resolve));

/** Counts the connections of requests made from now on that are still open, on the server's side. */
function watchConnections(harness: Harness): () => number {
  let open = 0;
  harness.server.on('request', (req: IncomingMessage) => {
    open += 1;
    req.socket.once('close', () => (open -= 1));
  });
  return () => open;
}

describe('clients that hang up', () => {
  it('leave no timer, follower or subscription behind on the SSE route, whether they left before the headers or after', async () => {
    const gets = gatedGets();
    const redisSide = await startWithRedis(gets);
    const h = harness!;
    const id = (await postJson(`${h.url}/build`, { service: 'x' })).body.id;
    await h.build.reached('finish');
    const logsUrl = `${h.url}/build/${id}/logs`;
    // One stream read and dropped first, so the store's subscriber connection is in the baseline.
    await readEvents(logsUrl, { maxEvents: 2 });
    const openConnections = watchConnections(h);
    const baseline = { timers: activeTimers(), connections: await redisSide.connections() };

    const streaming = Array.from({ length: 50 }, () => rawGet(logsUrl));
    await Promise.all(streaming.map(firstBytes));
    gets.hold();
    const waiting = Array.from({ length: 150 }, () => rawGet(logsUrl));
    await eventually(() => gets.gate.held === waiting.length, 5_000, 'every route to await the job');
    for (const socket of [...streaming, ...waiting]) socket.destroy();
    await eventually(() => openConnections() === 0, 5_000, 'the server to see every client go');
    gets.gate.holding = false;
    gets.gate.release();

    h.build.open('finish');
    await jobEnded(h.builder, id);
    // The job's own cancel watcher listened on this channel until the job ended; nothing else may.
    await eventually(async () => (await redisSide.subscribers(redisSide.channel(id))) === 0, 5_000, 'no subscriber left on the job channel');
    await eventually(() => activeTimers() <= baseline.timers, 5_000, `active timers back to ${baseline.timers}`);
    expect(await redisSide.connections()).toBeLessThanOrEqual(baseline.connections);
  });

  it('leave no follower, reader connection or timer behind on the event feed, whether they left before the headers or after', async () => {
    const gets = gatedGets();
    const redisSide = await startWithRedis(gets);
    const h = harness!;
    const openConnections = watchConnections(h);
    const baseline = { timers: activeTimers(), connections: await redisSide.connections() };

    const streaming = Array.from({ length: 50 }, (_, i) => rawGet(`${h.url}/events${i % 2 ? '?kind=build' : ''}`));
    await Promise.all(streaming.map(firstBytes));
    await eventually(async () => (await redisSide.store.health()).details?.eventFollowers === 50, 5_000, 'every client to follow');
    // One reader for all fifty.
    expect(await redisSide.connections()).toBe(baseline.connections + 1);
    gets.hold();
    const waiting = Array.from({ length: 150 }, () => rawGet(`${h.url}/events`));
    await eventually(() => gets.gate.held === waiting.length, 5_000, 'every route to await the feed position');
    for (const socket of [...streaming, ...waiting]) socket.destroy();
    await eventually(() => openConnections() === 0, 5_000, 'the server to see every client go');
    gets.gate.holding = false;
    gets.gate.release();

    await eventually(async () => (await redisSide.store.health()).details?.eventFollowers === 0, 5_000, 'no follower left');
    await eventually(async () => (await redisSide.connections()) <= baseline.connections, 5_000, `Redis connections back to ${baseline.connections}`);
    await eventually(() => activeTimers() <= baseline.timers, 5_000, `active timers back to ${baseline.timers}`);
    h.build.open('finish');
  });

  it('reads no log for a logs.txt client that left while the route awaited the job', async () => {
    const gets = gatedGets();
    await startWithRedis(gets);
    const h = harness!;
    const id = (await postJson(`${h.url}/build`, { service: 'x' })).body.id;
    await h.build.reached('finish');
    const openConnections = watchConnections(h);
    gets.hold();
    const waiting = Array.from({ length: 50 }, () => rawGet(`${h.url}/build/${id}/logs.txt`));
    await eventually(() => gets.gate.held === waiting.length, 5_000, 'every route to await the job');
    for (const socket of waiting) socket.destroy();
    await eventually(() => openConnections() === 0, 5_000, 'the server to see every client go');
    gets.gate.holding = false;
    gets.gate.release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gets.gate.logReads).toBe(0);
    h.build.open('finish');
  });
});
