/**
 * What a build may reach, by the runner's configuration: git hosts, ssh, repositories to push
 * to, secret build arguments. These run against an engine that does not exist (and a stand-in
 * that records what it would have been asked), so no payload here can reach a network.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ValidationError, createBuilder, type BuildSpec, type Runner } from '@docker-builder/core';
import { buildSpec, jobEnded, recordingContext } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createDockerRunner, type DockerRunnerOptions } from '@docker-builder/runner-docker';

const NO_ENGINE = 'unix:///nonexistent/docker.sock';
/** Directory contexts are refused without a context root; submit-time checks never look inside it. */
const ROOT = '/nonexistent/contexts';

/** Stands in for dockerode: records each build's options and fails it, as an engine that refused would. */
function recordingDocker() {
  const builds: Array<Record<string, unknown>> = [];
  const docker = {
    buildImage: async (_context: unknown, options: Record<string, unknown>) => {
      builds.push(options);
      const stream = new PassThrough();
      setImmediate(() => stream.end(`${JSON.stringify({ error: 'recorded, not built' })}\n`));
      return stream;
    },
    modem: { socketPath: '/nonexistent/docker.sock' },
  } as unknown as Dockerode;
  return { docker, builds };
}

function setup(options: Partial<DockerRunnerOptions> = {}) {
  const runner = createDockerRunner({ dockerHost: NO_ENGINE, contextRoot: ROOT, ...options });
  const store = createMemoryJobStore();
  const builder = createBuilder({ store, runners: { build: runner }, logs: { flushIntervalMs: 5 } });
  const refusal = async (payload: Record<string, unknown>) => {
    const error = await builder.submitBuild({ service: 'app', ...payload }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    // Refused before anything was stored.
    expect((await builder.list({ limit: 10 })).jobs).toEqual([]);
    return (error as ValidationError).issues;
  };
  return { runner, builder, store, refusal };
}

describe('git contexts', () => {
  it('are refused while no git host is allowed, naming GIT_HOSTS', async () => {
    const issues = await setup().refusal({ context: 'https://github.com/team/repo.git', push: false });
    expect(issues).toEqual([
      {
        path: 'context',
        message: "git contexts are refused on this server: set GIT_HOSTS (the Docker runner's gitHosts) to the hosts builds may clone from, e.g. GIT_HOSTS=github.com",
      },
    ]);
  });

  it.each([
    ['https://git.other.org/team/repo.git', 'git host "git.other.org" is not allowed'],
    ['https://github.com:8443/team/repo.git', 'git host "github.com:8443" is not allowed'],
    ['https://github.com.evil.example/team/repo.git', 'git host "github.com.evil.example" is not allowed'],
    ['https://example.com/team/repo.git', 'git host "example.com" is not allowed'],
    ['ssh://git@github.com/team/repo.git', 'set GIT_ALLOW_SSH=true'],
  ])('refuses %s when GIT_HOSTS is github.com,*.example.com', async (context, message) => {
    const issues = await setup({ gitHosts: ['github.com', '*.example.com'] }).refusal({ context, push: false });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('context');
    expect(issues[0]!.message).toContain(message);
  });

  it('sends the engine exactly the URL it checked, for allowed hosts, ports and ssh', async () => {
    const { docker, builds } = recordingDocker();
    const runner = createDockerRunner({ docker, gitHosts: ['github.com', 'git.example.com:8443', '*.corp.example'], allowSshGit: true });
    const builder = createBuilder({ store: createMemoryJobStore(), runners: { build: runner } });
    for (const context of [
      'https://GitHub.com/team/repo.git#main:services/api',
      'https://github.com:443/team/repo.git',
      'https://git.example.com:8443/team/repo.git#v1',
      'https://git.eu.corp.example/team/repo.git',
      'ssh://git@github.com/team/repo.git#main',
    ]) {
      await jobEnded(builder, (await builder.submitBuild({ service: 'app', context, push: false })).id, 5_000);
    }
    expect(builds.map((options) => options.remote)).toEqual([
      'https://github.com/team/repo.git#main:services/api',
      'https://github.com:443/team/repo.git',
      'https://git.example.com:8443/team/repo.git#v1',
      'https://git.eu.corp.example/team/repo.git',
      'git@github.com:team/repo.git#main',
    ]);
    await expect(setup({ gitHosts: ['github.com'], allowSshGit: true }).refusal({ context: 'ssh://deploy@github.com/team/repo.git', push: false })).resolves.toEqual([
      { path: 'context', message: 'must be ssh://git@host/path.git (no other login, no port): the Docker engine clones ssh contexts only as git@host:path' },
    ]);
  });

  it('refuses again at run time, before the engine, a spec that was stored without passing', async () => {
    const { docker, builds } = recordingDocker();
    const runner = createDockerRunner({ docker, gitHosts: ['github.com'] });
    for (const context of ['https://evil.example/team/repo.git', 'https://169.254.169.254/latest.git', 'git@github.com:team/repo.git']) {
      await expect(runner.run(buildSpec({ context }), recordingContext())).rejects.toThrow(/^Refused by this server's build rules: context: /);
    }
    expect(builds).toEqual([]);
  });

  it('refuses host entries that could never match, naming the option', () => {
    for (const entry of ['127.0.0.1', '[::1]', 'localhost', 'https://github.com', 'user@github.com', 'github.com/team']) {
      expect(() => createDockerRunner({ dockerHost: NO_ENGINE, gitHosts: [entry] })).toThrow(new RegExp(`^gitHosts: "${entry.replace(/[.[\]/]/g, '\\$&')}" is not a git host`));
    }
  });
});

describe('pushes', () => {
  it('are refused while no registry is configured, naming REGISTRY_PREFIX and PUSH_ALLOW; local builds still pass', async () => {
    const { refusal, runner } = setup();
    expect(await refusal({ push: true })).toEqual([
      {
        path: 'push',
        message:
          'pushing is refused on this server: set REGISTRY_PREFIX or PUSH_ALLOW (the Docker runner\'s registryPrefix and pushAllow), or build with "push": false',
      },
    ]);
    const spec = buildSpec({ push: false, image: 'anything/at-all' });
    await expect(Promise.resolve(runner.validate!(spec))).resolves.toEqual(spec);
  });

  it.each([
    ['registry.corp/prod/payments', 'image'],
    ['registry.example.com/other/app', 'image'],
    ['registry.example.com/team', 'image'],
    ['registry.example.com/teamx/app', 'image'],
    ['docker.io/library/app', 'image'],
    ['app', 'image'],
  ])('refuses the image %s outside REGISTRY_PREFIX and PUSH_ALLOW, pushed or not', async (image, path) => {
    const { refusal } = setup({ registryPrefix: 'registry.example.com/team', pushAllow: ['registry.example.com/shared/base', 'ghcr.io/acme/*'] });
    for (const push of [true, false]) {
      const issues = await refusal({ image, push });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ path });
      expect(issues[0]!.message).toBe(
        `"${image}" is not a repository this server builds for: images go under REGISTRY_PREFIX (registry.example.com/team) or PUSH_ALLOW ` +
          "(the Docker runner's registryPrefix and pushAllow); ask for it to be added to PUSH_ALLOW " +
          '(now registry.example.com/team/*, registry.example.com/shared/base, ghcr.io/acme/*)',
      );
    }
  });

  it('accepts images under REGISTRY_PREFIX and PUSH_ALLOW entries, however the registry is spelled', async () => {
    const runner = createDockerRunner({
      dockerHost: NO_ENGINE,
      contextRoot: ROOT,
      registryPrefix: 'registry.example.com/team',
      pushAllow: ['registry.example.com/shared/base', 'ghcr.io/acme/*', 'library/nginx', 'localhost:5000/*'],
    });
    for (const image of [
      undefined,
      'registry.example.com/team/app',
      'registry.example.com/team/sub/app',
      'REGISTRY.example.com/team/app',
      'registry.example.com/shared/base',
      'ghcr.io/acme/tool',
      'nginx',
      'docker.io/library/nginx',
      'index.docker.io/library/nginx',
      'localhost:5000/anything',
    ]) {
      expect(() => runner.validate!(buildSpec({ push: true, ...(image ? { image } : {}) })), String(image)).not.toThrow();
    }
    const onlyHub = createDockerRunner({ dockerHost: NO_ENGINE, contextRoot: ROOT, pushAllow: ['acme/*'] });
    expect(() => onlyHub.validate!(buildSpec({ push: true, image: 'docker.io/acme/app' }))).not.toThrow();
    expect(() => onlyHub.validate!(buildSpec({ push: true, service: 'app' }))).toThrow(/"app" is not a repository this server builds for/);
  });

  it('refuses allow-list entries that are not repositories, naming the option', () => {
    expect(() => createDockerRunner({ dockerHost: NO_ENGINE, pushAllow: ['registry.example.com/team:latest'] })).toThrow(/^pushAllow: "registry.example.com\/team:latest" is not an image repository/);
  });
});

describe('secret build arguments', () => {
  const SECRET = 'npm_s3cr3t-t0ken-value';

  it('are refused without a key, naming SECRETS_KEY', async () => {
    expect(await setup().refusal({ push: false, secretBuildArgs: { NPM_TOKEN: SECRET } })).toEqual([
      {
        path: 'secretBuildArgs',
        message: "secret build arguments are refused on this server: it has no SECRETS_KEY (the Docker runner's secretsKey) to seal them with",
      },
    ]);
  });

  it('are sealed before the job is stored, reach the engine opened, and cannot be retried or copied', async () => {
    const key = randomBytes(32);
    const { docker, builds } = recordingDocker();
    const store = createMemoryJobStore();
    const builder = createBuilder({ store, runners: { build: createDockerRunner({ docker, contextRoot: ROOT, secretsKey: key, gitHosts: ['github.com'] }) }, logs: { flushIntervalMs: 5 } });
    const { id } = await builder.submitBuild({
      service: 'app',
      context: 'https://github.com/team/repo.git',
      push: false,
      buildArgs: { A: '1' },
      secretBuildArgs: { NPM_TOKEN: SECRET },
    });
    const job = await jobEnded(builder, id, 5_000);
    const sealed = (job.spec as BuildSpec).secretBuildArgs!.NPM_TOKEN!;
    expect(sealed).toMatch(/^sealed:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify({ job, stored: await store.get(id), logs: await builder.readLogs(id) })).not.toContain(SECRET);
    expect(builds[0]!.buildargs).toEqual({ A: '1', NPM_TOKEN: SECRET });

    // A retry would resubmit the sealed value; so would anyone who copied it from the API.
    const retry = await builder.retry(id).then(() => null, (e: unknown) => e);
    expect(retry).toBeInstanceOf(ValidationError);
    expect((retry as ValidationError).issues).toEqual([
      {
        path: 'secretBuildArgs.NPM_TOKEN',
        message: 'holds a sealed value, which is never accepted back (so a build with secret build arguments cannot be retried): submit it again with the value itself',
      },
    ]);
    await expect(builder.submitBuild({ service: 'copy', push: false, secretBuildArgs: { NPM_TOKEN: sealed } })).rejects.toThrow(/holds a sealed value/);
    expect((await builder.list({ limit: 10 })).jobs).toHaveLength(1);
  });

  it('refuse to build with a value sealed under another key, for another argument, or never sealed', async () => {
    const { docker, builds } = recordingDocker();
    const runner: Runner<'build'> = createDockerRunner({ docker, contextRoot: ROOT, secretsKey: randomBytes(32) });
    const other: Runner<'build'> = createDockerRunner({ docker, contextRoot: ROOT, secretsKey: randomBytes(32) });
    const sealedElsewhere = (await other.validate!(buildSpec({ secretBuildArgs: { NPM_TOKEN: SECRET } })))!;
    await expect(runner.run(sealedElsewhere, recordingContext())).rejects.toThrow(/was sealed with another SECRETS_KEY \(key [0-9a-f]{8}; this process has key [0-9a-f]{8}\)/);

    const moved = (await runner.validate!(buildSpec({ secretBuildArgs: { NPM_TOKEN: SECRET } })))!;
    const swapped = buildSpec({ secretBuildArgs: { OTHER: moved.secretBuildArgs!.NPM_TOKEN! } });
    await expect(runner.run(swapped, recordingContext())).rejects.toThrow('the secret build argument OTHER could not be opened');

    await expect(runner.run(buildSpec({ secretBuildArgs: { NPM_TOKEN: SECRET } }), recordingContext())).rejects.toThrow('was not sealed');
    await expect(createDockerRunner({ docker, contextRoot: ROOT }).run(moved, recordingContext())).rejects.toThrow('has no SECRETS_KEY');
    expect(builds).toEqual([]);
  });

  it('are scrubbed from every line and error the build produces', async () => {
    const key = randomBytes(32);
    const lines = [`Step 2/2 : RUN echo token=${SECRET}`, `token=${SECRET} and again ${SECRET}`];
    const docker = {
      buildImage: async () => {
        const stream = new PassThrough();
        setImmediate(() => stream.end([...lines.map((line) => ({ stream: `${line}\n` })), { error: `failed with ${SECRET}` }].map((e) => JSON.stringify(e)).join('\n')));
        return stream;
      },
      modem: {},
    } as unknown as Dockerode;
    const runner = createDockerRunner({ docker, secretsKey: key, gitHosts: ['github.com'] });
    const spec = (await runner.validate!(buildSpec({ context: 'https://github.com/team/repo.git', secretBuildArgs: { NPM_TOKEN: SECRET } })))!;
    const context = recordingContext();
    await expect(runner.run(spec, context)).rejects.toThrow('failed with ***');
    expect(context.lines.slice(1)).toEqual(['Step 2/2 : RUN echo token=***', 'token=*** and again ***']);
  });
});
