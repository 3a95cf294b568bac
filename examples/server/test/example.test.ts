/** The SDK example does what its comment says: a deploy through the router, for the user the auth hook names. */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { eventually, stripAnsi } from '@docker-builder/core/testing';
import { runFromSource } from '../../../test-support/from-source.js';

const playbook = fileURLToPath(new URL('../../../packages/server/deploy/playbook.yml', import.meta.url));
let stop: (() => void) | undefined;
afterEach(() => stop?.());

it('deploys the seed mappings for the signed-in user, and answers 401 without one', async () => {
  const child = runFromSource('src/main.ts', { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { PORT: '0', PLAYBOOK: playbook, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  stop = () => child.kill('SIGKILL');
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const api = /http:\/\/127\.0\.0\.1:\d+\/api/.exec(chunk.toString())![0];
  const deploy = (user?: string) =>
    fetch(`${api}/deploy-services`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(user ? { 'x-user': user } : {}) },
      body: JSON.stringify({ mappings: { 'rag-service': 'registry.example.com/team/rag-service:20251025-111006' } }),
    });
  expect((await deploy()).status).toBe(401);
  const { id } = (await (await deploy('alice')).json()) as { id: string };
  const job = await eventually(async () => {
    const current = (await (await fetch(`${api}/build/${id}`, { headers: { 'x-user': 'alice' } })).json()) as { state: string; user: unknown; logs: string[] };
    return current.state === 'done' || current.state === 'error' ? current : undefined;
  }, 30_000, 'the deploy to end');
  expect(job).toMatchObject({ state: 'done', user: { sub: 'alice' } });
  expect(job.logs.map(stripAnsi)).toContain('    "msg": "Simulation complete"');
}, 40_000);
