/**
 * Helpers of the container test files: the engine and the image that container/global-setup.ts
 * made for the whole run (the files share them, so each names what it creates with SUFFIX),
 * the docker CLI on that engine, an HTTP client for the server in a container, and the files
 * containers mount (tokens, build contexts). Each file gets a scratch directory of its own,
 * removed after its tests.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, inject } from 'vitest';
import { issueToken, writeTokenFile } from '@docker-builder/auth';
import { REPOSITORY_ROOT } from '../test-support/server-image.js';

export { REPOSITORY_ROOT };

const run = promisify(execFile);
/** A JSON answer of the API (a job, an error…). */
export type Json = Record<string, unknown>;

export const engine = inject('containerEngine');
export const image = inject('serverImage');
export const IMAGE = image.tag;
export const docker = new Dockerode({ socketPath: engine.socket });
/** The image's user (and group). */
export const BUILDER_UID = 10001;
/** Names of what a file creates on the shared engine (containers, networks, compose projects). */
export const SUFFIX = `${process.pid}-${randomBytes(3).toString('hex')}`;
/** Where the containers' logs are kept after a run (CI uploads .test-artifacts). */
export const ARTIFACTS = path.join(REPOSITORY_ROOT, '.test-artifacts', 'container');
mkdirSync(ARTIFACTS, { recursive: true });

/** This file's scratch directory, readable by the containers' user. */
export const dir = mkdtempSync(path.join(tmpdir(), 'dbt-image-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The docker CLI (or docker-compose) on the test engine. */
export async function cli(command: 'docker' | 'docker-compose', args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, { env: { ...process.env, DOCKER_HOST: engine.host, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${failed.stderr || failed.message}`);
  }
}

/** Keeps a container's log (its stdout, then its stderr) in ARTIFACTS as `file`, then removes the container (both best effort). */
export async function removeContainer(name: string, file: string): Promise<void> {
  await run('docker', ['logs', name], { env: { ...process.env, DOCKER_HOST: engine.host }, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => writeFileSync(path.join(ARTIFACTS, file), stderr ? `${stdout}\n--- stderr ---\n${stderr}` : stdout),
    () => {},
  );
  await cli('docker', ['rm', '-f', name]).catch(() => {});
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A tokens file as `docker-builder-token create` writes it, owned by the image's user (0600). */
export async function tokensDir(role: 'write' | 'admin'): Promise<{ dir: string; token: string }> {
  const config = mkdtempSync(path.join(dir, 'config-'));
  const issued = issueToken();
  await writeTokenFile(path.join(config, 'tokens.json'), [{ id: issued.id, sha256: issued.sha256, sub: 'ci@example.com', role }]);
  chownSync(config, BUILDER_UID, BUILDER_UID);
  chownSync(path.join(config, 'tokens.json'), BUILDER_UID, BUILDER_UID);
  return { dir: config, token: issued.token };
}

export type Client = ReturnType<typeof client>;

export function client(base: string, token?: string) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return {
    async call(method: string, route: string, body?: unknown) {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Json };
    },
    async upload(query: string, tar: Buffer) {
      const response = await fetch(`${base}/api/build?${query}`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-tar' }, body: tar });
      return { status: response.status, body: (await response.json()) as Json };
    },
    async text(route: string) {
      // Bounded, so that waitFor's deadline holds where a connection hangs (a published port whose container is unreachable).
      const response = await fetch(`${base}${route}`, { headers, signal: AbortSignal.timeout(15_000) });
      return { status: response.status, text: await response.text() };
    },
    async job(id: string) {
      return (await this.call('GET', `/api/build/${id}?logsLimit=100000`)).body;
    },
    async ended(id: string, timeoutMs = 60_000) {
      return waitFor(async () => {
        const job = await this.job(id);
        return ['done', 'error', 'cancelled'].includes(job.state as string) ? job : undefined;
      }, timeoutMs, `job ${id} to end`);
    },
  };
}

/** Stops a container as `docker stop -t 30` does; how long it took, and how it exited. */
export async function stopContainer(id: string): Promise<{ seconds: number; exitCode: number; logs: string }> {
  const container = docker.getContainer(id);
  const started = Date.now();
  await container.stop({ t: 30 });
  const seconds = (Date.now() - started) / 1000;
  const { State } = await container.inspect();
  return { seconds, exitCode: State.ExitCode, logs: await cli('docker', ['logs', id]) };
}

/** Command lines of the processes in a container, with their uids. */
export async function processes(id: string): Promise<Array<{ uid: number; args: string }>> {
  // The engine needs a PID column to tell the container's processes from the host's.
  const top = (await docker.getContainer(id).top({ ps_args: '-eo pid,uid,args' })) as { Processes?: string[][] };
  return (top.Processes ?? []).map(([, uid, ...args]) => ({ uid: Number(uid), args: args.join(' ') }));
}

/** A directory of build contexts the containers may read (they run as uid 10001). */
export function contextsDir(): string {
  const contexts = mkdtempSync(path.join(dir, 'contexts-'));
  mkdirSync(path.join(contexts, 'hello'));
  writeFileSync(path.join(contexts, 'hello', 'Dockerfile'), 'FROM busybox:base\nRUN echo hello from the image > /hello\nCMD ["cat", "/hello"]\n');
  chmodSync(contexts, 0o755);
  chmodSync(path.join(contexts, 'hello'), 0o755);
  chmodSync(path.join(contexts, 'hello', 'Dockerfile'), 0o644);
  return contexts;
}
