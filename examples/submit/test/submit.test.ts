import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createBuilder } from '@docker-builder/core';
import { SEED_MAPPINGS, createScriptedRunner } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter } from '@docker-builder/http-express';
import { submitAndFollow } from '../src/follow-job.js';
import { spawnExample } from '../../../test-support/from-source.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(script: Parameters<typeof createScriptedRunner<'deploy'>>[0]['script']) {
  const deploy = createScriptedRunner({ kind: 'deploy', script });
  const builder = createBuilder({ store: createMemoryJobStore(), runners: { deploy }, logs: { flushIntervalMs: 5 } });
  const app = express().use('/api', createBuilderRouter(builder));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await builder.close({ deadlineMs: 100 });
  });
  return { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, server, deploy };
}

describe('examples/submit', () => {
  it('submits the seed deploy and prints every line until the job ends', async () => {
    const { api } = await serve((spec) => [...Object.keys(spec.mappings).map((s) => ({ log: `deploying ${s}` })), { log: 'Simulation complete' }]);
    const lines: string[] = [];
    const result = await submitAndFollow({ api, kind: 'deploy', payload: { mappings: SEED_MAPPINGS }, onLine: (l) => lines.push(l) });
    expect(result).toMatchObject({ state: 'done', error: null, enqueued: true });
    expect(lines).toEqual(['deploying rag-service', 'deploying neuroboss-service', 'deploying agent-service', 'Simulation complete']);
  });

  it('resumes after the connection drops, without losing or repeating lines', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const { api, server, deploy } = await serve([{ log: lines.slice(0, 25) }, { gate: 'rest' }, { log: lines.slice(25) }]);
    const seen: string[] = [];
    const following = submitAndFollow({ api, kind: 'deploy', payload: { mappings: { a: 'b:1' } }, onLine: (l) => seen.push(l) });
    await deploy.reached('rest');
    while (seen.length < 25) await new Promise((resolve) => setTimeout(resolve, 10));
    server.closeAllConnections();
    deploy.open('rest');
    expect((await following).state).toBe('done');
    expect(seen).toEqual(lines);
  });

  it('exits 2 with the field at fault when the server refuses the payload', async () => {
    const { api } = await serve([{ log: 'never' }]);
    const child = spawnExample('submit', { DOCKER_BUILDER_API: api }, ['deploy', '{"mappings":{"rag-service":"img:{{ 7*7 }}"}}']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr).toContain('refused: 400 VALIDATION_FAILED');
    expect(stderr).toContain('mappings.rag-service: must not contain template syntax');
  });
});
