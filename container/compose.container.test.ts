/**
 * compose.yaml run for real with Debian's docker-compose 1.29 on the private dockerd of
 * container/global-setup.ts: Redis (from the local Debian root, test-support/base-image.ts:
 * there is no Docker Hub here), the server and two workers, with the tests' own playbook as a
 * compose.override.yaml would mount it. Compose makes its own network (the test engine has no
 * default bridge); the server's port is published on 127.0.0.1.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';
import { ensureLocalRedisImage } from '../test-support/base-image.js';
import { freePort } from '../test-support/free-port.js';
import { parsePrometheusText } from '../test-support/prometheus-text.js';
import { ARTIFACTS, IMAGE, REPOSITORY_ROOT, SUFFIX, cli, client, contextsDir, dir, docker, engine, processes, stopContainer, tokensDir, waitFor, type Client } from './support.js';

describe('compose.yaml with Debian\'s docker-compose 1.29: Redis, the server and two workers', () => {
  const project = `dbt${SUFFIX.replace(/-/g, '')}`;
  const deadlineSeconds = 9;
  let api: Client;
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
      DOCKER_SOCKET: engine.socket,
      DOCKER_GID: String(engine.socketGid),
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
