/**
 * A build submitted over HTTP to the standalone server runs end to end on a real Docker
 * engine and lands in a real registry: in-process, and through a separate worker.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { BASE_IMAGE, startDockerEngine, startRegistry, type DockerEngine, type Registry } from '../../../test-support/docker-engine.js';
import { makeDockerCertificates } from '../../../test-support/docker-tls.js';
import { freePort } from '../../../test-support/free-port.js';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { spawnExample } from '../../../test-support/from-source.js';
import { makeContextRoot } from '../../../packages/runner-docker/test/contexts.js';
import { readConfig } from '../src/config.js';

let engine: DockerEngine;
let registry: Registry;
let env: Record<string, string>;
/** The engine's TLS listener (as docker:dind's on 2376), and the client directory for DOCKER_CERT_PATH. */
let tls: { host: string; certPath: string };
const children: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  const certificates = makeDockerCertificates(mkdtempSync(path.join(tmpdir(), 'builds-tls-')));
  const tlsPort = await freePort();
  tls = { host: `tcp://127.0.0.1:${tlsPort}`, certPath: certificates.clientDir };
  [engine, registry] = await Promise.all([startDockerEngine({ args: certificates.dockerdArgs(tlsPort) }), startRegistry()]);
  env = { DOCKER_HOST: engine.host, BUILD_CONTEXT_ROOT: makeContextRoot(), REGISTRY_PREFIX: `${registry.address}/examples` };
}, 60_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await registry?.stop();
  await engine?.stop();
});

function start(example: 'server' | 'worker', extra: Record<string, string>) {
  const child = spawnExample(example, { HOST: '127.0.0.1', PORT: '0', ...env, ...extra });
  children.push(child);
  const lines: Array<Record<string, unknown>> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return lines;
}

async function buildOverHttp(serverLines: Array<Record<string, unknown>>, service: string) {
  const { port } = await eventually(() => serverLines.find((l) => typeof l.port === 'number') as { port: number } | undefined, 15_000, 'the server');
  const base = `http://127.0.0.1:${port}/api`;
  const created = await fetch(`${base}/build`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ service, context: 'simple', tags: ['20251025-111006'] }),
  });
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as { id: string };
  return eventually(async () => {
    const job = (await (await fetch(`${base}/build/${id}`)).json()) as { state: string; error: string | null; result: { pushed: string[] }; logs: string[] };
    return ['done', 'error', 'cancelled'].includes(job.state) ? job : undefined;
  }, 60_000, 'the build to end');
}

describe('builds through the example server', () => {
  it('in-process: builds and pushes', async () => {
    const job = await buildOverHttp(start('server', {}), 'inprocess-app');
    expect(job.error).toBeNull();
    expect(job.result.pushed).toEqual([`${registry.address}/examples/inprocess-app:20251025-111006`]);
    const tags = await (await fetch(`http://${registry.address}/v2/examples/inprocess-app/tags/list`)).json();
    expect(tags).toEqual({ name: 'examples/inprocess-app', tags: ['20251025-111006'] });
  }, 90_000);

  it('on a tcp:// engine with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, as compose.dind.yaml sets them: builds and pushes over TLS', async () => {
    const job = await buildOverHttp(start('server', { DOCKER_HOST: tls.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.certPath }), 'tls-app');
    expect(job.error).toBeNull();
    expect(job.result.pushed).toEqual([`${registry.address}/examples/tls-app:20251025-111006`]);
  }, 90_000);

  it('refuses at start TLS settings that cannot work, naming the setting', async () => {
    expect(() => readConfig({ DOCKER_HOST: tls.host, DOCKER_CERT_PATH: tls.certPath })).toThrow(
      'DOCKER_CERT_PATH: is read only with DOCKER_TLS_VERIFY=1 (TLS to a tcp:// DOCKER_HOST): set that too, or unset DOCKER_CERT_PATH',
    );
    const child = spawnExample('server', { HOST: '127.0.0.1', PORT: '0', DOCKER_HOST: tls.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent/certs' });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, out }).toMatchObject({ code: 2, out: expect.stringContaining('cannot read /nonexistent/certs/ca.pem for TLS to the Docker engine (ENOENT): DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem') });
  });

  it('with Redis: a separate worker builds and pushes', async () => {
    const redis = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: uniquePrefix('builds') };
    const serverLines = start('server', redis);
    const workerLines = start('worker', redis);
    await eventually(() => workerLines.find((l) => l.msg === 'worker ready: taking jobs'), 15_000, 'the worker');
    const job = await buildOverHttp(serverLines, 'worker-app');
    expect(job.error).toBeNull();
    expect(job.result.pushed).toEqual([`${registry.address}/examples/worker-app:20251025-111006`]);
    expect(workerLines.some((l) => l.msg === 'job.finished' && l.state === 'done')).toBe(true);
  }, 90_000);
  it('with Redis: a secret build argument reaches the build on a worker, and is in no API answer, Redis key or log', async () => {
    const secret = `npm_${randomBytes(16).toString('hex')}`;
    mkdirSync(path.join(env.BUILD_CONTEXT_ROOT!, 'secret'), { recursive: true });
    writeFileSync(
      path.join(env.BUILD_CONTEXT_ROOT!, 'secret', 'Dockerfile'),
      `FROM ${BASE_IMAGE}\nARG NPM_TOKEN\nRUN echo "token: $NPM_TOKEN" && echo "$NPM_TOKEN" | sha256sum\n`,
    );
    const prefix = uniquePrefix('secrets');
    const shared = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: prefix, SECRETS_KEY: randomBytes(32).toString('base64') };
    const serverLines = start('server', shared);
    const workerLines = start('worker', shared);
    await eventually(() => workerLines.find((l) => l.msg === 'worker ready: taking jobs'), 15_000, 'the worker');
    const { port } = await eventually(() => serverLines.find((l) => typeof l.port === 'number') as { port: number } | undefined, 15_000, 'the server');
    const base = `http://127.0.0.1:${port}/api`;

    const created = await fetch(`${base}/build`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ service: 'secret-app', context: 'secret', push: false, noCache: true, secretBuildArgs: { NPM_TOKEN: secret } }),
    });
    const submitted = await created.text();
    expect(created.status).toBe(202);
    const { id } = JSON.parse(submitted) as { id: string };
    const job = await eventually(async () => {
      const current = (await (await fetch(`${base}/build/${id}?logsLimit=100000`)).json()) as { state: string; error: string | null; logs: string[] };
      return ['done', 'error', 'cancelled'].includes(current.state) ? current : undefined;
    }, 60_000, 'the build to end');
    expect(job.error).toBeNull();
    // It reached the build (the hash of the value), and the build's own echo of it was scrubbed.
    expect(job.logs).toContain(`${createHash('sha256').update(`${secret}\n`).digest('hex')}  -`);
    expect(job.logs).toContain('token: ***');
    expect(workerLines.some((l) => l.msg === 'job.finished' && l.jobId === id)).toBe(true);

    // Everything the API answers about the job.
    const answers = [submitted];
    for (const route of [`build/${id}`, `build/${id}?logsLimit=100000`, 'builds', `build/${id}/logs.txt`, `build/${id}/logs`, '_debug']) {
      answers.push(await (await fetch(`${base}/${route}`)).text());
    }
    expect(answers[1]).toMatch(/"secretBuildArgs":\{"NPM_TOKEN":"sealed:v1:/);
    for (const answer of answers) expect(answer).not.toContain(secret);

    // Every key under the prefix, read by type and dumped whole (the store's and BullMQ's).
    const redis = new Redis(inject('redisUrl'));
    try {
      const keys: string[] = [];
      for (let cursor = '0'; ; ) {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        keys.push(...batch);
        if ((cursor = next) === '0') break;
      }
      expect(keys).toContain(`${prefix}job:${id}`);
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string' ? await redis.get(key)
          : type === 'hash' ? await redis.hgetall(key)
          : type === 'list' ? await redis.lrange(key, 0, -1)
          : type === 'set' ? await redis.smembers(key)
          : type === 'zset' ? await redis.zrange(key, 0, -1, 'WITHSCORES')
          : type === 'stream' ? await redis.xrange(key, '-', '+')
          : null;
        expect(JSON.stringify(value), key).not.toContain(secret);
        expect((await redis.dumpBuffer(key))?.includes(secret) ?? false, key).toBe(false);
      }
    } finally {
      redis.disconnect();
    }

    // And the processes' own logs.
    expect(JSON.stringify([serverLines, workerLines])).not.toContain(secret);
  }, 90_000);
});
