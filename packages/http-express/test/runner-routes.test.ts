/**
 * GET /runners: what the UI's banner and forms are built from. Every reader learns which kinds
 * this server runs and what would make them fail, with the setting to change; only admins get the
 * details (addresses, paths), and only users who may submit get the allowed git hosts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthenticatedUser, RunnerReadiness } from '@docker-builder/core';
import { createScriptedRunner } from '@docker-builder/core/testing';
import type { BuilderRouterOptions } from '@docker-builder/http-express';
import { startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const USERS: Record<string, AuthenticatedUser> = {
  'Bearer r': { sub: 'rita', role: 'read' },
  'Bearer w': { sub: 'walt', role: 'write' },
  'Bearer a': { sub: 'ada', role: 'admin' },
};
const auth: BuilderRouterOptions['auth'] = (req) => USERS[req.get('authorization') ?? ''] ?? null;

/** What the Docker runner says with no engine, no context root and two git hosts. */
const DOCKER_DOWN: RunnerReadiness = {
  problems: [
    {
      cause: 'The Docker engine does not answer, so every build fails.',
      fix: "Set DOCKER_HOST or mount the engine's socket.",
      settings: ['DOCKER_HOST'],
      detail: 'The Docker engine at tcp://10.20.30.40:2375 is unreachable: connect ECONNREFUSED.',
    },
  ],
  contexts: {
    directory: { ok: false, problem: { cause: 'Directory contexts are off: this server has no context root.', fix: 'Set BUILD_CONTEXT_ROOT.', settings: ['BUILD_CONTEXT_ROOT'] } },
    git: { ok: true, hosts: ['git.internal.example', 'github.com'], ssh: false },
    upload: { ok: true },
  },
  push: { ok: true },
};

async function start(readiness: RunnerReadiness | null, router: Partial<BuilderRouterOptions> = {}) {
  const build = readiness ? createScriptedRunner({ kind: 'build', name: 'docker', script: [], readiness }) : createScriptedRunner({ kind: 'build', script: [] });
  harness = await startHarness({ builder: { runners: { build } }, router: { auth, ...router } });
  const runners = async (token = 'r') => {
    const response = await fetch(`${harness!.url}/runners`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as any };
  };
  return { build, runners };
}

const uploads = () => ({ uploads: { dir: mkdtempSync(path.join(tmpdir(), 'runner-routes-')), maxBytes: 1024 * 1024 } });

describe('GET /runners', () => {
  it('tells a reader what stops builds and the setting to change, without the address, and that deploys do not run here', async () => {
    const { runners } = await start(DOCKER_DOWN, uploads());
    const { status, body } = await runners('r');
    expect(status).toBe(200);
    expect(body.deploy).toBeNull();
    expect(body.build).toMatchObject({ name: 'docker', ok: false, problems: [{ cause: DOCKER_DOWN.problems[0]!.cause, settings: ['DOCKER_HOST'] }] });
    expect(JSON.stringify(body)).not.toContain('10.20.30.40');
    // A reader cannot submit: the hosts a build may clone from are not theirs to see.
    expect(body.build.contexts.git).toEqual({ ok: true, ssh: false });
    expect(body.build.contexts.directory).toEqual(DOCKER_DOWN.contexts!.directory);
  });

  it('gives a writer the allowed git hosts and the upload limit, and an admin the details too', async () => {
    const { runners } = await start(DOCKER_DOWN, uploads());
    const writer = (await runners('w')).body.build;
    expect(writer.contexts.git.hosts).toEqual(['git.internal.example', 'github.com']);
    expect(writer.contexts.upload).toEqual({ ok: true, maxBytes: 1024 * 1024 });
    expect(writer.problems[0].detail).toBeUndefined();
    expect((await runners('a')).body.build.problems[0].detail).toBe(DOCKER_DOWN.problems[0]!.detail);
  });

  it('says uploads are off when the router takes no archives, and that nothing can build when no source is left', async () => {
    const noGit = { ...DOCKER_DOWN, problems: [], contexts: { ...DOCKER_DOWN.contexts!, git: { ok: false, hosts: [], ssh: false, problem: { cause: 'Git contexts are off.', fix: 'Set GIT_HOSTS.', settings: ['GIT_HOSTS'] } } } };
    const { runners } = await start(noGit);
    const build = (await runners('w')).body.build;
    expect(build.contexts.upload).toMatchObject({ ok: false, problem: { cause: 'Uploaded contexts are off: this server does not accept archives.' } });
    expect(build.ok).toBe(false);
    expect(build.problems).toEqual([expect.objectContaining({ settings: ['BUILD_CONTEXT_ROOT', 'GIT_HOSTS', 'UPLOADS_DIR'] })]);
  });

  it('judges a runner that says nothing by its health, its message for admins only', async () => {
    const { build, runners } = await start(null);
    expect((await runners('r')).body.build).toEqual({ name: 'scripted', ok: true, problems: [] });
    build.setHealth({ ok: false, message: 'engine at tcp://10.20.30.40:2375 refused' });
    const reader = (await runners('r')).body.build;
    expect(reader).toMatchObject({ ok: false, problems: [{ cause: 'The build runner reports a problem, so builds may fail.', settings: [] }] });
    expect(JSON.stringify(reader)).not.toContain('10.20.30.40');
    expect((await runners('a')).body.build.problems[0].detail).toBe('engine at tcp://10.20.30.40:2375 refused');
  });

  it('asks for credentials like every route that reveals the service', async () => {
    const { runners } = await start(DOCKER_DOWN);
    expect((await runners('nobody')).status).toBe(401);
  });
});
