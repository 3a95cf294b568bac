/**
 * Saying before it fails: what the Docker runner tells every user (readiness) and what it refuses
 * at submit, for the configurations that cannot build. No engine is needed: the engines here are
 * a closed port and a socket that never answers, both on loopback.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, createBuilder, createJobId } from '@docker-builder/core';
import { buildSpec, expectReadinessShape, recordingContext } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createDockerRunner, type DockerRunnerOptions } from '@docker-builder/runner-docker';
import { freePort } from '../../../test-support/free-port.js';

let closedPort: number;
let silent: Server;
const held: Socket[] = [];
beforeAll(async () => {
  closedPort = await freePort();
  // Accepts and never answers, as an engine behind a firewall that drops replies would.
  silent = createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
});

const closedEngine = () => `tcp://127.0.0.1:${closedPort}`;

async function refusal(options: Partial<DockerRunnerOptions>, payload: Record<string, unknown>, upload?: string) {
  const builder = createBuilder({ store: createMemoryJobStore(), runners: { build: createDockerRunner({ dockerHost: closedEngine(), ...options }) }, reapIntervalMs: false });
  try {
    const error = await builder.submitBuild({ service: 'app', push: false, ...payload }, upload ? { upload } : {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((await builder.list({ limit: 10 })).jobs).toEqual([]);
    return (error as ValidationError).issues;
  } finally {
    await builder.close();
  }
}

describe('at submit, before anything is stored', () => {
  it('refuses a directory context when there is no context root, naming BUILD_CONTEXT_ROOT', async () => {
    expect(await refusal({}, { context: '.' })).toEqual([
      {
        path: 'context',
        message:
          "directory contexts are refused on this server, which has no context root: set BUILD_CONTEXT_ROOT (the Docker runner's contextRoot) to the directory that holds them, or build from a git URL or an uploaded archive",
      },
    ]);
  });

  it('refuses an uploaded context when the runner has no uploads directory, naming UPLOADS_DIR', async () => {
    const issues = await refusal({}, {}, createJobId(Date.now()));
    expect(issues).toEqual([{ path: 'upload', message: expect.stringContaining('set UPLOADS_DIR') }]);
  });

  it('says at run time too, naming BUILD_CONTEXT_ROOT, for a job stored by a server configured otherwise', async () => {
    const runner = createDockerRunner({ dockerHost: closedEngine() });
    await expect(runner.run(buildSpec({ context: 'services/api', push: false }), recordingContext())).rejects.toThrow(/set BUILD_CONTEXT_ROOT/);
  });
});

describe('readiness', () => {
  it('with nothing configured and no engine: the engine names DOCKER_HOST, and each context source and push names its setting', async () => {
    const runner = createDockerRunner({ dockerHost: closedEngine() });
    const readiness = await runner.readiness!();
    expectReadinessShape(readiness, 'build', await runner.health());
    expect(readiness.problems).toEqual([
      {
        cause: 'The Docker engine does not answer, so every build fails.',
        fix: "Set DOCKER_HOST or mount the engine's socket.",
        settings: ['DOCKER_HOST'],
        detail: expect.stringMatching(new RegExp(`^The Docker engine at ${closedEngine()} is unreachable: .*ECONNREFUSED`)),
      },
    ]);
    // The address is for admins (detail) only.
    expect(JSON.stringify({ ...readiness, problems: readiness.problems.map(({ detail: _, ...rest }) => rest) })).not.toContain(String(closedPort));
    expect(readiness.contexts).toEqual({
      directory: { ok: false, problem: expect.objectContaining({ settings: ['BUILD_CONTEXT_ROOT'] }) },
      git: { ok: false, hosts: [], ssh: false, problem: expect.objectContaining({ settings: ['GIT_HOSTS'] }) },
      upload: { ok: false, problem: expect.objectContaining({ settings: ['UPLOADS_DIR'] }) },
    });
    expect(readiness.push).toEqual({ ok: false, problem: expect.objectContaining({ settings: ['REGISTRY_PREFIX', 'PUSH_ALLOW'] }) });
  });

  it('names an engine that accepts and never answers, within the health timeout', async () => {
    const port = (silent.address() as { port: number }).port;
    const readiness = await createDockerRunner({ dockerHost: `tcp://127.0.0.1:${port}` }).readiness!();
    expect(readiness.problems).toEqual([expect.objectContaining({ settings: ['DOCKER_HOST'], detail: expect.stringContaining('no answer within 2.5 s') })]);
  });

  it('a context root that is not a directory is a problem naming BUILD_CONTEXT_ROOT, its path for admins only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'readiness-'));
    const file = path.join(dir, 'not-a-directory');
    writeFileSync(file, '');
    for (const contextRoot of [path.join(dir, 'missing'), file]) {
      const readiness = await createDockerRunner({ dockerHost: closedEngine(), contextRoot }).readiness!();
      const problem = readiness.problems.find((p) => p.settings.includes('BUILD_CONTEXT_ROOT'));
      expect(problem).toMatchObject({ fix: expect.stringContaining('BUILD_CONTEXT_ROOT'), detail: expect.stringContaining(contextRoot) });
      expect(`${problem!.cause} ${problem!.fix}`).not.toContain(dir);
      expect(readiness.contexts!.directory).toEqual({ ok: false, problem });
    }
    const readiness = await createDockerRunner({ dockerHost: closedEngine(), contextRoot: dir, gitHosts: ['github.com', '*.example.com'], allowSshGit: true, uploadsDir: dir, registryPrefix: 'registry.example.com/team' }).readiness!();
    expect(readiness.contexts).toEqual({ directory: { ok: true }, git: { ok: true, hosts: ['github.com', '*.example.com'], ssh: true }, upload: { ok: true } });
    expect(readiness.push).toEqual({ ok: true });
    expect(readiness.problems.map((p) => p.settings)).toEqual([['DOCKER_HOST']]);
  });
});
