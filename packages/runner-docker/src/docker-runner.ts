/**
 * createDockerRunner: builds an image on a Docker engine (Engine API via dockerode, the
 * classic builder), tags it, and pushes every tag. The engine's output goes to the job's log
 * line by line as it arrives; `Step n/m` drives progress; cancel aborts the HTTP request, which
 * makes the engine stop the build and remove its containers.
 */
import type { BuildSpec, ComponentHealth, RunContext, Runner } from '@docker-builder/core';
import type Dockerode from 'dockerode';
import { rm } from 'node:fs/promises';
import { prepareContext, uploadPath, type PreparedContext } from './build-context.js';
import { stepProgress } from './build-progress.js';
import { EngineError, createLineAssembler, followEngineStream } from './engine-stream.js';
import { allCredentials, credentialsFor, type RegistryCredentials } from './registry-auth.js';
import { dockerFromHost, describeHost } from './docker-host.js';

export interface DockerRunnerOptions {
  /** A dockerode instance; or give `dockerHost`. */
  docker?: Dockerode;
  /** `unix:///var/run/docker.sock` (the default), `tcp://host:2375`, `ssh://user@host`. */
  dockerHost?: string;
  /** Directory contexts are resolved under this directory and may not leave it. */
  contextRoot?: string;
  /** Where uploaded contexts wait for their job (shared with the HTTP server). */
  uploadsDir?: string;
  /** Default image repository: `<registryPrefix>/<service>`; without it, just `<service>`. */
  registryPrefix?: string;
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
  const docker = options.docker ?? dockerFromHost(options.dockerHost);
  const name = options.name ?? 'docker';
  const credentials = { registryAuth: options.registryAuth, dockerConfigPath: options.dockerConfigPath };

  const repositoryOf = (spec: BuildSpec) =>
    spec.image ?? (options.registryPrefix ? `${options.registryPrefix.replace(/\/+$/, '')}/${spec.service}` : spec.service);

  return {
    name,
    kind: 'build',
    async run(spec, context): Promise<BuildResult> {
      context.signal.throwIfAborted();
      const repository = repositoryOf(spec);
      const references = spec.tags.map((tag) => `${repository}:${tag}`);
      const source = await prepareContext(spec, options);
      try {
        context.log(`[docker-builder] building ${references[0]} from ${source.description}`);
        const imageId = await build(docker, spec, source, references[0]!, context, allCredentials(credentials));
        for (const tag of spec.tags.slice(1)) await docker.getImage(imageId).tag({ repo: repository, tag });
        context.log(`[docker-builder] built ${imageId}, tagged ${references.join(', ')}`);
        let digest: string | null = null;
        if (spec.push) {
          const auth = credentialsFor(repository, credentials);
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
    },
    async release(spec) {
      if (spec.upload && options.uploadsDir) await rm(uploadPath(options.uploadsDir, spec.upload), { force: true });
    },
    async health(): Promise<ComponentHealth> {
      try {
        const version = await docker.version();
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
          },
        };
      } catch (error) {
        return {
          name,
          ok: false,
          message: `The Docker engine at ${describeHost(docker)} is unreachable: ${(error as Error).message}. Set DOCKER_HOST or mount the engine's socket.`,
          details: { engine: describeHost(docker), reachable: false },
        };
      }
    },
  };
}

async function build(
  docker: Dockerode,
  spec: BuildSpec,
  source: PreparedContext,
  reference: string,
  context: RunContext,
  registryConfig: Record<string, { username: string; password: string }>,
): Promise<string> {
  const stream = await engineCall(() =>
    docker.buildImage((source.kind === 'git' ? undefined : source.stream) as never, {
      t: reference,
      dockerfile: spec.dockerfile,
      buildargs: spec.buildArgs,
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
  auth: ReturnType<typeof credentialsFor>,
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
