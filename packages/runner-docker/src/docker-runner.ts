/**
 * createDockerRunner: builds an image on a Docker engine (Engine API via dockerode, the
 * classic builder), tags it, and pushes every tag. The engine's output goes to the job's log
 * line by line as it arrives; `Step n/m` drives progress; cancel aborts the HTTP request, which
 * makes the engine stop the build and remove its containers. What a build may reach (git
 * hosts, repositories, secrets) is this runner's configuration, checked at submit and again here.
 */
import { ValidationError, formatPath, type BuildSpec, type ComponentHealth, type FieldIssue, type RunContext, type Runner, type RunnerProblem } from '@docker-builder/core';
import type Dockerode from 'dockerode';
import { rm } from 'node:fs/promises';
import { ContextError, prepareContext, uploadPath, type PreparedContext } from './build-context.js';
import { createBuildPolicy } from './build-policy.js';
import { buildReadiness, engineProblem } from './build-readiness.js';
import { stepProgress } from './build-progress.js';
import { EngineError, createLineAssembler, followEngineStream } from './engine-stream.js';
import { credentialsFor, type AuthConfig, type RegistryCredentials } from './registry-auth.js';
import { createSecretSealer, isSealed, secretRedactor } from './secret-build-args.js';
import { dockerFromHost, describeHost, type DockerTls } from './docker-host.js';

export interface DockerRunnerOptions {
  /** A dockerode instance; or give `dockerHost`. */
  docker?: Dockerode;
  /** `unix:///var/run/docker.sock` (the default), `tcp://host:2375`, `ssh://user@host`. */
  dockerHost?: string;
  /** TLS to a tcp:// `dockerHost` (docker:dind, `dockerd --tlsverify`): the directory of ca.pem, cert.pem and key.pem. */
  dockerTls?: DockerTls;
  /** Directory contexts are resolved under this directory and may not leave it. */
  contextRoot?: string;
  /** Where uploaded contexts wait for their job (shared with the HTTP server). */
  uploadsDir?: string;
  /** Default image repository: `<registryPrefix>/<service>`; without it, just `<service>`. Images may be pushed under it. */
  registryPrefix?: string;
  /**
   * More repositories images may be tagged and pushed as: `registry.example.com/team/app`, or
   * `registry.example.com/team/*` for everything under it. With neither this nor `registryPrefix`,
   * builds must not push; with either, every image must be one of them (pushed or not).
   */
  pushAllow?: readonly string[];
  /**
   * Hosts git contexts may be cloned from: `github.com`, `git.example.com:8443`, `*.example.com`.
   * Default none: git contexts are refused. The engine clones from inside its own network, so
   * list only hosts you trust (they could redirect it, and a repository's submodules are fetched too).
   */
  gitHosts?: readonly string[];
  /** Allow `ssh://git@host/repo.git` contexts (cloned with the engine host's ssh keys); default false. */
  allowSshGit?: boolean;
  /**
   * 32 bytes, the same on the server and every worker: seals secret build arguments before a
   * job is stored and opens them for the build. Without it, secret build arguments are refused.
   */
  secretsKey?: Uint8Array;
  /** Registry host → credentials. Never taken from a payload. */
  registryAuth?: Record<string, RegistryCredentials>;
  /** A Docker config.json to read registry credentials from (`auths`). */
  dockerConfigPath?: string;
  name?: string;
}

export interface BuildResult {
  imageId: string;
  repository: string;
  references: string[];
  pushed: string[];
  /** The registry's manifest digest, once pushed. */
  digest: string | null;
}

export function createDockerRunner(options: DockerRunnerOptions): Runner<'build'> {
  const docker = options.docker ?? dockerFromHost(options.dockerHost, options.dockerTls);
  const name = options.name ?? 'docker';
  const credentials = { registryAuth: options.registryAuth, dockerConfigPath: options.dockerConfigPath };
  const policy = createBuildPolicy(options);
  const sealer = options.secretsKey ? createSecretSealer(options.secretsKey) : null;

  /** The engine's version, or why it did not answer: what health and readiness both report. */
  const askEngine = async (): Promise<{ version: Dockerode.DockerVersion; problem?: undefined } | { problem: RunnerProblem }> => {
    const signal = AbortSignal.timeout(ENGINE_ANSWER_MS);
    try {
      return { version: await versionOf(docker, signal) };
    } catch (error) {
      // A host that drops packets never refuses: it is as unreachable as one that does.
      const reason = signal.aborted ? `no answer within ${ENGINE_ANSWER_MS / 1000} s` : (error as Error).message;
      return { problem: engineProblem(describeHost(docker), reason) };
    }
  };

  /** The server's rules, and what it can do with secret build arguments. */
  const issuesOf = (spec: BuildSpec): FieldIssue[] => {
    const issues = policy.check(spec);
    const secrets = Object.entries(spec.secretBuildArgs ?? {});
    if (secrets.length > 0 && !sealer) {
      issues.push({
        path: 'secretBuildArgs',
        message: 'secret build arguments are refused on this server: it has no SECRETS_KEY (the Docker runner\'s secretsKey) to seal them with',
      });
    }
    return issues;
  };

  /** The secret values for the build, opened; refuses (at run time) a value that was never sealed. */
  const openSecrets = (spec: BuildSpec): Record<string, string> => {
    const secrets = Object.entries(spec.secretBuildArgs ?? {});
    if (secrets.length === 0) return {};
    if (!sealer) throw new ContextError('This job has secret build arguments, but this worker has no SECRETS_KEY to open them: give it the server\'s.');
    return Object.fromEntries(secrets.map(([arg, sealed]) => [arg, sealer.open(arg, sealed)]));
  };

  async function buildTagPush(spec: BuildSpec, context: RunContext, secrets: Record<string, string>): Promise<BuildResult> {
    const repository = policy.repositoryOf(spec);
    const references = spec.tags.map((tag) => `${repository}:${tag}`);
    // Only the credentials of the registry this image belongs to: enough for base images kept
    // beside it and for the push, and nothing a Dockerfile could use to pull from the others.
    const auth = credentialsFor(repository, credentials);
    const source = await prepareContext(spec, options);
    try {
      context.log(`[docker-builder] building ${references[0]} from ${source.description}`);
      const imageId = await build(docker, spec, source, references[0]!, context, auth, secrets);
      for (const tag of spec.tags.slice(1)) await docker.getImage(imageId).tag({ repo: repository, tag });
      context.log(`[docker-builder] built ${imageId}, tagged ${references.join(', ')}`);
      let digest: string | null = null;
      if (spec.push) {
        for (const [i, tag] of spec.tags.entries()) {
          context.log(`[docker-builder] pushing ${repository}:${tag}`);
          digest = (await push(docker, repository, tag, auth, context)) ?? digest;
          context.progress(90 + (10 * (i + 1)) / spec.tags.length);
        }
      }
      context.progress(100);
      return { imageId, repository, references, pushed: spec.push ? references : [], digest };
    } finally {
      if (source.kind === 'upload') await source.discard();
    }
  }

  return {
    name,
    kind: 'build',
    validate(spec) {
      const issues = issuesOf(spec);
      for (const [arg, value] of Object.entries(spec.secretBuildArgs ?? {})) {
        // A sealed value comes from a stored job (a retry, or one copied from the API): taking it
        // back would let anyone who can read a job build with its secret. The value is never kept.
        if (isSealed(value)) {
          issues.push({
            path: formatPath(['secretBuildArgs', arg]),
            message: 'holds a sealed value, which is never accepted back (so a build with secret build arguments cannot be retried): submit it again with the value itself',
          });
        }
      }
      if (issues.length > 0) throw new ValidationError(issues);
      // The builder stores what this returns: sealed, so plaintext never reaches a store.
      if (!sealer || !spec.secretBuildArgs) return spec;
      return {
        ...spec,
        secretBuildArgs: Object.fromEntries(Object.entries(spec.secretBuildArgs).map(([arg, value]) => [arg, sealer.seal(arg, value)])),
      };
    },
    async run(spec, context): Promise<BuildResult> {
      context.signal.throwIfAborted();
      // Again here: the spec was stored by whoever wrote to the store, maybe an older version.
      const refused = issuesOf(spec);
      if (refused.length > 0) throw new ContextError(`Refused by this server's build rules: ${refused.map((i) => `${i.path}: ${i.message}`).join('; ')}.`);
      const secrets = openSecrets(spec);
      const redact = secretRedactor(Object.values(secrets));
      // Every line and error of this build passes the redactor: a RUN that echoes a secret
      // prints *** in the job's log.
      const runContext: RunContext = { ...context, log: (line) => context.log(redact(line)) };
      try {
        return await buildTagPush(spec, runContext, secrets);
      } catch (error) {
        if (error instanceof Error) error.message = redact(error.message);
        throw error;
      }
    },
    async release(spec) {
      if (spec.upload && options.uploadsDir) await rm(uploadPath(options.uploadsDir, spec.upload), { force: true });
    },
    async health(): Promise<ComponentHealth> {
      const answer = await askEngine();
      if (answer.problem) {
        return { name, ok: false, message: answer.problem.detail, details: { engine: describeHost(docker), reachable: false } };
      }
      const { version } = answer;
      return {
        name,
        ok: true,
        details: {
          engine: describeHost(docker),
          reachable: true,
          version: version.Version,
          apiVersion: version.ApiVersion,
          os: version.Os,
          arch: version.Arch,
          contextRoot: options.contextRoot ?? null,
          registryPrefix: options.registryPrefix ?? null,
          ...policy.summary,
          secretBuildArgs: sealer ? `sealed (key ${sealer.keyId})` : 'refused (no secretsKey)',
        },
      };
    },
    readiness: () =>
      buildReadiness({
        probeEngine: async () => (await askEngine()).problem ?? null,
        contextRoot: options.contextRoot,
        uploadsDir: options.uploadsDir,
        gitHosts: policy.summary.gitHosts,
        allowSshGit: policy.summary.allowSshGit,
        canPush: policy.summary.pushAllow.length > 0,
      }),
  };
}

/** Less than the builder's 3 s health timeout, so an engine that never answers is named as such. */
const ENGINE_ANSWER_MS = 2_500;

/** dockerode takes an abort signal here, though its types do not say so: the request is cut, not left hanging. */
function versionOf(docker: Dockerode, abortSignal: AbortSignal): Promise<Dockerode.DockerVersion> {
  const version = docker.version as unknown as (this: Dockerode, options: { abortSignal: AbortSignal }) => Promise<Dockerode.DockerVersion>;
  return version.call(docker, { abortSignal });
}

async function build(
  docker: Dockerode,
  spec: BuildSpec,
  source: PreparedContext,
  reference: string,
  context: RunContext,
  auth: AuthConfig | null,
  secrets: Record<string, string>,
): Promise<string> {
  const registryConfig = auth ? { [auth.serveraddress]: { username: auth.username, password: auth.password } } : {};
  const stream = await engineCall(() =>
    docker.buildImage((source.kind === 'git' ? undefined : source.stream) as never, {
      t: reference,
      dockerfile: spec.dockerfile,
      buildargs: { ...spec.buildArgs, ...secrets },
      labels: spec.labels,
      nocache: spec.noCache,
      pull: spec.pull,
      rm: true,
      forcerm: true,
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.platform ? { platform: spec.platform } : {}),
      ...(source.kind === 'git' ? { remote: source.remote } : {}),
      ...(Object.keys(registryConfig).length > 0 ? { registryconfig: registryConfig } : {}),
      abortSignal: context.signal,
    } as Dockerode.ImageBuildOptions),
  );
  let imageId: string | undefined;
  const lines = createLineAssembler((line) => {
    context.log(line);
    const step = stepProgress(line);
    if (step) context.progress((90 * (step.step - 1)) / step.steps);
  });
  try {
    await engineCall(() =>
      followEngineStream(stream, (event) => {
        if (event.aux?.ID) imageId = event.aux.ID;
        lines.add(event);
      }),
    );
  } finally {
    lines.flush();
  }
  if (!imageId) {
    const image = await docker.getImage(reference).inspect();
    imageId = image.Id;
  }
  return imageId;
}

async function push(
  docker: Dockerode,
  repository: string,
  tag: string,
  auth: AuthConfig | null,
  context: RunContext,
): Promise<string | null> {
  const reference = `${repository}:${tag}`;
  let digest: string | null = null;
  try {
    const stream = await docker.getImage(repository).push({ tag, abortSignal: context.signal, ...(auth ? { authconfig: auth } : {}) });
    const lines = createLineAssembler((line) => context.log(line));
    await followEngineStream(stream, (event) => {
      if (event.aux?.Digest) digest = event.aux.Digest;
      lines.add(event);
    });
    lines.flush();
  } catch (error) {
    if (context.signal.aborted) throw error;
    throw new EngineError(`Pushing ${reference} failed: ${engineMessage(error)}`);
  }
  return digest;
}

/** Engine failures carry their message in a JSON body; keep only that, never request details. */
async function engineCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof EngineError || (error as Error).name === 'AbortError') throw error;
    throw new EngineError(engineMessage(error));
  }
}

function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } | null }).json;
  if (json?.message) return json.message;
  const message = (error as Error).message ?? String(error);
  if (/ECONNREFUSED|ENOENT|EACCES/.test(message)) return `the Docker engine is unreachable (${message})`;
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '');
}
