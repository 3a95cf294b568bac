/**
 * A build submitted over HTTP to the standalone server runs end to end on a real Docker
 * engine and lands in a real registry: in-process, and through a separate worker.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { startDockerEngine, startRegistry, type DockerEngine, type Registry } from '../../../test-support/docker-engine.js';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { spawnExample } from '../../../test-support/from-source.js';
import { makeContextRoot } from '../../../packages/runner-docker/test/contexts.js';

let engine: DockerEngine;
let registry: Registry;
let env: Record<string, string>;
const children: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  [engine, registry] = await Promise.all([startDockerEngine(), startRegistry()]);
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
});
