import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync, deflateSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createRedisJobStore, runLogDoctor } from '@docker-builder/store-redis';
import { collect, newJob } from '@docker-builder/core/testing';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { FROM_SOURCE } from '../../../test-support/from-source.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

let prefix: string;
let seedPrefix: string;
beforeEach(() => {
  prefix = uniquePrefix('doctor');
  seedPrefix = uniquePrefix('seed');
});

const seedLines = ['Step 1/3 : FROM python:3.11', 'Successfully built 3f2a', '\u001b[32mok\u001b[0m'];

/** Writes jobs exactly as the Python service did: a hash with id, state and a JSON-array `logs`. */
async function seedJobs() {
  const ids = { json: randomUUID(), gzip: randomUUID(), zlib: randomUUID(), binary: randomUUID(), deploy: randomUUID() };
  const json = Buffer.from(JSON.stringify(seedLines));
  await redis.hset(`${seedPrefix}job:${ids.json}`, 'id', ids.json, 'state', 'done', 'logs', json);
  await redis.hset(`${seedPrefix}job:${ids.gzip}`, 'id', ids.gzip, 'state', 'error', 'logs', gzipSync(json));
  await redis.hset(`${seedPrefix}job:${ids.zlib}`, 'id', ids.zlib, 'state', 'done', 'logs', deflateSync(json));
  await redis.hset(`${seedPrefix}job:${ids.binary}`, 'id', ids.binary, 'state', 'running', 'logs', Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a, 0x42]));
  await redis.hset(`${seedPrefix}job:${ids.deploy}`, 'id', ids.deploy, 'state', 'done', 'logs', JSON.stringify(['PROGRESS 100', 'Simulation complete']));
  await redis.hset(`${seedPrefix}deploy:${ids.deploy}`, 'mappings', JSON.stringify({ 'rag-service': 'r/rag-service:1' }), 'user', 'alice');
  await redis.sadd(`${seedPrefix}jobs:ids`, ...Object.values(ids));
  return ids;
}

describe('log doctor', () => {
  it('reports logs of ours that hold gzip, zlib or binary values, and changes nothing in a dry run', async () => {
    const store = createRedisJobStore({ redis, prefix });
    const clean = await store.create(newJob('build'));
    const dirty = await store.create(newJob('build'));
    await store.appendLogs(clean.id, ['fine']);
    await redis.rpush(`${prefix}job:${dirty.id}:logs`, 'fine', gzipSync('zipped 1\nzipped 2'), Buffer.from([0x41, 0x00, 0xc3]));
    const report = await runLogDoctor({ redis, prefix });
    expect(report.scanned).toBe(2);
    expect(report.findings).toEqual([{ jobId: dirty.id, layout: 'ours', kinds: { text: 1, gzip: 1, binary: 1 }, action: 'would fix' }]);
    expect(await redis.llen(`${prefix}job:${dirty.id}:logs`)).toBe(3);
  });

  it('with fix, backs up the raw values and rewrites them as text lines', async () => {
    const store = createRedisJobStore({ redis, prefix });
    const dirty = await store.create(newJob('build'));
    await redis.rpush(`${prefix}job:${dirty.id}:logs`, 'fine', gzipSync('zipped 1\nzipped 2'), deflateSync('deflated'), Buffer.from([0x41, 0x00, 0xc3]));
    // As retention leaves a finished job's log: expiring. The rewritten log must expire too.
    await redis.expire(`${prefix}job:${dirty.id}:logs`, 3_600);
    const [finding] = (await runLogDoctor({ redis, prefix, fix: true })).findings;
    expect(await redis.ttl(`${prefix}job:${dirty.id}:logs`)).toBeGreaterThan(3_500);
    expect(finding).toMatchObject({ action: 'fixed', backupKey: expect.stringContaining(`job:${dirty.id}:logs:backup:`) });
    expect((await store.readLogs(dirty.id, { from: 0 })).lines).toEqual(['fine', 'zipped 1', 'zipped 2', 'deflated', 'A\uFFFD']);
    expect(await redis.llen(finding!.backupKey!)).toBe(4);
    expect((await runLogDoctor({ redis, prefix })).findings).toEqual([]);
  });

  it("takes a log's times for neither a job nor a finding, and with fix keeps each line's time", async () => {
    const store = createRedisJobStore({ redis, prefix });
    const job = await store.create(newJob('build'));
    await store.appendLogs(job.id, ['before']);
    await redis.rpush(`${prefix}job:${job.id}:logs`, gzipSync('zipped 1\nzipped 2'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.appendLogs(job.id, ['after']);
    const { times } = await store.readLogs(job.id, { from: 0 });
    expect(times.map((run) => run.from)).toEqual([0, 2]);
    expect(await redis.exists(`${prefix}job:${job.id}:logtimes`)).toBe(1);

    const dry = await runLogDoctor({ redis, prefix });
    expect(dry.scanned).toBe(1);
    expect(dry.findings).toEqual([{ jobId: job.id, layout: 'ours', kinds: { text: 2, gzip: 1 }, action: 'would fix' }]);
    await runLogDoctor({ redis, prefix, fix: true });
    const fixed = await store.readLogs(job.id, { from: 0 });
    expect(fixed.lines).toEqual(['before', 'zipped 1', 'zipped 2', 'after']);
    // The zipped lines were stored with "before"; "after" moved two lines down, and its time with it.
    expect(fixed.times).toEqual([{ from: 0, at: times[0]!.at }, { from: 3, at: times[1]!.at }]);
    expect((await runLogDoctor({ redis, prefix })).findings).toEqual([]);
  });

  it("reads the seed's layout, and fixes its compressed logs in place", async () => {
    const ids = await seedJobs();
    const dry = await runLogDoctor({ redis, prefix, seedPrefix });
    const byId = Object.fromEntries(dry.findings.map((f) => [f.jobId, f]));
    expect(byId[ids.json]).toMatchObject({ layout: 'seed', kinds: { text: 1 }, action: 'would migrate' });
    expect(byId[ids.gzip]).toMatchObject({ layout: 'seed', kinds: { gzip: 1 }, action: 'would fix' });
    expect(byId[ids.zlib]).toMatchObject({ kinds: { zlib: 1 }, action: 'would fix' });
    expect(byId[ids.binary]).toMatchObject({ kinds: { binary: 1 }, action: 'would fix' });

    await runLogDoctor({ redis, prefix, seedPrefix, fix: true });
    expect(JSON.parse((await redis.hget(`${seedPrefix}job:${ids.gzip}`, 'logs'))!)).toEqual(seedLines);
    expect(JSON.parse((await redis.hget(`${seedPrefix}job:${ids.zlib}`, 'logs'))!)).toEqual(seedLines);
    const backups = await redis.keys(`${seedPrefix.replace(/[{}]/g, '\\$&')}job:${ids.gzip}:logs:backup:*`);
    expect(backups).toHaveLength(1);
  });

  it("migrates the seed's jobs into ours: states, logs (decompressed), deploy metadata", async () => {
    const ids = await seedJobs();
    const report = await runLogDoctor({ redis, prefix, seedPrefix, migrateSeed: true });
    expect(report.findings.filter((f) => f.action === 'migrated')).toHaveLength(5);
    const store = createRedisJobStore({ redis, prefix });

    expect(await store.get(ids.json)).toMatchObject({ state: 'done', progress: 100, kind: 'build' });
    expect((await store.readLogs(ids.gzip, { from: 0 })).lines).toEqual(seedLines);
    // The seed kept no times: neither do its lines here.
    expect((await store.readLogs(ids.gzip, { from: 0 })).times).toEqual([]);
    expect((await collect(store.followLogs(ids.gzip, { from: 0 })))[0]).toEqual({ index: 0, line: seedLines[0] });
    expect(await store.get(ids.gzip)).toMatchObject({ state: 'error', error: 'failed in docker-builder-service (migrated)' });
    expect(await store.get(ids.binary)).toMatchObject({
      state: 'error',
      error: 'was running in docker-builder-service when migrated; it never finished there',
    });
    expect(await store.get(ids.deploy)).toMatchObject({ kind: 'deploy', spec: { mappings: { 'rag-service': 'r/rag-service:1' } }, user: { sub: 'alice' } });
    expect(await store.getDeployMetadata(ids.deploy)).toEqual({ mappings: { 'rag-service': 'r/rag-service:1' }, user: { sub: 'alice' } });
    const listed = (await store.list({ limit: 10 })).jobs.map((j) => j.id).sort();
    expect(listed).toEqual(Object.values(ids).sort());
    // Found by a search as its own jobs are, and counted.
    expect((await store.list({ limit: 10, search: 'rag-service' })).jobs.map((j) => j.id)).toEqual([ids.deploy]);
    expect((await store.list({ limit: 10, search: 'alice' })).jobs.map((j) => j.id)).toEqual([ids.deploy]);
    expect(await store.count({ search: 'rag-service' })).toMatchObject({ done: 1 });

    const again = await runLogDoctor({ redis, prefix, seedPrefix, migrateSeed: true });
    expect(again.findings.every((f) => f.action === 'already migrated')).toBe(true);
  });

  it('runs as a CLI: reports, exits 1 on a dry run with work to do, 0 once fixed', async () => {
    const store = createRedisJobStore({ redis, prefix });
    const dirty = await store.create(newJob('build'));
    await redis.rpush(`${prefix}job:${dirty.id}:logs`, gzipSync('zipped'));
    const cli = fileURLToPath(new URL('../src/log-doctor/cli.ts', import.meta.url));
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [...FROM_SOURCE, cli, '--redis', inject('redisUrl'), '--prefix', prefix, ...args]).then(
        (out) => ({ code: 0, stdout: out.stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const dry = await run();
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain(`${dirty.id}  ours layout  1 gzip  → would fix`);
    expect(dry.stdout).toContain('scanned 1 job: 1 would fix\ndry run, nothing changed');
    const fixed = await run('--fix');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/→ fixed \(raw value kept in .*:backup:/);
    expect(fixed.stdout).toContain('scanned 1 job: 1 fixed');
    expect((await store.readLogs(dirty.id, { from: 0 })).lines).toEqual(['zipped']);
  });
});
