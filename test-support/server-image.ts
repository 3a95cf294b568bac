/**
 * Builds the repository's Dockerfile (the server's image) on a test engine: the context packed
 * as the docker CLI would (honouring .dockerignore), BuildKit through the Engine API with the
 * host's network (the test engine has no bridge; the build installs from the npm registry).
 * The classic builder makes a container and a full vfs copy for every instruction, which took
 * over 8 minutes for this Dockerfile here; BuildKit about 75 s.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';

export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

// The runner's own .dockerignore reader, so the context is the one `docker build .` sends.
const dockerignore = createRequire(path.join(REPOSITORY_ROOT, 'packages/runner-docker/package.json'))('@balena/dockerignore') as () => {
  add(patterns: string): { ignores(file: string): boolean };
};

export interface BuiltImage {
  tag: string;
  seconds: number;
  /** Bytes of the context sent to the engine. */
  contextBytes: number;
  /** Paths in the context, relative to the repository. */
  contextFiles: string[];
}

/**
 * The context as `docker build .` sends it, packed whole before the build starts: a file that
 * changes size or disappears while it is read (an editor or a build writing in the working
 * tree) fails the packing, and it is packed again, instead of the engine receiving a cut-off
 * archive (which it reported as a Dockerfile parse error).
 */
async function packContext(): Promise<{ tar: Buffer; files: string[] }> {
  const { pack } = await import('tar-fs');
  const ignored = dockerignore().add(readFileSync(path.join(REPOSITORY_ROOT, '.dockerignore'), 'utf8'));
  // The engine needs these two even when a pattern matches them, as the CLI sends them.
  const keep = new Set(['Dockerfile', '.dockerignore']);
  for (let attempt = 1; ; attempt++) {
    const files: string[] = [];
    const chunks: Buffer[] = [];
    try {
      const context = pack(REPOSITORY_ROOT, {
        ignore: (name: string) => {
          const relative = path.relative(REPOSITORY_ROOT, name);
          const skip = relative !== '' && !keep.has(relative) && ignored.ignores(relative);
          if (!skip && relative !== '') files.push(relative);
          return skip;
        },
      });
      for await (const chunk of context) chunks.push(chunk as Buffer);
      return { tar: Buffer.concat(chunks), files };
    } catch (error) {
      if (attempt === 3) throw new Error(`packing the build context failed ${attempt} times, last: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export async function buildServerImage(docker: Dockerode, options: { tag: string; buildArgs?: Record<string, string> }): Promise<BuiltImage> {
  const { tar, files } = await packContext();
  const started = Date.now();
  const stream = await docker.buildImage(Readable.from([tar]) as never, { t: options.tag, version: '2', networkmode: 'host', buildargs: options.buildArgs ?? {} });
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: Array<{ error?: string }>) => {
        const failed = error ?? events.find((event) => event.error)?.error;
        if (failed) reject(new Error(`building ${options.tag} failed: ${String(failed)}`));
        else resolve(null);
      },
    ),
  );
  return { tag: options.tag, seconds: (Date.now() - started) / 1000, contextBytes: tar.length, contextFiles: files };
}
