/**
 * The image (Dockerfile) and the compose files, run for real on a private dockerd: the image is
 * built once, from a local stand-in for node:20-bookworm-slim (test-support/base-image.ts: there
 * is no Docker Hub here), then run alone with the engine's socket mounted, as compose.yaml's
 * server, workers and Redis with Debian's docker-compose 1.29, and against a TLS engine with
 * compose.dind.yaml's settings. Only docker:dind itself cannot run here (no image offline): that
 * file is checked with `docker-compose config`.
 *
 * The test engine has no default bridge (--bridge=none): containers run on a network the test
 * creates (compose makes its own), and ports published on 127.0.0.1 reach them through
 * docker-proxy.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, writeTokenFile } from '@docker-builder/auth';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';
import { ensureLocalBaseImage, ensureLocalRedisImage } from '../test-support/base-image.js';
import { startDockerEngine, startRegistry, type DockerEngine, type Registry } from '../test-support/docker-engine.js';
import { freePort } from '../test-support/free-port.js';
import { parsePrometheusText } from '../test-support/prometheus-text.js';
import { REPOSITORY_ROOT, buildServerImage, type BuiltImage } from '../test-support/server-image.js';

const run = promisify(execFile);
/** A JSON answer of the API (a job, an error…). */
type Json = Record<string, unknown>;
const IMAGE = 'docker-builder:test';
const BUILDER_UID = 10001;
/**
 * The image is built with DOCKER_GID set, to a group id that is not the socket's: its user gets
 * that group (checked below), and the socket still opens only through --group-add (compose:
 * group_add), as in an image built without it. One build instead of two: each takes minutes here.
 */
const BAKED_GID = 4242;
const SUFFIX = `${process.pid}-${randomBytes(3).toString('hex')}`;
const ARTIFACTS = path.join(REPOSITORY_ROOT, '.test-artifacts', 'container');

let engine: DockerEngine;
let registry: Registry;
let docker: Dockerode;
let socket: string;
let socketGid: number;
let dir: string;
let tls: { port: number; clientDir: string };
let built: BuiltImage;

/** The docker CLI (or docker-compose) on the test engine. */
async function cli(command: 'docker' | 'docker-compose', args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(command, args, { env: { ...process.env, DOCKER_HOST: engine.host, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${failed.stderr || failed.message}`);
  }
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
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
async function tokensDir(role: 'write' | 'admin'): Promise<{ dir: string; token: string }> {
  const config = mkdtempSync(path.join(dir, 'config-'));
  const issued = issueToken();
  await writeTokenFile(path.join(config, 'tokens.json'), [{ id: issued.id, sha256: issued.sha256, sub: 'ci@example.com', role }]);
  chownSync(config, BUILDER_UID, BUILDER_UID);
  chownSync(path.join(config, 'tokens.json'), BUILDER_UID, BUILDER_UID);
  return { dir: config, token: issued.token };
}

function client(base: string, token?: string) {
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
      const response = await fetch(`${base}${route}`, { headers });
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
async function stopContainer(id: string): Promise<{ seconds: number; exitCode: number; logs: string }> {
  const container = docker.getContainer(id);
  const started = Date.now();
  await container.stop({ t: 30 });
  const seconds = (Date.now() - started) / 1000;
  const { State } = await container.inspect();
  return { seconds, exitCode: State.ExitCode, logs: await cli('docker', ['logs', id]) };
}

/** Command lines of the processes in a container, with their uids. */
async function processes(id: string): Promise<Array<{ uid: number; args: string }>> {
  // The engine needs a PID column to tell the container's processes from the host's.
  const top = (await docker.getContainer(id).top({ ps_args: '-eo pid,uid,args' })) as { Processes?: string[][] };
  return (top.Processes ?? []).map(([, uid, ...args]) => ({ uid: Number(uid), args: args.join(' ') }));
}

/** CA, server (for "docker" and 127.0.0.1) and client certificates, laid out as docker:dind makes them. */
async function makeCertificates(target: string): Promise<{ ca: string; serverCert: string; serverKey: string; clientDir: string }> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: target });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test dind CA');
  writeFileSync(path.join(target, 'server.cnf'), 'subjectAltName = DNS:docker, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  writeFileSync(path.join(target, 'client.cnf'), 'extendedKeyUsage = clientAuth\n');
  await openssl('req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=docker');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '2', '-extfile', 'server.cnf');
  const clientDir = path.join(target, 'client');
  mkdirSync(clientDir);
  await openssl('req', ...ec, '-keyout', 'client/key.pem', '-out', 'client.csr', '-subj', '/CN=test dind client');
  await openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'client/cert.pem', '-days', '2', '-extfile', 'client.cnf');
  copyFileSync(path.join(target, 'ca.pem'), path.join(clientDir, 'ca.pem'));
  // As dind does: the client key readable by whichever user the client runs as.
  chmodSync(clientDir, 0o755);
  for (const file of readdirSync(clientDir)) chmodSync(path.join(clientDir, file), 0o644);
  return { ca: path.join(target, 'ca.pem'), serverCert: path.join(target, 'server-cert.pem'), serverKey: path.join(target, 'server-key.pem'), clientDir };
}

/** A directory of build contexts the containers may read (they run as uid 10001). */
function contextsDir(): string {
  const contexts = mkdtempSync(path.join(dir, 'contexts-'));
  mkdirSync(path.join(contexts, 'hello'));
  writeFileSync(path.join(contexts, 'hello', 'Dockerfile'), 'FROM busybox:base\nRUN echo hello from the image > /hello\nCMD ["cat", "/hello"]\n');
  chmodSync(contexts, 0o755);
  chmodSync(path.join(contexts, 'hello'), 0o755);
  chmodSync(path.join(contexts, 'hello', 'Dockerfile'), 0o644);
  return contexts;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dbt-image-'));
  chmodSync(dir, 0o755);
  mkdirSync(ARTIFACTS, { recursive: true });
  const certificates = mkdtempSync(path.join(dir, 'tls-'));
  const { ca, serverCert, serverKey, clientDir } = await makeCertificates(certificates);
  tls = { port: await freePort(), clientDir };
  // Besides its socket, the engine listens with TLS on loopback, as docker:dind does on 2376.
  engine = await startDockerEngine({
    args: ['-H', `tcp://127.0.0.1:${tls.port}`, '--tlsverify', '--tlscacert', ca, '--tlscert', serverCert, '--tlskey', serverKey],
  });
  docker = engine.docker;
  socket = new URL(engine.host).pathname;
  socketGid = statSync(socket).gid;
  registry = await startRegistry();
  const baseStarted = Date.now();
  const base = await ensureLocalBaseImage(docker);
  await ensureLocalRedisImage(docker);
  process.stdout.write(`${base}: made in ${((Date.now() - baseStarted) / 1000).toFixed(0)} s\n`);
  built = await buildServerImage(docker, { tag: IMAGE, buildArgs: { BASE_IMAGE: base, DOCKER_GID: String(BAKED_GID) } });
  const [image, baseImage] = await Promise.all([docker.getImage(IMAGE).inspect(), docker.getImage(base).inspect()]);
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  process.stdout.write(
    `${IMAGE}: built in ${built.seconds.toFixed(0)} s (BuildKit, ${built.contextFiles.length} files / ${(built.contextBytes / 1024).toFixed(0)} KiB of context); ` +
      `${mb(image.Size)} MB, of which ${mb(baseImage.Size)} MB is the base ${base} and ${mb(image.Size - baseImage.Size)} MB this Dockerfile's layers\n`,
  );
}, 900_000);

afterAll(async () => {
  await Promise.allSettled([engine?.stop(), registry?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the image', () => {
  it('is built from a small context: no node_modules, dist, .git or tests', () => {
    expect(built.contextBytes).toBeLessThan(4 * 1024 * 1024);
    expect(built.contextFiles).toContain('pnpm-lock.yaml');
    expect(built.contextFiles.filter((file) => /(^|\/)(node_modules|dist|\.git|test)(\/|$)/.test(file))).toEqual([]);
  });

  it('runs docker-builder as uid 10001 under tini, and stops on SIGTERM', async () => {
    const Config = (await docker.getImage(IMAGE).inspect()).Config as Dockerode.ImageInspectInfo['Config'] & { StopSignal?: string };
    expect(Config.User).toBe(String(BUILDER_UID));
    expect(Config.StopSignal).toBe('SIGTERM');
    expect(Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
    expect(Config.Entrypoint).toEqual(['tini', '--', 'node', '/app/dist/cli.js']);
    expect(Config.Cmd).toEqual(['serve']);
    expect(Config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'HOST=0.0.0.0', 'PORT=8000', 'SHUTDOWN_DEADLINE_SECONDS=25']));
  });
});

describe('docker run with the engine\'s socket mounted, HOST=0.0.0.0 and API tokens', () => {
  const name = `dbt-server-${SUFFIX}`;
  const network = `dbt-net-${SUFFIX}`;
  let api: ReturnType<typeof client>;
  let anonymous: ReturnType<typeof client>;

  beforeAll(async () => {
    const port = await freePort();
    const { dir: config, token } = await tokensDir('write');
    await cli('docker', ['network', 'create', network]);
    // As the README's "Run in Docker" says, with this engine's socket and a network of its own.
    await cli('docker', [
      'run', '-d', '--name', name, '--network', network, '-p', `127.0.0.1:${port}:8000`,
      '--group-add', String(socketGid), '--stop-timeout', '30',
      '-v', `${socket}:/var/run/docker.sock`, '-v', `${config}:/config:ro`, '-v', `${contextsDir()}:/srv/contexts:ro`,
      '-e', 'AUTH_TOKENS_FILE=/config/tokens.json', '-e', 'BUILD_CONTEXT_ROOT=/srv/contexts', '-e', `REGISTRY_PREFIX=${registry.address}/team`,
      IMAGE,
    ]);
    const base = `http://127.0.0.1:${port}`;
    api = client(base, token);
    anonymous = client(base);
    await waitFor(async () => (await anonymous.text('/healthz')).status === 200, 60_000, 'the server to answer /healthz');
  }, 120_000);

  afterAll(async () => {
    await cli('docker', ['logs', name]).then((logs) => writeFileSync(path.join(ARTIFACTS, 'docker-run.log'), logs), () => {});
    await cli('docker', ['rm', '-f', name]).catch(() => {});
    await cli('docker', ['network', 'rm', network]).catch(() => {});
  }, 60_000);

  it('answers /healthz, runs every process as uid 10001, and Docker reports it healthy', async () => {
    expect(await anonymous.text('/healthz')).toEqual({ status: 200, text: '{"status":"ok"}' });
    const running = await processes(name);
    expect(running.map((process) => process.args)).toEqual(expect.arrayContaining(['tini -- node /app/dist/cli.js serve', 'node /app/dist/cli.js serve']));
    expect(running.every((process) => process.uid === BUILDER_UID)).toBe(true);
    const health = await waitFor(async () => {
      const { State } = await docker.getContainer(name).inspect();
      return State.Health?.Status === 'healthy' ? State.Health : undefined;
    }, 60_000, 'the HEALTHCHECK to pass');
    expect(health.Log?.at(-1)?.Output).toContain('/healthz: 200');
  }, 90_000);

  it('holds the compiled server and its production dependencies only: no sources, tests or build tools', async () => {
    const shell = (script: string) => cli('docker', ['exec', name, 'sh', '-c', script]);
    const lines = (text: string) => text.trim().split('\n').filter(Boolean);
    expect(lines(await shell('command -v ansible-playbook; command -v ssh; command -v tini'))).toEqual(['/usr/bin/ansible-playbook', '/usr/bin/ssh', '/usr/bin/tini']);
    expect(lines(await shell('ls /app')).sort()).toEqual(['bin', 'deploy', 'dist', 'healthcheck.mjs', 'node_modules', 'package.json']);
    const installed = lines(await shell('ls /app/node_modules/.pnpm'));
    expect(installed.some((name) => name.startsWith('bullmq@'))).toBe(true);
    expect(installed.filter((name) => /^(typescript|tsx|tsup|vite|vitest|esbuild|rolldown|@vitejs|react|react-dom|happy-dom|playwright-core)@/.test(name))).toEqual([]);
    // Our own packages as published: their dist and files, never their TypeScript sources or tests.
    const ours = lines(await shell('cd /app/node_modules/.pnpm && ls -d @docker-builder+*/node_modules/@docker-builder/*/* /app/dist/*'));
    expect(ours.length).toBeGreaterThan(10);
    expect(ours.filter((file) => /\/(src|test)$|\.tsx?$/.test(file) && !/\.d\.c?ts$/.test(file))).toEqual([]);
  }, 60_000);

  it('opens the socket through --group-add; DOCKER_GID at build time adds its group to the user', async () => {
    expect((await cli('docker', ['exec', name, 'id', '-G'])).trim().split(' ').sort()).toEqual([String(BUILDER_UID), String(BAKED_GID), String(socketGid)].sort());
    const ping = 'require("http").get({ socketPath: "/var/run/docker.sock", path: "/_ping" }, (r) => r.on("data", (d) => console.log(String(d)))).on("error", (e) => console.log(e.code))';
    // Root's and its group's only: uid 10001 gets in through that group alone.
    const { uid, gid, mode } = statSync(socket);
    expect({ uid, gid, mode: mode & 0o777 }).toEqual({ uid: 0, gid: socketGid, mode: 0o660 });
    expect((await cli('docker', ['exec', name, 'node', '-e', ping])).trim()).toBe('OK');
  }, 60_000);

  it('refuses requests without a token, and runs the seed\'s deploy with the bundled playbook (done)', async () => {
    expect((await anonymous.call('POST', '/api/deploy-services', { mappings: SEED_MAPPINGS })).status).toBe(401);
    const submitted = await api.call('POST', '/api/deploy-services', { mappings: SEED_MAPPINGS });
    expect(submitted.status).toBe(202);
    const job = await api.ended(submitted.body.id as string);
    expect(job).toMatchObject({ state: 'done', error: null, progress: 100, user: { sub: 'ci@example.com' } });
    expect(job.result).toMatchObject({ playbook: '/app/deploy/playbook.yml', recap: { localhost: { failed: 0, unreachable: 0 } } });
    expect((job.logs as string[]).join('\n')).toContain('rag-service -> image=us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006 ; tag=20251025-111006');
  }, 60_000);

  it('builds a directory context on the mounted engine and pushes it (done; the image in the engine and the registry)', async () => {
    const submitted = await api.call('POST', '/api/build', { service: 'hello', context: 'hello', tags: ['t1'] });
    expect(submitted.status).toBe(202);
    const job = await api.ended(submitted.body.id as string, 120_000);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    const reference = `${registry.address}/team/hello:t1`;
    expect(job.result).toMatchObject({ references: [reference], pushed: [reference] });
    const image = await docker.getImage(reference).inspect();
    expect(image.Id).toBe((job.result as { imageId: string }).imageId);
    const tags = (await (await fetch(`http://${registry.address}/v2/team/hello/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toContain('t1');
  }, 150_000);

  it('docker stop: SIGTERM reaches node through tini, and it exits 0 well within its deadline', async () => {
    const stopped = await stopContainer(name);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.seconds).toBeLessThan(25);
    expect(stopped.logs).toContain('SIGTERM received: finishing running jobs, then exiting (within 25 s)');
    expect(stopped.logs).toMatch(/"msg":"stopped"/);
  }, 60_000);
});

describe('compose.yaml with Debian\'s docker-compose 1.29: Redis, the server and two workers', () => {
  const project = `dbt${SUFFIX.replace(/-/g, '')}`;
  const deadlineSeconds = 9;
  let api: ReturnType<typeof client>;
  let env: Record<string, string>;
  let files: string[];

  const compose = (...args: string[]) => cli('docker-compose', ['-p', project, ...files.flatMap((file) => ['-f', file]), ...args], env);
  const containers = async (service: string) => (await compose('ps', '-q', service)).trim().split('\n').filter(Boolean);

  beforeAll(async () => {
    const port = await freePort();
    const { dir: config, token } = await tokensDir('admin');
    // A playbook that prints the mappings, then sleeps as long as each "sleeper" mapping's tag says.
    const playbooks = mkdtempSync(path.join(dir, 'playbooks-'));
    chmodSync(playbooks, 0o755);
    writeFileSync(
      path.join(playbooks, 'playbook.yml'),
      [
        '- name: Deploy, slowly when a mapping says so',
        '  hosts: localhost',
        '  connection: local',
        '  gather_facts: no',
        '  tasks:',
        '    - name: Print received mappings',
        '      debug:',
        '        var: mappings',
        '    - name: Sleep as long as each sleeper\'s tag says',
        '      loop: "{{ mappings | dict2items | selectattr(\'key\', \'match\', \'^sleeper\') | list }}"',
        '      command: "sleep {{ item.value.split(\':\')[-1] }}"',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    // What a user's compose.override.yaml would add for their own playbook.
    const override = path.join(dir, 'compose.test.yaml');
    const playbookSettings = `    environment:\n      PLAYBOOK: /playbooks/playbook.yml\n    volumes:\n      - ${playbooks}:/playbooks:ro\n`;
    writeFileSync(override, `services:\n  server:\n${playbookSettings}  worker:\n${playbookSettings}`);
    files = [path.join(REPOSITORY_ROOT, 'compose.yaml'), override];
    env = {
      DOCKER_BUILDER_IMAGE: IMAGE,
      REDIS_IMAGE: await ensureLocalRedisImage(docker),
      DOCKER_SOCKET: socket,
      DOCKER_GID: String(socketGid),
      DOCKER_BUILDER_ADDRESS: `127.0.0.1:${port}`,
      DOCKER_BUILDER_CONFIG: config,
      SHUTDOWN_DEADLINE_SECONDS: String(deadlineSeconds),
    };
    await compose('up', '-d', '--scale', 'worker=2');
    api = client(`http://127.0.0.1:${port}`, token);
    await waitFor(async () => (await api.text('/readyz')).status === 200, 90_000, 'the server to be ready (Redis reachable)');
    await waitFor(async () => parsePrometheusText((await api.text('/metrics')).text).value('docker_builder_workers', { queue: 'bullmq' }) === 2, 60_000, 'two workers');
  }, 300_000);

  afterAll(async () => {
    if (!files) return;
    await compose('logs', '--no-color').then((logs) => writeFileSync(path.join(ARTIFACTS, 'compose.log'), logs), () => {});
    await compose('down', '-v', '-t', '5').catch(() => {});
  }, 120_000);

  it('runs the seed\'s deploy and an uploaded build on the workers (done; the image in the engine)', async () => {
    const deploy = await api.call('POST', '/api/deploy-services', { mappings: SEED_MAPPINGS });
    expect(deploy.body).toMatchObject({ enqueued: true });
    // The server receives the archive into the shared uploads volume; a worker builds it.
    const { pack } = await import('tar-fs');
    const context = contextsDir();
    const chunks: Buffer[] = [];
    for await (const chunk of pack(path.join(context, 'hello'))) chunks.push(chunk as Buffer);
    const build = await api.upload('service=uploaded&tag=t2&push=false', Buffer.concat(chunks));
    expect(build.body).toMatchObject({ enqueued: true });

    const deployed = await api.ended(deploy.body.id as string);
    expect(deployed).toMatchObject({ state: 'done', error: null, result: { playbook: '/playbooks/playbook.yml', recap: { localhost: { failed: 0 } } } });
    const builtJob = await api.ended(build.body.id as string, 120_000);
    expect(builtJob).toMatchObject({ state: 'done', error: null, result: { references: ['uploaded:t2'] } });
    await docker.getImage('uploaded:t2').inspect();
    // Run by workers, not by the server's in-process fallback.
    const workerLogs = await compose('logs', '--no-color', 'worker');
    for (const id of [deploy.body.id, build.body.id]) expect(workerLogs).toMatch(new RegExp(`"msg":"job.started".*"jobId":"${id as string}"`));
  }, 180_000);

  it('serves /metrics on the server and on each worker, in the Prometheus text format', async () => {
    const server = await api.text('/metrics');
    expect(server.status).toBe(200);
    const metrics = parsePrometheusText(server.text);
    expect(metrics.value('docker_builder_workers', { queue: 'bullmq' })).toBe(2);
    expect(metrics.value('docker_builder_store_up', { store: 'redis' })).toBe(1);
    expect(metrics.value('docker_builder_runner_up', { kind: 'build' })).toBe(1);
    expect(metrics.value('docker_builder_runner_up', { kind: 'deploy' })).toBe(1);
    expect(metrics.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('docker_builder_jobs_submitted_total', { kind: 'build' })).toBeGreaterThanOrEqual(1);

    let finished = 0;
    for (const worker of await containers('worker')) {
      const scrape = "fetch('http://127.0.0.1:9464/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
      const text = await cli('docker', ['exec', worker, 'node', '-e', scrape]);
      const exposition = parsePrometheusText(text);
      expect(exposition.types.get('docker_builder_jobs_finished_total')).toBe('counter');
      finished += exposition.samples.filter((sample) => sample.name === 'docker_builder_jobs_finished_total' && sample.labels.state === 'done').reduce((sum, sample) => sum + sample.value, 0);
      // Docker's HEALTHCHECK asks the worker's METRICS_PORT.
      const health = await waitFor(async () => {
        const { State } = await docker.getContainer(worker).inspect();
        return State.Health?.Status === 'healthy' ? State.Health : undefined;
      }, 60_000, `worker ${worker} to be healthy`);
      expect(health.Log?.at(-1)?.Output).toContain(':9464/healthz: 200');
    }
    expect(finished).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it(`docker stop of a worker mid-job: a job that fits in SHUTDOWN_DEADLINE_SECONDS (${deadlineSeconds}) finishes, one that does not ends in error saying so, and the worker exits 0 in time`, async () => {
    /** Submits a deploy that sleeps `seconds`, and returns it with the worker running it, once the sleep has begun. */
    const sleeping = async (seconds: number) => {
      const submitted = await api.call('POST', '/api/deploy-services', { mappings: { sleeper: `sleep:${seconds}` } });
      expect(submitted.status).toBe(202);
      const worker = await waitFor(async () => {
        for (const id of await containers('worker')) {
          const running = await processes(id).catch(() => []); // a worker stopped before
          if (running.some((process) => process.args === `sleep ${seconds}`)) return id;
        }
        return undefined;
      }, 30_000, `a worker to run "sleep ${seconds}"`);
      return { id: submitted.body.id as string, worker };
    };

    // Finishes within the first two thirds of the deadline: the job is done.
    const short = await sleeping(2);
    const first = await stopContainer(short.worker);
    expect(first.exitCode).toBe(0);
    expect(first.seconds).toBeLessThan(deadlineSeconds);
    expect(first.logs).toContain(`SIGTERM received: finishing running jobs, then exiting (within ${deadlineSeconds} s)`);
    expect(await api.ended(short.id)).toMatchObject({ state: 'done', error: null });

    // Sleeps past it: aborted in the last third, as the README promises, and the worker still exits 0 in time.
    const long = await sleeping(120);
    expect(long.worker).not.toBe(short.worker);
    const second = await stopContainer(long.worker);
    expect(second.exitCode).toBe(0);
    expect(second.seconds).toBeLessThan(deadlineSeconds + 1);
    const aborted = await api.ended(long.id);
    expect(aborted.state).toBe('error');
    expect(aborted.error).toBe(`Aborted: the worker shut down and the job did not finish within its ${deadlineSeconds} s deadline.`);
    // No deploy outlived its worker: the container, and so every process in it, is gone.
    expect((await docker.getContainer(long.worker).inspect()).State.Running).toBe(false);
  }, 180_000);
});

describe('compose.dind.yaml (Docker-in-Docker)', () => {
  let merged: { services: Record<string, { image?: string; environment: Record<string, string>; depends_on: Record<string, unknown>; volumes: string[] }> };

  beforeAll(async () => {
    const yaml = await cli('docker-compose', ['-f', path.join(REPOSITORY_ROOT, 'compose.yaml'), '-f', path.join(REPOSITORY_ROOT, 'compose.dind.yaml'), 'config']);
    // docker-compose 1.29 prints YAML only; its own Python (PyYAML) turns it into JSON.
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      const child = execFile('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], (error, out) => (error ? reject(error) : resolve({ stdout: out })));
      child.stdin!.end(yaml);
    });
    merged = JSON.parse(stdout) as typeof merged;
  }, 60_000);

  it('merges with compose.yaml for docker-compose 1.29 (checked with `docker-compose config` only: docker:dind cannot be pulled offline)', () => {
    expect(Object.keys(merged.services).sort()).toEqual(['docker', 'redis', 'server', 'worker']);
    expect(merged.services.docker).toMatchObject({ image: 'docker:dind', privileged: true, environment: { DOCKER_TLS_CERTDIR: '/certs' } });
    for (const name of ['server', 'worker']) {
      const service = merged.services[name]!;
      expect(service.environment).toMatchObject({ DOCKER_HOST: expect.stringMatching(/^(https|tcp):\/\/docker:2376$/), DOCKER_CERT_PATH: '/certs/client' });
      expect(Object.keys(service.depends_on)).toContain('docker');
      const volumes = service.volumes as string[];
      expect(volumes).toContain('dind-certs-client:/certs/client:ro');
      // The host's socket is replaced, not mounted beside the TLS connection.
      expect(volumes.filter((volume) => volume.endsWith(':/var/run/docker.sock') || volume.includes(':/var/run/docker.sock:'))).toEqual(['/dev/null:/var/run/docker.sock:ro']);
    }
  });

  it('its engine settings (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY) reach a real TLS engine from the image: a build is done (the test engine\'s TLS listener stands in for docker:dind)', async () => {
    const settings = merged.services.worker!.environment;
    const host = new URL(settings.DOCKER_HOST!);
    host.hostname = '127.0.0.1';
    host.port = String(tls.port);
    const name = `dbt-tls-${SUFFIX}`;
    const port = await freePort();
    // Host networking reaches the engine's loopback listener; on loopback no tokens are needed.
    await cli('docker', [
      'run', '-d', '--name', name, '--network', 'host',
      '-v', `${tls.clientDir}:${settings.DOCKER_CERT_PATH!}:ro`, '-v', `${contextsDir()}:/srv/contexts:ro`,
      '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, '-e', 'BUILD_CONTEXT_ROOT=/srv/contexts',
      '-e', `DOCKER_HOST=${host.toString().replace(/\/$/, '')}`, '-e', `DOCKER_CERT_PATH=${settings.DOCKER_CERT_PATH!}`, '-e', `DOCKER_TLS_VERIFY=${settings.DOCKER_TLS_VERIFY ?? ''}`,
      IMAGE,
    ]);
    try {
      const api = client(`http://127.0.0.1:${port}`);
      await waitFor(async () => (await api.text('/healthz')).status === 200, 60_000, 'the server to answer');
      const submitted = await api.call('POST', '/api/build', { service: 'hello', context: 'hello', tags: ['over-tls'], push: false });
      expect(submitted.status).toBe(202);
      const job = await api.ended(submitted.body.id as string, 120_000);
      expect(job.error).toBeNull();
      expect(job.state).toBe('done');
      await docker.getImage('hello:over-tls').inspect();
    } finally {
      await cli('docker', ['logs', name]).then((logs) => writeFileSync(path.join(ARTIFACTS, 'tls.log'), logs), () => {});
      await cli('docker', ['rm', '-f', name]).catch(() => {});
    }
  }, 180_000);
});
