/**
 * Where a build's context comes from, checked before the engine sees anything: a directory
 * under the configured root (a path that leaves the root, through `..` or a symlink, is
 * refused), a git URL the engine clones itself (by the rules of core's git-url.ts and this
 * runner's build policy), or a tar archive uploaded with the request.
 * Directories and uploads are streamed to the engine, never read whole into memory.
 */
import { createReadStream, lstatSync } from 'node:fs';
import { readFile, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import { isGitUrl, parseGitUrl, type BuildSpec } from '@docker-builder/core';
import { pack } from 'tar-fs';

export type PreparedContext =
  | { kind: 'directory'; description: string; stream: Readable }
  | { kind: 'git'; description: string; remote: string }
  | { kind: 'upload'; description: string; stream: Readable; discard(): Promise<void> };

export class ContextError extends Error {
  override name = 'ContextError';
}

export interface ContextOptions {
  contextRoot?: string;
  uploadsDir?: string;
}

/** Where an uploaded context waits for its job. Upload ids are UUIDs made by the server. */
export function uploadPath(uploadsDir: string, uploadId: string): string {
  if (!/^[0-9a-f-]{36}$/.test(uploadId)) throw new ContextError(`"${uploadId}" is not an upload id`);
  return path.join(uploadsDir, `${uploadId}.tar`);
}

export async function prepareContext(spec: BuildSpec, options: ContextOptions): Promise<PreparedContext> {
  if (spec.upload) return uploadedContext(spec.upload, options);
  if (isGitUrl(spec.context)) return { kind: 'git', description: `git ${spec.context}`, remote: engineRemote(spec.context) };
  return directoryContext(spec.context, spec.dockerfile, options);
}

/**
 * The address the engine clones, rebuilt from the parsed URL rather than passed through, so
 * the engine gets exactly what was checked. The classic builder reads ssh only in the
 * scp-like form (`git@host:path`); the build policy allows no other ssh URL.
 */
function engineRemote(context: string): string {
  const parsed = parseGitUrl(context);
  if (!parsed.ok) throw new ContextError(`The git context "${context}" is refused: it ${parsed.reason}.`);
  const { scheme, user, host, port, path: repository, ref, subdirectory } = parsed.url;
  const fragment = ref !== null || subdirectory !== null ? `#${ref ?? ''}${subdirectory !== null ? `:${subdirectory}` : ''}` : '';
  if (scheme === 'ssh') return `${user ?? 'git'}@${host}:${repository}${fragment}`;
  return `https://${host}${port !== null ? `:${port}` : ''}/${repository}${fragment}`;
}

async function uploadedContext(uploadId: string, options: ContextOptions): Promise<PreparedContext> {
  if (!options.uploadsDir) throw new ContextError("This runner has no uploads directory, so it cannot build an uploaded context: set UPLOADS_DIR (the Docker runner's uploadsDir).");
  const file = uploadPath(options.uploadsDir, uploadId);
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      throw new ContextError('The uploaded build context is gone (it is kept only until its job runs); upload it again.');
    },
  );
  return {
    kind: 'upload',
    description: `an uploaded archive (${size} bytes)`,
    stream: createReadStream(file),
    discard: () => rm(file, { force: true }),
  };
}

async function directoryContext(context: string, dockerfile: string, options: ContextOptions): Promise<PreparedContext> {
  if (!options.contextRoot) {
    throw new ContextError(
      "This server has no context root, so it cannot build from a directory: set BUILD_CONTEXT_ROOT (the Docker runner's contextRoot) to the directory that holds the build contexts, or build from a git URL or an uploaded archive.",
    );
  }
  const root = await realpath(options.contextRoot).catch(() => {
    throw new ContextError(`The context root ${options.contextRoot} does not exist on the build host: point BUILD_CONTEXT_ROOT at the directory that holds the build contexts.`);
  });
  const directory = await realpath(path.resolve(root, context)).catch(() => {
    throw new ContextError(`The build context "${context}" does not exist under the context root.`);
  });
  if (!isInside(root, directory)) {
    throw new ContextError(`The build context "${context}" leads outside the context root (through a symbolic link); refused.`);
  }
  if (!(await stat(directory)).isDirectory()) throw new ContextError(`The build context "${context}" is not a directory.`);
  const dockerfilePath = await realpath(path.resolve(directory, dockerfile)).catch(() => {
    throw new ContextError(`There is no Dockerfile at "${dockerfile}" in the build context "${context}".`);
  });
  if (!isInside(directory, dockerfilePath)) {
    throw new ContextError(`The Dockerfile "${dockerfile}" leads outside the build context (through a symbolic link); refused.`);
  }

  const ignoreFile = await readFile(path.join(directory, '.dockerignore'), 'utf8').catch(() => '');
  const ignored = dockerignore().add(ignoreFile);
  // With an exception (`!build/keep.txt`), an ignored directory may still hold files to send:
  // look inside it instead of skipping it whole.
  const hasExceptions = /^\s*!/m.test(ignoreFile);
  // The engine needs the Dockerfile and .dockerignore even when a pattern matches them.
  const keep = new Set([path.normalize(dockerfile), '.dockerignore']);
  const stream = pack(directory, {
    ignore: (name: string) => {
      const relative = path.relative(directory, name);
      if (relative === '' || keep.has(relative)) return false;
      if (hasExceptions && lstatSync(name).isDirectory()) return false;
      return ignored.ignores(relative);
    },
  });
  return { kind: 'directory', description: `directory ${context}`, stream };
}

function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(`${parent}${path.sep}`);
}
