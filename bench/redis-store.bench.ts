/**
 * Redis store benchmark (not a test): `pnpm bench`.
 * 1. Log lines per second through RedisJobStore.appendLogs (batches of 500, one write in
 *    flight, as the lifecycle writes), against raw pipelined RPUSH and XADD from this process.
 * 2. Latency of listing the newest 50 jobs with 1,000 and 100,000 jobs, against a raw
 *    ZREVRANGE + pipelined HGETALL of the same 50.
 * Starts its own redis-server, so nothing else shares it.
 */
import os from 'node:os';
import { Redis } from 'ioredis';
import { newJob } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { startRedisServer } from '../test-support/redis-server.js';

const LINES = 200_000;
const BATCH = 500;
const line = (i: number) => `#12 [build 4/7] RUN npm ci --omit=dev  ${i} added 412 packages in 9s`;

const server = await startRedisServer();
const redis = new Redis(server.url);

async function linesPerSecond(write: (batch: string[]) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < LINES; i += BATCH) await write(Array.from({ length: BATCH }, (_, k) => line(i + k)));
  return LINES / (Number(process.hrtime.bigint() - started) / 1e9);
}

const store = createRedisJobStore({ redis: server.url, prefix: 'bench:' });
const job = await store.create(newJob('build'));
await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
const throughStore = await linesPerSecond((batch) => store.appendLogs(job.id, batch, { attempt: 1 }));
const rawRpush = await linesPerSecond((batch) => redis.rpush('raw:logs', ...batch));
const rawXadd = await linesPerSecond((batch) => {
  const pipeline = redis.pipeline();
  for (const entry of batch) pipeline.xadd('raw:stream', '*', 'line', entry);
  return pipeline.exec();
});

async function latency(run: () => Promise<unknown>, times = 300) {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(times / 2)]!, p95: samples[Math.floor(times * 0.95)]! };
}

const listRows: string[] = [];
for (const count of [1_000, 100_000]) {
  const prefix = `list${count}:`;
  const listStore = createRedisJobStore({ redis: server.url, prefix });
  const start = Date.parse('2025-10-25T00:00:00Z');
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, k) => listStore.create(newJob('build', { at: new Date(start + i + k) }))));
  }
  const ours = await latency(() => listStore.list({ limit: 50 }));
  const filtered = await latency(() => listStore.list({ limit: 50, kind: 'build', states: ['queued'] }));
  const raw = await latency(async () => {
    const ids = await redis.zrevrange(`${prefix}jobs:ids`, 0, 49);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(`${prefix}job:${id}`);
    await pipeline.exec();
  });
  listRows.push(
    `| ${count.toLocaleString('en')} jobs | ${ours.median.toFixed(2)} / ${ours.p95.toFixed(2)} | ${filtered.median.toFixed(2)} / ${filtered.p95.toFixed(2)} | ${raw.median.toFixed(2)} / ${raw.p95.toFixed(2)} | ${(ours.median / raw.median).toFixed(2)}× |`,
  );
  await listStore.close();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
process.stdout.write(`Redis store benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${version}

Log lines per second (${LINES.toLocaleString('en')} lines in batches of ${BATCH}, one batch in flight):

| path | lines/s | vs raw RPUSH |
|---|---|---|
| RedisJobStore.appendLogs (Lua: fence check + RPUSH + PUBLISH) | ${fmt(throughStore)} | ${(throughStore / rawRpush).toFixed(2)}× |
| raw RPUSH, ${BATCH} lines per command | ${fmt(rawRpush)} | 1.00× |
| raw XADD, pipelined ${BATCH} deep | ${fmt(rawXadd)} | ${(rawXadd / rawRpush).toFixed(2)}× |

Newest 50 jobs, milliseconds (median / p95 of 300 calls):

| jobs | RedisJobStore.list | list filtered by kind+state | raw ZREVRANGE + HGETALL×50 | store / raw |
|---|---|---|---|---|
${listRows.join('\n')}
`);

await store.close();
redis.disconnect();
await server.stop();
