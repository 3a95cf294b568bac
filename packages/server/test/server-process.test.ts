/** The standalone server as a user runs it: a real process, real HTTP, real signals. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SEED_MAPPINGS, eventually, stripAnsi } from '@docker-builder/core/testing';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { spawnExample } from '../../../test-support/from-source.js';
import { startServer as startRunningServer } from './running-server.js';

let child: ChildProcessWithoutNullStreams | undefined;
const others: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const process of [child, ...others.splice(0)]) if (process && process.exitCode === null) process.kill('SIGKILL');
});

function startWorker(env: Record<string, string>) {
  const worker = spawnExample('worker', env);
  others.push(worker);
  const lines: string[] = [];
  worker.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  worker.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  return { worker, lines };
}

async function startServer(env: Record<string, string> = {}) {
  const server = await startRunningServer(env);
  child = server.process;
  return server;
}

describe('docker-builder serve', () => {
  it('serves the API on the embedded default and deploys the seed payload with the bundled playbook', async () => {
    const { base, lines } = await startServer({ DOCKER_HOST: 'unix:///tmp/no-docker-here.sock' });
    expect(lines[0]).toMatchObject({ level: 'info', store: 'memory', queue: 'in-process' });

    const deploy = await fetch(`${base}/api/deploy-services`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mappings: SEED_MAPPINGS }),
    });
    expect(deploy.status).toBe(202);
    const { id, enqueued } = (await deploy.json()) as { id: string; enqueued: boolean };
    expect(enqueued).toBe(true);
    const job = await eventually(async () => {
      const current = (await (await fetch(`${base}/api/build/${id}`)).json()) as { state: string; progress: number; logs: string[] };
      return current.state === 'done' || current.state === 'error' ? current : undefined;
    }, 30_000, 'the deploy to end');
    expect(job).toMatchObject({ state: 'done', progress: 100 });
    const logs = job.logs.map(stripAnsi);
    expect(logs).toContain('    "msg": "rag-service -> image=us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006 ; tag=20251025-111006"');
    expect(logs).toContain('    "msg": "PROGRESS 100"');
    expect(logs).toContain('    "msg": "Simulation complete"');

    const debug = (await (await fetch(`${base}/api/_debug`)).json()) as Record<string, any>;
    expect(debug).toMatchObject({
      store: { name: 'memory', ok: true },
      queue: { name: 'in-process', ok: true },
      runners: {
        build: { name: 'docker', ok: false, details: { engine: 'unix:///tmp/no-docker-here.sock' } },
        deploy: { name: 'ansible', ok: true, details: { playbook: expect.stringMatching(/packages\/server\/deploy\/playbook\.yml$/) } },
      },
    });
    expect(debug.runners.build.message).toMatch(/^The Docker engine at unix:\/\/\/tmp\/no-docker-here.sock is unreachable/);

    const docs = await fetch(`${base}/docs`, { redirect: 'manual' });
    expect(docs.status).toBe(302);
    expect(docs.headers.get('location')).toBe('/api/docs');
    expect((await fetch(`${base}/api/docs`)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', method: 'POST', path: '/api/deploy-services', status: 202 }));
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const { process: server, lines } = await startServer();
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
  });

  it('refuses to start with a bad environment, naming the variable', async () => {
    child = spawnExample('server', { PORT: 'eighty', BODY_LIMIT: '1 megabyte' });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(out).toContain('invalid environment variable PORT: must be a port number');
    // body-parser would read this as no limit at all.
    expect(out).toContain('invalid environment variable BODY_LIMIT: must be a size such as 512kb or 1mb');
  });

  it('with REDIS_URL, stores jobs in Redis, queues them with BullMQ and counts live workers', async () => {
    const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: uniquePrefix('server') };
    const { base, lines } = await startServer(env);
    expect(lines[0]).toMatchObject({ store: 'redis', queue: 'bullmq', prefix: env.REDIS_PREFIX });
    const debug = async () => (await (await fetch(`${base}/api/_debug`)).json()) as Record<string, any>;
    expect(await debug()).toMatchObject({
      store: { name: 'redis', ok: true, details: { reachable: true, prefix: env.REDIS_PREFIX } },
      queue: { name: 'bullmq', ok: true, workers: 0, message: expect.stringContaining('No worker is connected') },
    });
    const { lines: workerLines } = startWorker(env);
    await eventually(() => workerLines.some((line) => line.includes('worker ready')) || undefined, 15_000, 'the worker to start');
    await eventually(async () => (await debug()).queue.workers === 1, 10_000, '_debug to count the worker');
  });

  it('with REDIS_URL unreachable, says so at start and answers 503 instead of accepting jobs', async () => {
    const { base, lines } = await startServer({ REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    await eventually(() => lines.find((l) => l.level === 'error'), 10_000, 'the error line');
    const error = lines.find((l) => l.level === 'error')!;
    expect(error.msg).toBe(
      'Redis is unreachable (connect ECONNREFUSED 127.0.0.1:1). Check REDIS_URL and that Redis is running. Until it is reachable, job submissions are answered 503.',
    );
    expect(error.redis).toBe('redis://:***@127.0.0.1:1');
    const list = await fetch(`${base}/api/builds`);
    expect(list.status).toBe(503);
    expect(((await list.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: 'Redis is unreachable (connect ECONNREFUSED 127.0.0.1:1).',
    });
    const debug = (await (await fetch(`${base}/api/_debug`)).json()) as Record<string, any>;
    expect(debug.store).toMatchObject({ name: 'redis', ok: false, details: { reachable: false } });
    expect(debug.queue).toMatchObject({ name: 'bullmq', ok: false });
    expect(JSON.stringify(debug)).not.toContain('hunter2');
  });
});

describe('docker-builder worker', () => {
  it('takes jobs from Redis and exits 0 on SIGTERM', async () => {
    const { worker, lines } = startWorker({ REDIS_URL: inject('redisUrl'), REDIS_PREFIX: uniquePrefix('worker') });
    await eventually(() => lines.some((line) => line.includes('worker ready')) || undefined, 15_000, 'the worker to start');
    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(lines.at(-1)).toContain('"msg":"stopped"');
  });

  it('refuses to start without REDIS_URL, saying why', async () => {
    const { worker, lines } = startWorker({ REDIS_URL: '' });
    const [code] = (await once(worker, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain('REDIS_URL is required: a worker takes its jobs from Redis.');
  });
});
