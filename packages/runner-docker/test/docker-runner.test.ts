import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ValidationError, createBuilder, type BuildSpec, type Job } from '@docker-builder/core';
import { buildSpec, eventually, jobEnded, recordingContext, runnerContract } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { startDockerEngine, startRegistry, type DockerEngine, type Registry } from '../../../test-support/docker-engine.js';
import { makeContextRoot } from './contexts.js';
import { startHttpsGitHosts, type HttpsGitHosts } from '../../../test-support/https-git.js';
import { BASE_IMAGE } from '../../../test-support/docker-engine.js';
import { freePort } from '../../../test-support/free-port.js';

let engine: DockerEngine;
let registry: Registry;
let contextRoot: string;
let gitHosts: HttpsGitHosts;
beforeAll(async () => {
  // Git contexts are https URLs naming a host, so the engine reaches git.test through a proxy
  // on loopback that serves only that name (and records whatever else it was asked for).
  gitHosts = await startHttpsGitHosts(['git.test']);
  [engine, registry] = await Promise.all([startDockerEngine({ env: gitHosts.engineEnv }), startRegistry()]);
  contextRoot = makeContextRoot();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await engine?.stop();
  await gitHosts?.stop();
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
    // No engine listens there: a closed port on loopback.
    makeBrokenRunner: async () => createDockerRunner({ dockerHost: `tcp://127.0.0.1:${await freePort()}`, contextRoot }),
  });

  it('is ready, with every context source and pushes, when it is configured for them and the engine answers', async () => {
    const readiness = await runner({ gitHosts: ['git.test'], uploadsDir: contextRoot }).readiness!();
    expect(readiness).toEqual({
      problems: [],
      contexts: { directory: { ok: true }, git: { ok: true, hosts: ['git.test'], ssh: false }, upload: { ok: true } },
      push: { ok: true },
    });
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

  it('builds from an https git URL on an allowed host, at a ref and in a subdirectory, cloned by the engine', async () => {
    const repository = gitHosts.addRepository('git.test', 'shop', {
      'README.md': 'not part of the build\n',
      'services/api/Dockerfile': `FROM ${BASE_IMAGE}\nCOPY greeting.txt /greeting.txt\nCMD ["cat", "/greeting.txt"]\n`,
      'services/api/greeting.txt': 'hello from git\n',
    });
    const builder = await builderWith({ gitHosts: ['git.test'] });
    const context = `${repository}#main:services/api`;
    const { id } = await builder.submitBuild({ service: 'from-git', context, push: false });
    const job = await ended(builder, id);
    expect(job.error).toBeNull();
    const [tag] = (job.spec as { tags: string[] }).tags;
    expect((await builder.readLogs(id)).lines[0]).toBe(`[docker-builder] building ${registry.address}/team/from-git:${tag} from git ${context}`);
    expect(await runImage((job.result as { references: string[] }).references[0]!)).toBe('hello from git\n');
    // The engine asked for git.test and nothing else.
    expect(gitHosts.refused).toEqual([]);
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
  it('pushes under REGISTRY_PREFIX and to PUSH_ALLOW entries; refuses any other repository at submit, before the engine', async () => {
    const builder = await builderWith({ pushAllow: [`${registry.address}/shared/*`] });
    for (const image of [`${registry.address}/team/prefixed`, `${registry.address}/shared/allowed`]) {
      const job = await ended(builder, (await builder.submitBuild({ service: 'allowed', image, context: 'simple', tags: ['1'] })).id);
      expect(job.error).toBeNull();
      expect((job.result as { pushed: string[] }).pushed).toEqual([`${image}:1`]);
    }
    expect(await (await fetch(`http://${registry.address}/v2/shared/allowed/tags/list`)).json()).toEqual({ name: 'shared/allowed', tags: ['1'] });

    const buildImage = vi.spyOn(engine.docker, 'buildImage');
    try {
      const before = (await builder.list({ limit: 50 })).jobs.length;
      const refused = await builder
        .submitBuild({ service: 'payments', image: `${registry.address}/prod/payments`, context: 'simple', tags: ['latest'] })
        .then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).issues[0]).toMatchObject({ path: 'image', message: expect.stringContaining('ask for it to be added to PUSH_ALLOW') });
      expect((await builder.list({ limit: 50 })).jobs).toHaveLength(before);
      expect(buildImage).not.toHaveBeenCalled();
    } finally {
      buildImage.mockRestore();
    }
    expect((await fetch(`http://${registry.address}/v2/prod/payments/tags/list`)).status).toBe(404);
  }, 90_000);

  it("gives a build only its own registry's credentials: a FROM on another configured registry is not authorised", async () => {
    const [own, other] = await Promise.all([
      startRegistry({ auth: { username: 'own-bot', password: 'own-password' } }),
      startRegistry({ auth: { username: 'other-bot', password: 'other-password' } }),
    ]);
    try {
      const registryAuth = { [own.address]: { username: 'own-bot', password: 'own-password' }, [other.address]: { username: 'other-bot', password: 'other-password' } };
      const root = mkdtempSync(path.join(tmpdir(), 'ctx-from-'));
      const dockerfile = (name: string, from: string) => {
        mkdirSync(path.join(root, name));
        writeFileSync(path.join(root, name, 'Dockerfile'), `FROM ${from}\nRUN echo built on ${from}\n`);
      };
      dockerfile('base', BASE_IMAGE);
      dockerfile('from-own', `${own.address}/base/busybox:1`);
      dockerfile('from-other', `${other.address}/base/busybox:1`);

      // The same base image in both registries, each pushed with that registry's own credentials.
      for (const target of [own, other]) {
        const builder = await builderWith({ contextRoot: root, registryPrefix: `${target.address}/base`, registryAuth });
        const job = await ended(builder, (await builder.submitBuild({ service: 'busybox', context: 'base', tags: ['1'] })).id);
        expect(job.error).toBeNull();
        await engine.docker.getImage(`${target.address}/base/busybox:1`).remove();
      }

      // dockerode moves `registryconfig` into a header, so note which registries each build was given as it is called.
      const given: string[][] = [];
      const original = engine.docker.buildImage.bind(engine.docker);
      const buildImage = vi.spyOn(engine.docker, 'buildImage').mockImplementation(((file: never, options: { registryconfig?: object }) => {
        given.push(Object.keys(options.registryconfig ?? {}));
        return original(file, options as never);
      }) as never);
      try {
        const builder = await builderWith({ contextRoot: root, registryPrefix: `${own.address}/team`, registryAuth });
        const fromOwn = await ended(builder, (await builder.submitBuild({ service: 'from-own', context: 'from-own', push: false })).id);
        expect(fromOwn.error).toBeNull();
        const fromOther = await ended(builder, (await builder.submitBuild({ service: 'from-other', context: 'from-other', push: false })).id);
        expect(fromOther.state).toBe('error');
        expect(fromOther.error).toMatch(/unauthorized|authentication required|no basic auth credentials/);
        expect(given).toEqual([[own.address], [own.address]]);
      } finally {
        buildImage.mockRestore();
      }
    } finally {
      await Promise.all([own.stop(), other.stop()]);
    }
  }, 120_000);

  it('hands a secret build argument to the build, and keeps it out of the job, its log and the pushed stage', async () => {
    const secret = `npm_${randomBytes(12).toString('hex')}`;
    const digest = createHash('sha256').update(`${secret}\n`).digest('hex');
    const root = mkdtempSync(path.join(tmpdir(), 'ctx-secret-'));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    };
    write('single/Dockerfile', `FROM ${BASE_IMAGE}\nARG NPM_TOKEN\nRUN echo "$NPM_TOKEN" | sha256sum && echo "token is $NPM_TOKEN"\n`);
    write(
      'staged/Dockerfile',
      `FROM ${BASE_IMAGE} AS deps\nARG NPM_TOKEN\nRUN echo "$NPM_TOKEN" | sha256sum > /installed\nFROM ${BASE_IMAGE}\nCOPY --from=deps /installed /installed\n`,
    );
    const builder = await builderWith({ contextRoot: root, secretsKey: randomBytes(32) });

    const single = await ended(builder, (await builder.submitBuild({ service: 'secret-single', context: 'single', push: false, noCache: true, secretBuildArgs: { NPM_TOKEN: secret } })).id);
    expect(single.error).toBeNull();
    const { lines } = await builder.readLogs(single.id);
    expect(lines).toContain(`${digest}  -`);
    expect(lines).toContain('token is ***');
    expect((single.spec as BuildSpec).secretBuildArgs!.NPM_TOKEN).toMatch(/^sealed:v1:/);
    expect(JSON.stringify({ single, lines })).not.toContain(secret);
    // What the README says: a classic ARG used by a RUN step is in the image's history...
    const history = async (job: Job) => JSON.stringify(await engine.docker.getImage((job.result as { imageId: string }).imageId).history());
    expect(await history(single)).toContain(`NPM_TOKEN=${secret}`);

    // ...and a later stage that only copies the result does not carry it.
    const staged = await ended(builder, (await builder.submitBuild({ service: 'secret-staged', context: 'staged', push: false, noCache: true, secretBuildArgs: { NPM_TOKEN: secret } })).id);
    expect(staged.error).toBeNull();
    expect(await history(staged)).not.toContain(secret);
    expect(await runImage((staged.result as { references: string[] }).references[0]!, ['cat', '/installed'])).toBe(`${digest}  -\n`);
  }, 120_000);
});
