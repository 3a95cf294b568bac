/**
 * Saying before it fails, on the real server process with real configurations: what
 * GET /api/runners tells the UI when there is no context root and the engine is a closed port on
 * loopback, what a directory build gets at submit, and a server configured for one kind only.
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnExample } from '../../../test-support/from-source.js';
import { freePort } from '../../../test-support/free-port.js';
import { killServers, startServer } from './running-server.js';

afterEach(killServers);

const runners = async (base: string) => (await (await fetch(`${base}/api/runners`)).json()) as Record<string, any>;
const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

describe('GET /api/runners on the standalone server', () => {
  it('without BUILD_CONTEXT_ROOT and with DOCKER_HOST on a closed port: names both settings, offers uploads only, and refuses a directory build at submit', async () => {
    const engine = `tcp://127.0.0.1:${await freePort()}`;
    const { base } = await startServer({ DOCKER_HOST: engine, UPLOAD_MAX_BYTES: '1048576' });
    const { build, deploy } = await runners(base);
    expect(build).toMatchObject({
      name: 'docker',
      ok: false,
      problems: [{ cause: 'The Docker engine does not answer, so every build fails.', settings: ['DOCKER_HOST'] }],
      contexts: {
        directory: { ok: false, problem: { settings: ['BUILD_CONTEXT_ROOT'] } },
        git: { ok: false, problem: { settings: ['GIT_HOSTS'] } },
        upload: { ok: true, maxBytes: 1048576 },
      },
      push: { ok: false, problem: { settings: ['REGISTRY_PREFIX', 'PUSH_ALLOW'] } },
    });
    // Anonymous on loopback is an admin: the address is in the detail.
    expect(build.problems[0].detail).toContain(engine);
    expect(deploy).toEqual({ name: 'ansible', ok: true, problems: [] });

    const refused = await post(`${base}/api/build`, { service: 'app', push: false });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([{ path: 'context', message: expect.stringContaining('set BUILD_CONTEXT_ROOT') }]);
    expect(((await (await fetch(`${base}/api/builds`)).json()) as { jobs: unknown[] }).jobs).toEqual([]);
  });

  it('with BUILD_CONTEXT_ROOT on a directory that is not there: a problem naming it', async () => {
    const missing = path.join(mkdtempSync(path.join(tmpdir(), 'readiness-')), 'not-mounted');
    const { base } = await startServer({ DOCKER_HOST: `tcp://127.0.0.1:${await freePort()}`, BUILD_CONTEXT_ROOT: missing, GIT_HOSTS: 'github.com' });
    const { build } = await runners(base);
    expect(build.problems.map((problem: { settings: string[] }) => problem.settings)).toEqual([['DOCKER_HOST'], ['BUILD_CONTEXT_ROOT']]);
    expect(build.contexts.directory).toMatchObject({ ok: false, problem: { detail: expect.stringContaining(missing) } });
    expect(build.contexts.git).toEqual({ ok: true, hosts: ['github.com'], ssh: false });
  });

  it('with JOB_KINDS=deploy: no build runner (null), builds refused with 503; with JOB_KINDS=build, no deploys', async () => {
    const deployOnly = await startServer({ JOB_KINDS: 'deploy' });
    expect(await runners(deployOnly.base)).toEqual({ build: null, deploy: { name: 'ansible', ok: true, problems: [] } });
    const refused = await post(`${deployOnly.base}/api/build`, { service: 'app', context: 'https://github.com/team/app.git', push: false });
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'RUNNER_UNAVAILABLE' } } });

    const buildOnly = await startServer({ JOB_KINDS: 'build', DOCKER_HOST: `tcp://127.0.0.1:${await freePort()}` });
    expect((await runners(buildOnly.base)).deploy).toBeNull();
    expect((await post(`${buildOnly.base}/api/deploy-services`, { mappings: { web: 'registry/web:1' } })).status).toBe(503);
  });

  it('refuses to start with JOB_KINDS naming no kind it knows', async () => {
    const child = spawnExample('server', { HOST: '127.0.0.1', PORT: '0', JOB_KINDS: 'build,images' });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(out).toContain('invalid environment variable JOB_KINDS');
  });
});
