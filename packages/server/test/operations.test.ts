/**
 * The operations endpoints of the real server and worker processes: /healthz, /readyz and
 * /metrics, scraped and parsed as Prometheus would, after real deploys with ansible-playbook.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SEED_MAPPINGS, eventually } from '@docker-builder/core/testing';
import { spawnExample } from '../../../test-support/from-source.js';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { parsePrometheusText } from '../../../test-support/prometheus-text.js';
import { killServers, spawnService, startServer } from './running-server.js';

const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const workers: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  killServers();
  for (const worker of workers.splice(0)) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
});

async function scrape(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

async function submitDeploy(base: string) {
  const response = await fetch(`${base}/api/deploy-services`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ mappings: SEED_MAPPINGS }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function jobDone(base: string, id: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const job = (await (await fetch(`${base}/api/build/${id}?logsLimit=0`)).json()) as { state: string; logsTotal: number };
    return job.state === 'done' || job.state === 'error' ? job : undefined;
  }, timeoutMs, `job ${id} to end`);
}

/** Opens a live log stream and keeps it open until `close()`; resolves once the server has answered. */
async function openLogStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.getReader();
  await reader.read(); // the `retry:` line: the stream has started
  return {
    close: () => {
      controller.abort();
      void reader.cancel().catch(() => undefined);
    },
  };
}

function startWorker(env: Record<string, string>) {
  const { process: worker, lines, output } = spawnService('worker', env);
  workers.push(worker);
  return { worker, lines, output };
}

describe('operations endpoints', () => {
  it('embedded default: /healthz, /readyz, and /metrics counting a real deploy, its log lines and the runners', async () => {
    const { base, lines } = await startServer(NO_DOCKER);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: { name: 'memory', ok: true }, queue: { name: 'in-process', ok: true } });

    const before = await scrape(`${base}/metrics`);
    expect(before.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(0);

    const id = await submitDeploy(base);
    const job = await jobDone(base, id);
    expect(job.state).toBe('done');
    expect(job.logsTotal).toBeGreaterThan(10);

    const m = await scrape(`${base}/metrics`);
    expect(m.samples.filter((sample) => !sample.name.startsWith('docker_builder_'))).toEqual([]);
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(1);
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'build' })).toBe(0);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'done' })).toBe(1);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'error' })).toBe(0);
    expect(m.types.get('docker_builder_job_duration_seconds')).toBe('histogram');
    expect(m.value('docker_builder_job_duration_seconds_count', { kind: 'deploy', state: 'done' })).toBe(1);
    expect(m.value('docker_builder_job_duration_seconds_sum', { kind: 'deploy', state: 'done' })).toBeGreaterThan(0);
    expect(m.value('docker_builder_job_duration_seconds_bucket', { kind: 'deploy', state: 'done', le: '+Inf' })).toBe(1);
    expect(m.value('docker_builder_job_queue_wait_seconds_count', { kind: 'deploy' })).toBe(1);
    // Every line of the job's log was counted, without the metrics reading the store.
    expect(m.value('docker_builder_log_lines_total', { kind: 'deploy' })).toBe(job.logsTotal);
    expect(m.value('docker_builder_jobs_queued', { queue: 'in-process' })).toBe(0);
    expect(m.value('docker_builder_jobs_running', { queue: 'in-process' })).toBe(0);
    expect(m.value('docker_builder_workers', { queue: 'in-process' })).toBe(2);
    expect(m.value('docker_builder_store_up', { store: 'memory' })).toBe(1);
    expect(m.value('docker_builder_runner_up', { kind: 'build', runner: 'docker' })).toBe(0);
    expect(m.value('docker_builder_runner_up', { kind: 'deploy', runner: 'ansible' })).toBe(1);
    expect(m.types.get('docker_builder_process_resident_memory_bytes')).toBe('gauge');

    // The log's stream ends with the job's end, and is uncounted with it.
    await (await fetch(`${base}/api/build/${id}/logs`)).text();
    await eventually(async () => (await scrape(`${base}/metrics`)).value('docker_builder_log_stream_clients', { format: 'sse' }) === 0, 5_000, 'the ended stream to be uncounted');

    // One event per stored batch would drown the server's log: the metrics count them instead.
    expect(lines.some((line) => line.msg === 'job.logged')).toBe(false);
    expect(lines.find((line) => line.msg === 'job.finished')).toMatchObject({ state: 'done', durationMs: expect.any(Number) });
    // Probes and scrapes are not request-logged.
    expect(lines.some((line) => line.msg === 'request' && /^\/(metrics|healthz|readyz)/.test(String(line.path)))).toBe(false);
  }, 60_000);

  it('with Redis: the server counts submissions and live log clients, the worker its deploys on METRICS_PORT', async () => {
    const env = { ...NO_DOCKER, REDIS_URL: inject('redisUrl'), REDIS_PREFIX: uniquePrefix('metrics'), METRICS_TOKEN: 'scrape-me-0123456789abcdef' };
    const auth = { Authorization: `Bearer ${env.METRICS_TOKEN}` };
    const { base } = await startServer(env);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // No worker yet: the deploy waits in the queue, and a client following its log stays connected.
    const id = await submitDeploy(base);
    const stream = await openLogStream(`${base}/api/build/${id}/logs`);
    let m = await scrape(`${base}/metrics`, auth);
    expect(m.value('docker_builder_log_stream_clients', { format: 'sse' })).toBe(1);
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(1);
    expect(m.value('docker_builder_jobs_queued', { queue: 'bullmq' })).toBe(1);
    expect(m.value('docker_builder_workers', { queue: 'bullmq' })).toBe(0);
    expect(m.value('docker_builder_store_up', { store: 'redis' })).toBe(1);
    expect(m.value('docker_builder_queue_up', { queue: 'bullmq' })).toBe(1);
    stream.close();
    await eventually(async () => (await scrape(`${base}/metrics`, auth)).value('docker_builder_log_stream_clients', { format: 'sse' }) === 0, 5_000, 'the closed stream to be uncounted');

    const { lines, output } = startWorker({ ...env, METRICS_PORT: '0' });
    const served = await eventually(() => lines.find((line) => typeof line.metricsPort === 'number'), 20_000, 'the worker to serve metrics').catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${output()}`);
    });
    const workerBase = `http://127.0.0.1:${served.metricsPort as number}`;
    expect(served.metrics).toBe(`${workerBase}/metrics`);
    const job = await jobDone(base, id);
    expect(job.state).toBe('done');

    expect((await fetch(`${workerBase}/metrics`)).status).toBe(401);
    expect(await (await fetch(`${workerBase}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${workerBase}/readyz`)).status).toBe(200);
    expect((await fetch(`${workerBase}/nothing-here`)).status).toBe(404);
    const w = await scrape(`${workerBase}/metrics`, auth);
    expect(w.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(0);
    expect(w.value('docker_builder_jobs_started_total', { kind: 'deploy' })).toBe(1);
    expect(w.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'done' })).toBe(1);
    expect(w.value('docker_builder_job_duration_seconds_count', { kind: 'deploy', state: 'done' })).toBe(1);
    // It waited for a worker: the queue wait says so.
    expect(w.value('docker_builder_job_queue_wait_seconds_sum', { kind: 'deploy' })).toBeGreaterThan(0.1);
    expect(w.value('docker_builder_log_lines_total', { kind: 'deploy' })).toBe(job.logsTotal);
    expect(w.value('docker_builder_workers', { queue: 'bullmq' })).toBeGreaterThanOrEqual(1);
    expect(w.value('docker_builder_runner_up', { kind: 'deploy', runner: 'ansible' })).toBe(1);
    expect(w.value('docker_builder_runner_up', { kind: 'build', runner: 'docker' })).toBe(0);

    // The server submitted it, the worker ran it: each counts its own part.
    m = await scrape(`${base}/metrics`, auth);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'done' })).toBe(0);
    await eventually(async () => (await scrape(`${base}/metrics`, auth)).value('docker_builder_workers', { queue: 'bullmq' }) >= 1, 10_000, 'the server to see the worker');
  }, 90_000);

  it('/readyz answers 503 naming the store when Redis is unreachable; /healthz still answers', async () => {
    const { base } = await startServer({ ...NO_DOCKER, REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; failed: string[]; store: unknown };
    expect(body).toMatchObject({ status: 'unready', failed: expect.arrayContaining(['store']), store: { name: 'redis', ok: false } });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const m = await scrape(`${base}/metrics`);
    expect(m.value('docker_builder_store_up', { store: 'redis' })).toBe(0);
  }, 30_000);

  it('METRICS_TOKEN: /metrics answers 401 without it or with another, and 200 with it; the probes stay open', async () => {
    const token = 'a-long-metrics-token-0123456789';
    const { base } = await startServer({ ...NO_DOCKER, METRICS_TOKEN: token });
    const without = await fetch(`${base}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    for (const wrong of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token, 'Basic Zm9vOmJhcg==', 'Bearer ']) {
      expect((await fetch(`${base}/metrics`, { headers: { Authorization: wrong } })).status, wrong).toBe(401);
    }
    const m = await scrape(`${base}/metrics`, { Authorization: `Bearer ${token}` });
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(0);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }, 30_000);

  it('refuses a short METRICS_TOKEN at start, naming it', async () => {
    const server = spawnExample('server', { METRICS_TOKEN: 'short' });
    workers.push(server);
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => server.once('exit', resolve));
    expect(code).toBe(2);
    expect(out).toContain('invalid environment variable METRICS_TOKEN: must be at least 16 characters');
  });
});
