/**
 * The image run alone, as the README's "Run in Docker" shows it: the engine's socket mounted
 * (and let in through --group-add), HOST=0.0.0.0 with API tokens, directory contexts and a
 * registry prefix, on the private dockerd of container/global-setup.ts.
 *
 * The test engine has no default bridge (--bridge=none): the container runs on a network this
 * file creates, and the port published on 127.0.0.1 reaches it through docker-proxy.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';
import { freePort } from '../test-support/free-port.js';
import { BUILDER_UID, IMAGE, SUFFIX, cli, client, contextsDir, docker, engine, image, processes, removeContainer, stopContainer, tokensDir, waitFor, type Client } from './support.js';

const { socket, socketGid } = engine;

describe('docker run with the engine\'s socket mounted, HOST=0.0.0.0 and API tokens', () => {
  const name = `dbt-server-${SUFFIX}`;
  const network = `dbt-net-${SUFFIX}`;
  let api: Client;
  let anonymous: Client;

  beforeAll(async () => {
    const port = await freePort();
    const { dir: config, token } = await tokensDir('write');
    await cli('docker', ['network', 'create', network]);
    // As the README's "Run in Docker" says, with this engine's socket and a network of its own.
    await cli('docker', [
      'run', '-d', '--name', name, '--network', network, '-p', `127.0.0.1:${port}:8000`,
      '--group-add', String(socketGid), '--stop-timeout', '30',
      '-v', `${socket}:/var/run/docker.sock`, '-v', `${config}:/config:ro`, '-v', `${contextsDir()}:/srv/contexts:ro`,
      '-e', 'AUTH_TOKENS_FILE=/config/tokens.json', '-e', 'BUILD_CONTEXT_ROOT=/srv/contexts', '-e', `REGISTRY_PREFIX=${engine.registry}/team`,
      IMAGE,
    ]);
    const base = `http://127.0.0.1:${port}`;
    api = client(base, token);
    anonymous = client(base);
    await waitFor(async () => (await anonymous.text('/healthz')).status === 200, 60_000, 'the server to answer /healthz');
  }, 120_000);

  afterAll(async () => {
    await removeContainer(name, 'docker-run.log');
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
    // What `pnpm deploy` copies of the server's package ("files", package.json, node_modules), and the healthcheck.
    // The server package as published (its `files`: a CHANGELOG.md once a release wrote one), and the health check.
    expect(lines(await shell('ls /app')).filter((name) => name !== 'CHANGELOG.md').sort()).toEqual(['LICENSE', 'README.md', 'bin', 'deploy', 'dist', 'healthcheck.mjs', 'node_modules', 'package.json']);
    const installed = lines(await shell('ls /app/node_modules/.pnpm'));
    expect(installed.some((name) => name.startsWith('bullmq@'))).toBe(true);
    expect(installed.filter((name) => /^(typescript|tsx|tsup|vite|vitest|esbuild|rolldown|@vitejs|react|react-dom|happy-dom|playwright-core)@/.test(name))).toEqual([]);
    // Our own packages as published: their dist and files, never their TypeScript sources or tests.
    const ours = lines(await shell('cd /app/node_modules/.pnpm && ls -d @docker-builder+*/node_modules/@docker-builder/*/* /app/dist/*'));
    expect(ours.length).toBeGreaterThan(10);
    expect(ours.filter((file) => /\/(src|test)$|\.tsx?$/.test(file) && !/\.d\.c?ts$/.test(file))).toEqual([]);
  }, 60_000);

  it('opens the socket through --group-add; DOCKER_GID at build time adds its group to the user', async () => {
    expect((await cli('docker', ['exec', name, 'id', '-G'])).trim().split(' ').sort()).toEqual([String(BUILDER_UID), String(image.bakedGid), String(socketGid)].sort());
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
    const reference = `${engine.registry}/team/hello:t1`;
    expect(job.result).toMatchObject({ references: [reference], pushed: [reference] });
    const image = await docker.getImage(reference).inspect();
    expect(image.Id).toBe((job.result as { imageId: string }).imageId);
    const tags = (await (await fetch(`http://${engine.registry}/v2/team/hello/tags/list`)).json()) as { tags: string[] };
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
