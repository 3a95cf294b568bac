/**
 * Build payloads that try to reach what they should not, sent to the standalone server as a
 * user would: each is refused with a 400 that names the field, and nothing is created or left
 * on disk. The server's DOCKER_HOST is a socket that does not exist, so even if validation
 * regressed no engine could fetch, clone or push anything; and nothing here talks to any
 * address but the server's, on 127.0.0.1.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { spawnExample } from '../../../test-support/from-source.js';
import { gzipOfZeros, tarArchive, tarHeader, type TarEntry } from '../../../test-support/tar-fixtures.js';

const NO_ENGINE = 'unix:///nonexistent/docker.sock';
let server: ChildProcessWithoutNullStreams;
let api: string;
let uploads: string;
const output: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  uploads = path.join(mkdtempSync(path.join(tmpdir(), 'hostile-')), 'uploads');
  server = spawnExample('server', {
    HOST: '127.0.0.1',
    PORT: '0',
    DOCKER_HOST: NO_ENGINE,
    UPLOADS_DIR: uploads,
    GIT_HOSTS: 'git.test',
    REGISTRY_PREFIX: 'registry.example.com/team',
  });
  server.stdout.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  server.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const started = await eventually(
    () => {
      if (server.exitCode !== null) throw new Error(`the server exited: ${[...output, ...errors].join('\n')}`);
      return output.map((line) => JSON.parse(line) as { port?: number }).find((line) => typeof line.port === 'number');
    },
    15_000,
    'the server to listen',
  );
  api = `http://127.0.0.1:${started.port}/api`;
}, 30_000);
afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
});

async function nothingCreated() {
  const list = (await (await fetch(`${api}/builds`)).json()) as { jobs: unknown[] };
  expect(list.jobs).toEqual([]);
  expect(readdirSync(uploads)).toEqual([]);
}

async function expectRefused(response: Response, field: string, reason: string) {
  const body = (await response.json()) as { error: { code: string; message: string; issues: Array<{ path: string; message: string }> } };
  expect(response.status, JSON.stringify(body)).toBe(400);
  expect(body.error.code).toBe('VALIDATION_FAILED');
  expect(body.error.issues.map((issue) => issue.path)).toContain(field);
  expect(body.error.issues.find((issue) => issue.path === field)!.message).toContain(reason);
  await nothingCreated();
}

const postBuild = (payload: Record<string, unknown>) =>
  fetch(`${api}/build`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ service: 'app', ...payload }) });

const IP = 'not by an IP address';

describe('hostile build payloads', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['a git URL to cloud metadata', { context: 'https://169.254.169.254/latest/meta-data.git' }, 'context', IP],
    ['a git URL to the engine host', { context: 'https://127.0.0.1:2375/x.git' }, 'context', IP],
    ['a git URL to [::1]', { context: 'https://[::1]:2375/x.git' }, 'context', IP],
    ['a git URL to an IPv4-mapped [::ffff:169.254.169.254]', { context: 'https://[::ffff:169.254.169.254]/x.git' }, 'context', IP],
    ['a git URL to 127.0.0.1 in decimal', { context: 'https://2130706433/x.git' }, 'context', IP],
    ['a git URL to 127.0.0.1 in hex', { context: 'https://0x7f000001/x.git' }, 'context', IP],
    ['a git URL to 127.0.0.1 in octal', { context: 'https://0177.0.0.1/x.git' }, 'context', IP],
    ['a git URL to 169.254.169.254 in decimal', { context: 'https://2852039166/latest.git' }, 'context', IP],
    ['a git URL to a private address', { context: 'https://10.0.0.1/x.git' }, 'context', IP],
    ['a git URL to localhost', { context: 'https://localhost:2375/x.git' }, 'context', 'must not name this machine'],
    ['an scp-like git@host: URL', { context: 'git@github.com:team/repo.git' }, 'context', 'scp-like'],
    ['an scp-like user@address: URL', { context: 'user@169.254.169.254:repo.git' }, 'context', 'scp-like'],
    ['a git URL with credentials', { context: 'https://user:token@git.test/team/repo.git' }, 'context', 'must not carry credentials'],
    ['a git URL hiding an address behind an @', { context: 'https://git.test@169.254.169.254/x.git' }, 'context', 'must not carry credentials'],
    ['a plain http git URL', { context: 'http://git.test/team/repo.git' }, 'context', 'must be an https:// git URL'],
    ['a git:// URL', { context: 'git://git.test/team/repo.git' }, 'context', 'must be an https:// git URL'],
    ['an http URL the engine would download itself', { context: 'https://git.test/team/context.tar.gz' }, 'context', 'ending in .git'],
    ['a git host not in GIT_HOSTS', { context: 'https://github.com/team/repo.git' }, 'context', 'add it to GIT_HOSTS'],
    ['an ssh git URL without GIT_ALLOW_SSH', { context: 'ssh://git@git.test/team/repo.git' }, 'context', 'set GIT_ALLOW_SSH=true'],
    ['an image outside REGISTRY_PREFIX', { image: 'registry.corp/prod/payments', tags: ['latest'] }, 'image', 'ask for it to be added to PUSH_ALLOW'],
    ['an image outside REGISTRY_PREFIX, not even pushed', { image: 'registry.corp/prod/payments', push: false }, 'image', 'ask for it to be added to PUSH_ALLOW'],
    ['a secret build argument with no SECRETS_KEY', { secretBuildArgs: { NPM_TOKEN: 'npm_x' } }, 'secretBuildArgs', 'no SECRETS_KEY'],
    ['a label with a right-to-left override', { labels: { 'org.opencontainers.image.title': 'invoice\u202egnp.exe' } }, 'labels["org.opencontainers.image.title"]', 'bidirectional'],
    ['a build argument with a C1 control character', { buildArgs: { GREETING: 'hi\u009b2J' } }, 'buildArgs.GREETING', 'control characters'],
  ])('refuses %s, naming the field, creating nothing', async (_name, payload, field, reason) => {
    await expectRefused(await postBuild(payload), field, reason);
  });

  const dockerfile: TarEntry = { name: 'Dockerfile', body: 'FROM scratch\n' };
  const upload = (body: Buffer, query = 'service=app') =>
    fetch(`${api}/build?${query}`, { method: 'POST', headers: { 'Content-Type': 'application/x-tar' }, body });

  it.each<[string, () => Buffer, string]>([
    ['a 10 MB gzip of zeros (10 GiB unpacked)', () => gzipOfZeros(10 * 1024), 'without an entry'],
    ['a gzip whose entry says it is 10 GiB', () => gzipOfZeros(16, tarHeader({ name: 'zeros.bin', size: 10 * 1024 ** 3 })), 'unpacks to more than 2147483648 bytes'],
    ['a ../ entry', () => tarArchive([dockerfile, { name: '../../../etc/cron.d/evil', body: '* * * * * root id\n' }]), 'leads outside the context ("..")'],
    ['an absolute entry', () => tarArchive([dockerfile, { name: '/etc/passwd', body: 'root::0:0::/:/bin/sh\n' }]), 'an absolute path'],
    ['a symlink to /etc', () => tarArchive([dockerfile, { name: 'etc', type: 'symlink', linkname: '/etc' }]), 'a link to the absolute path "/etc"'],
    ['a symlink out of the context', () => tarArchive([dockerfile, { name: 'a/up', type: 'symlink', linkname: '../../..' }]), 'which leads outside the context'],
  ])('refuses an uploaded archive with %s, keeping nothing', async (_name, archive, reason) => {
    await expectRefused(await upload(archive()), 'body', reason);
  });

  it('refuses an upload whose image is outside REGISTRY_PREFIX, after the archive arrived, keeping nothing', async () => {
    await expectRefused(await upload(tarArchive([dockerfile]), 'service=app&image=registry.corp/prod/payments'), 'image', 'PUSH_ALLOW');
  });

  it('still accepts what is allowed (to an engine that is not there), so the refusals above are not for some other reason', async () => {
    const accepted = await Promise.all([
      postBuild({ context: 'https://git.test/team/repo.git#main:services/api', push: false }),
      upload(gzipOfZeros(0, tarArchive([dockerfile])), 'service=app&push=false'),
    ]);
    const ids: string[] = [];
    for (const response of accepted) {
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { id: string }).id);
    }
    for (const id of ids) {
      const job = await eventually(async () => {
        const current = (await (await fetch(`${api}/build/${id}`)).json()) as { state: string; error: string | null };
        return current.state === 'error' ? current : undefined;
      }, 15_000, 'the build to fail on the missing engine');
      expect(job.error).toMatch(/the Docker engine is unreachable/);
    }
    // The upload was removed after its (failed) run.
    expect(readdirSync(uploads)).toEqual([]);
  });
});

describe('the settings that guard builds', () => {
  async function refusedAtStart(env: Record<string, string>) {
    const child = spawnExample('server', { HOST: '127.0.0.1', PORT: '0', DOCKER_HOST: NO_ENGINE, ...env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // A server that starts anyway must not outlive the test.
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = (await once(child, 'exit').finally(() => clearTimeout(timer))) as [number | null];
    expect(code).toBe(2);
    return { out, messages: out.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg) };
  }

  it('refuse to start the server on an uploads directory others may reach, naming UPLOADS_DIR', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'open-uploads-'));
    chmodSync(dir, 0o777);
    const { messages } = await refusedAtStart({ UPLOADS_DIR: dir });
    expect(messages).toEqual([
      `The uploads directory ${dir} (UPLOADS_DIR; the router's uploads.dir) is open to its group or others (mode 0777): run "chmod 700 ${dir}", or point UPLOADS_DIR at a private directory.`,
    ]);
  });

  it('refuse to start on a git host, push rule or secrets key that could never work, naming each, never echoing the key', async () => {
    const { out, messages } = await refusedAtStart({
      GIT_HOSTS: 'github.com,169.254.169.254',
      PUSH_ALLOW: 'registry.example.com/team:latest',
      SECRETS_KEY: 'c2hvcnQta2V5LXZhbHVl',
    });
    expect(messages).toEqual([
      'invalid environment variable GIT_HOSTS: "169.254.169.254" is not a git host: use "github.com", "git.example.com:8443" or "*.example.com" (a git URL must name the git host by its DNS name, not by an IP address (in any notation))',
      'invalid environment variable PUSH_ALLOW: "registry.example.com/team:latest" is not an image repository: use "registry.example.com/team/app" or "registry.example.com/team/*"',
      'invalid environment variable SECRETS_KEY: must be 32 bytes in base64 or hex (openssl rand -base64 32), not 15 bytes',
    ]);
    expect(out).not.toContain('c2hvcnQta2V5LXZhbHVl');
  });
});
