import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBuilder, type Job } from '@docker-builder/core';
import { buildSpec, eventually, jobEnded, recordingContext, runnerContract } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { startDockerEngine, startRegistry, type DockerEngine, type Registry } from '../../../test-support/docker-engine.js';
import { makeContextRoot } from './contexts.js';
import { startGitServer } from '../../../test-support/git-daemon.js';
import { BASE_IMAGE } from '../../../test-support/docker-engine.js';

let engine: DockerEngine;
let registry: Registry;
let contextRoot: string;
beforeAll(async () => {
  [engine, registry] = await Promise.all([startDockerEngine(), startRegistry()]);
  contextRoot = makeContextRoot();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await engine?.stop();
});

const runner = (options: Partial<Parameters<typeof createDockerRunner>[0]> = {}) =>
  createDockerRunner({ docker: engine.docker, contextRoot, registryPrefix: `${registry.address}/team`, ...options });

/** Runs an image with no network (the engine has no bridge) and returns what it printed. */
async function runImage(reference: string, cmd?: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  // docker.run allocates a TTY, which ends lines with \r\n.
  out.on('data', (chunk: Buffer) => (text += chunk.toString().replaceAll('\r', '')));
  const [result, container] = (await engine.docker.run(reference, cmd ?? [], out, { HostConfig: { NetworkMode: 'none', AutoRemove: false } })) as [
    { StatusCode: number },
    { remove(): Promise<void> },
  ];
  await container.remove();
  expect(result.StatusCode).toBe(0);
  return text;
}

async function builderWith(runnerOptions: Partial<Parameters<typeof createDockerRunner>[0]> = {}) {
  return createBuilder({ store: createMemoryJobStore(), runners: { build: runner(runnerOptions) }, logs: { flushIntervalMs: 10 } });
}

const ended = (builder: Awaited<ReturnType<typeof builderWith>>, id: string, timeoutMs = 60_000) => jobEnded(builder, id, timeoutMs);

describe('DockerRunner', () => {
  runnerContract('docker', {
    makeRunner: () => runner(),
    cases: {
      succeeds: buildSpec({ service: 'contract-ok', context: 'simple', push: false }),
      fails: buildSpec({ service: 'contract-fail', context: 'failing', push: false }),
      slow: buildSpec({ service: 'contract-slow', context: 'slow', push: false, noCache: true }),
    },
    abortAfterMs: 1_500,
    timeoutMs: 60_000,
  });

  it('builds a multi-stage Dockerfile with a build arg and a target, pushes it, and the pulled image runs', async () => {
    const builder = await builderWith();
    const { id } = await builder.submitBuild({
      service: 'greeter',
      context: 'multistage',
      tags: ['20251025-111006', 'latest'],
      buildArgs: { GREETING: 'bonjour' },
      target: 'runtime',
      labels: { 'org.opencontainers.image.source': 'https://git.example.com/team/greeter' },
    });
    const job = await ended(builder, id);
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ state: 'done', progress: 100 });
    const repository = `${registry.address}/team/greeter`;
    const result = job.result as { imageId: string; references: string[]; pushed: string[]; digest: string };
    expect(result.references).toEqual([`${repository}:20251025-111006`, `${repository}:latest`]);
    expect(result.pushed).toEqual(result.references);
    const manifest = await fetch(`http://${registry.address}/v2/team/greeter/manifests/20251025-111006`, {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(result.digest).toBe(manifest.headers.get('docker-content-digest'));

    const { lines } = await builder.readLogs(id);
    expect(lines[0]).toBe(`[docker-builder] building ${repository}:20251025-111006 from directory multistage`);
    expect(lines).toContain('Step 1/7 : FROM busybox:base AS builder');
    expect(lines).toContain('Step 7/7 : LABEL org.opencontainers.image.source=https://git.example.com/team/greeter');
    expect(lines.some((line) => line.startsWith(`[docker-builder] pushing ${repository}:latest`))).toBe(true);
    expect((await engine.docker.getImage(result.imageId).inspect()).Config.Labels).toMatchObject({
      'org.opencontainers.image.source': 'https://git.example.com/team/greeter',
    });

    // Remove every local copy, pull it back from the registry, and run it.
    for (const reference of [...result.references, result.imageId]) await engine.docker.getImage(reference).remove({ force: true }).catch(() => undefined);
    await new Promise((resolve, reject) =>
      engine.docker.pull(`${repository}:latest`, {}, (error: Error | null, stream?: NodeJS.ReadableStream) =>
        error ? reject(error) : engine.docker.modem.followProgress(stream!, (e: Error | null) => (e ? reject(e) : resolve(null))),
      ),
    );
    expect(await runImage(`${repository}:latest`)).toBe('bonjour from the builder\nno-debug\n');
  }, 120_000);

  it('builds from a git URL, at a ref and in a subdirectory, cloned by the engine', async () => {
    const git = await startGitServer('shop', {
      'README.md': 'not part of the build\n',
      'services/api/Dockerfile': `FROM ${BASE_IMAGE}\nCOPY greeting.txt /greeting.txt\nCMD ["cat", "/greeting.txt"]\n`,
      'services/api/greeting.txt': 'hello from git\n',
    });
    try {
      const builder = await builderWith();
      const context = `${git.url('shop')}#main:services/api`;
      const { id } = await builder.submitBuild({ service: 'from-git', context, push: false });
      const job = await ended(builder, id);
      expect(job.error).toBeNull();
      const [tag] = (job.spec as { tags: string[] }).tags;
      expect((await builder.readLogs(id)).lines[0]).toBe(`[docker-builder] building ${registry.address}/team/from-git:${tag} from git ${context}`);
      expect(await runImage((job.result as { references: string[] }).references[0]!)).toBe('hello from git\n');
    } finally {
      await git.stop();
    }
  }, 60_000);

  it('drives progress from the Step n/m lines and ends at 100', async () => {
    const context = recordingContext();
    await runner().run(buildSpec({ context: 'multistage', push: false, noCache: true }), context);
    // Eight steps (no target): each is 90 % / 8 of the bar; the last tenth is the push, skipped here.
    expect(context.percents).toEqual([0, 11.25, 22.5, 33.75, 45, 56.25, 67.5, 78.75, 100]);
  }, 60_000);

  it('has no inactivity timeout: a RUN silent for seconds survives even with DOCKER_CLIENT_TIMEOUT set', async () => {
    process.env.DOCKER_CLIENT_TIMEOUT = '500';
    try {
      const context = recordingContext();
      await createDockerRunner({ dockerHost: engine.host, contextRoot }).run(buildSpec({ context: 'silent', push: false, noCache: true }), context);
      expect(context.lines).toContain('awake');
    } finally {
      delete process.env.DOCKER_CLIENT_TIMEOUT;
    }
  }, 60_000);

  it('honours .dockerignore for a directory context, exceptions included', async () => {
    const builder = await builderWith();
    const { id } = await builder.submitBuild({ service: 'ignoring', context: 'ignoring', push: false });
    const job = await ended(builder, id);
    expect(job.state).toBe('done');
    const listing = await runImage((job.result as { references: string[] }).references[0]!);
    expect(listing.split('\n').filter(Boolean).sort()).toEqual(['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/app.txt', '/ctx/build/keep.txt']);
  }, 60_000);

  it('ends a failing RUN in error with the engine\'s message, in the error field and the log', async () => {
    const builder = await builderWith();
    const { id } = await builder.submitBuild({ service: 'failing', context: 'failing', push: false, noCache: true });
    const job = await ended(builder, id);
    expect(job.state).toBe('error');
    expect(job.error).toBe("The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    const { lines } = await builder.readLogs(id);
    expect(lines).toContain('before the failure');
    expect(lines.at(-1)).toBe("[docker-builder] job failed: The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  }, 60_000);

  it('refuses a missing Dockerfile and a context that escapes the root before the engine sees anything', async () => {
    const buildImage = vi.spyOn(engine.docker, 'buildImage');
    try {
      const cases: Array<[Partial<Parameters<typeof buildSpec>[0]>, string]> = [
        [{ context: 'nodockerfile' }, 'There is no Dockerfile at "Dockerfile" in the build context "nodockerfile".'],
        [{ context: 'simple', dockerfile: 'Dockerfile.prod' }, 'There is no Dockerfile at "Dockerfile.prod" in the build context "simple".'],
        [{ context: 'links/escape' }, 'The build context "links/escape" leads outside the context root (through a symbolic link); refused.'],
        [{ context: 'no/such/dir' }, 'The build context "no/such/dir" does not exist under the context root.'],
      ];
      for (const [spec, message] of cases) {
        await expect(runner().run(buildSpec({ push: false, ...spec }), recordingContext())).rejects.toThrow(message);
      }
      expect(buildImage).not.toHaveBeenCalled();
    } finally {
      buildImage.mockRestore();
    }
  });

  it('cancels a build in the middle of a slow RUN within two seconds and leaves no container running', async () => {
    const builder = await builderWith();
    const { id } = await builder.submitBuild({ service: 'slow', context: 'slow', push: false, noCache: true });
    await eventually(async () => (await builder.readLogs(id)).lines.includes('sleeping'), 30_000, 'the slow RUN to start');
    const asked = Date.now();
    await builder.cancel(id);
    const job: Job = await ended(builder, id, 10_000);
    expect(job.state).toBe('cancelled');
    expect(Date.now() - asked).toBeLessThan(2_000);
    await eventually(async () => (await engine.docker.listContainers()).length === 0, 10_000, 'no container to be running');
  }, 60_000);

  it('ends in error when the registry rejects the push', async () => {
    const locked = await startRegistry({ auth: { username: 'ci', password: 'not-given' } });
    try {
      const builder = await builderWith({ registryPrefix: `${locked.address}/team` });
      const { id } = await builder.submitBuild({ service: 'rejected', context: 'simple', tags: ['1'] });
      const job = await ended(builder, id);
      expect(job.state).toBe('error');
      expect(job.error).toMatch(new RegExp(`^Pushing ${locked.address}/team/rejected:1 failed: .*(unauthorized|authentication required|no basic auth credentials)`));
    } finally {
      await locked.stop();
    }
  }, 60_000);

  it('pushes with credentials from its configuration or a Docker config.json, and never stores or logs them', async () => {
    const password = 'pa55-w0rd-never-logged';
    const locked = await startRegistry({ auth: { username: 'ci-bot', password } });
    try {
      const configDir = mkdtempSync(path.join(tmpdir(), 'dcfg-'));
      const configPath = path.join(configDir, 'config.json');
      writeFileSync(configPath, JSON.stringify({ auths: { [locked.address]: { auth: Buffer.from(`ci-bot:${password}`).toString('base64') } } }));
      for (const options of [{ registryAuth: { [locked.address]: { username: 'ci-bot', password } } }, { dockerConfigPath: configPath }]) {
        const builder = await builderWith({ registryPrefix: `${locked.address}/private`, ...options });
        const { id } = await builder.submitBuild({ service: 'secret-app', context: 'simple', tags: ['1'] });
        const job = await ended(builder, id);
        expect(job.error).toBeNull();
        expect(job.state).toBe('done');
        const stored = JSON.stringify({ job, logs: await builder.readLogs(id), debug: await builder.debug() });
        for (const secret of [password, Buffer.from(`ci-bot:${password}`).toString('base64'), 'ci-bot']) expect(stored).not.toContain(secret);
      }
    } finally {
      await locked.stop();
    }
  }, 90_000);

  it('reports the engine, its version and API version; or what to do when it is unreachable', async () => {
    expect(await runner().health()).toMatchObject({ name: 'docker', ok: true, details: { reachable: true, version: '20.10.24+dfsg1', apiVersion: '1.41' } });
    const missing = await createDockerRunner({ dockerHost: 'unix:///tmp/no-such-docker.sock' }).health();
    expect(missing).toMatchObject({ ok: false, details: { engine: 'unix:///tmp/no-such-docker.sock', reachable: false } });
    expect(missing.message).toMatch(/^The Docker engine at unix:\/\/\/tmp\/no-such-docker.sock is unreachable: .*Set DOCKER_HOST/);
  });
});
