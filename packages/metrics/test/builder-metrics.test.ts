import { describe, expect, it } from 'vitest';
import { createBuilder, type BuilderEvent, type DebugInfo } from '@docker-builder/core';
import { createScriptedRunner, jobEnded } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderMetrics } from '@docker-builder/metrics';
import { parsePrometheusText } from '../../../test-support/prometheus-text.js';

const scrape = async (metrics: ReturnType<typeof createBuilderMetrics>) => parsePrometheusText(await metrics.scrape());

describe('@docker-builder/metrics', () => {
  it('turns events into counters and histograms', async () => {
    const metrics = createBuilderMetrics();
    const events: BuilderEvent[] = [
      { type: 'job.created', jobId: 'a', kind: 'deploy', enqueued: true },
      { type: 'job.created', jobId: 'b', kind: 'deploy', enqueued: false },
      { type: 'job.enqueue_refused', jobId: 'b', kind: 'deploy', reason: 'Redis queue unavailable' },
      { type: 'job.created', jobId: 'c', kind: 'build', enqueued: true },
      { type: 'job.started', jobId: 'a', kind: 'deploy', attempt: 1, queuedMs: 40 },
      { type: 'job.started', jobId: 'b', kind: 'deploy', attempt: 1, queuedMs: 2_000 },
      { type: 'job.started', jobId: 'c', kind: 'build', attempt: 2, queuedMs: null },
      { type: 'job.logged', jobId: 'a', kind: 'deploy', lines: 500 },
      { type: 'job.logged', jobId: 'a', kind: 'deploy', lines: 12 },
      { type: 'job.logged', jobId: 'c', kind: 'build', lines: 3 },
      { type: 'job.finished', jobId: 'a', kind: 'deploy', state: 'done', error: null, durationMs: 4_500 },
      { type: 'job.finished', jobId: 'b', kind: 'deploy', state: 'error', error: 'boom', durationMs: 700 },
      { type: 'job.finished', jobId: 'd', kind: 'build', state: 'cancelled', error: 'Cancelled before it started.', durationMs: null },
      { type: 'job.lease_expired', jobId: 'c', kind: 'build', attempt: 1, expiredAt: '2026-11-25T04:00:00.000Z' },
      { type: 'job.requeued', jobId: 'c', kind: 'build', reason: 'attempt 1 was lost' },
      { type: 'reaper.error', jobId: null, message: 'store down' },
    ];
    for (const event of events) metrics.onEvent(event);
    const m = await scrape(metrics);

    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(2);
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'build' })).toBe(1);
    expect(m.value('docker_builder_jobs_enqueue_refused_total', { kind: 'deploy' })).toBe(1);
    expect(m.value('docker_builder_jobs_started_total', { kind: 'deploy' })).toBe(2);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'done' })).toBe(1);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'error' })).toBe(1);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'cancelled' })).toBe(0);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'build', state: 'cancelled' })).toBe(1);
    expect(m.value('docker_builder_log_lines_total', { kind: 'deploy' })).toBe(512);
    expect(m.value('docker_builder_log_lines_total', { kind: 'build' })).toBe(3);
    expect(m.value('docker_builder_jobs_lost_total', { kind: 'build' })).toBe(1);
    expect(m.value('docker_builder_reaper_errors_total')).toBe(1);

    // 4.5 s lands in the 5 s bucket and above; a job that never started is counted, not timed.
    expect(m.value('docker_builder_job_duration_seconds_count', { kind: 'deploy', state: 'done' })).toBe(1);
    expect(m.value('docker_builder_job_duration_seconds_sum', { kind: 'deploy', state: 'done' })).toBe(4.5);
    expect(m.value('docker_builder_job_duration_seconds_bucket', { kind: 'deploy', state: 'done', le: '1' })).toBe(0);
    expect(m.value('docker_builder_job_duration_seconds_bucket', { kind: 'deploy', state: 'done', le: '5' })).toBe(1);
    expect(m.value('docker_builder_job_duration_seconds_bucket', { kind: 'deploy', state: 'done', le: '+Inf' })).toBe(1);
    expect(m.value('docker_builder_job_duration_seconds_count', { kind: 'build', state: 'cancelled' })).toBe(0);
    // Only first attempts have a queue wait.
    expect(m.value('docker_builder_job_queue_wait_seconds_count', { kind: 'deploy' })).toBe(2);
    expect(m.value('docker_builder_job_queue_wait_seconds_sum', { kind: 'deploy' })).toBeCloseTo(2.04);
    expect(m.value('docker_builder_job_queue_wait_seconds_bucket', { kind: 'deploy', le: '0.05' })).toBe(1);
    expect(m.value('docker_builder_job_queue_wait_seconds_count', { kind: 'build' })).toBe(0);

    expect(m.types.get('docker_builder_jobs_finished_total')).toBe('counter');
    expect(m.types.get('docker_builder_job_duration_seconds')).toBe('histogram');
    expect(m.types.get('docker_builder_log_stream_clients')).toBe('gauge');
  });

  it('counts log streams and event feed clients while they are open', async () => {
    const metrics = createBuilderMetrics();
    expect((await scrape(metrics)).value('docker_builder_log_stream_clients', { format: 'events' })).toBe(0);
    metrics.onStream({ format: 'sse', delta: 1 });
    metrics.onStream({ format: 'sse', delta: 1 });
    metrics.onStream({ format: 'text', delta: 1 });
    metrics.onStream({ format: 'events', delta: 1 });
    let m = await scrape(metrics);
    expect(m.value('docker_builder_log_stream_clients', { format: 'sse' })).toBe(2);
    expect(m.value('docker_builder_log_stream_clients', { format: 'text' })).toBe(1);
    expect(m.value('docker_builder_log_stream_clients', { format: 'events' })).toBe(1);
    metrics.onStream({ format: 'sse', delta: -1 });
    metrics.onStream({ format: 'text', delta: -1 });
    metrics.onStream({ format: 'events', delta: -1 });
    m = await scrape(metrics);
    expect(m.value('docker_builder_log_stream_clients', { format: 'sse' })).toBe(1);
    expect(m.value('docker_builder_log_stream_clients', { format: 'text' })).toBe(0);
    expect(m.value('docker_builder_log_stream_clients', { format: 'events' })).toBe(0);
  });

  it('follows a real builder: counters from its events, gauges from its queue and runners at scrape time', async () => {
    const metrics = createBuilderMetrics();
    const deploy = createScriptedRunner({ kind: 'deploy', name: 'ansible', script: [{ log: ['one', 'two', 'three'] }, { gate: 'go' }, { progress: 50 }] });
    const build = createScriptedRunner({ kind: 'build', name: 'docker', script: [{ log: 'built' }] });
    const builder = createBuilder({ store: createMemoryJobStore(), runners: { build, deploy }, concurrency: 1, logs: { flushIntervalMs: 5 }, onEvent: metrics.onEvent });
    metrics.observe(builder, { cacheMs: 0 });
    build.setHealth({ ok: false, message: 'The Docker engine is unreachable' });

    const first = await builder.submitDeploy({ mappings: { web: 'registry.example.com/web:1' } });
    const second = await builder.submitDeploy({ mappings: { web: 'registry.example.com/web:2' } });
    await deploy.reached('go');
    let m = await scrape(metrics);
    expect(m.value('docker_builder_jobs_running', { queue: 'in-process' })).toBe(1);
    expect(m.value('docker_builder_jobs_queued', { queue: 'in-process' })).toBe(1);
    expect(m.value('docker_builder_workers', { queue: 'in-process' })).toBe(1);
    expect(m.value('docker_builder_store_up', { store: 'memory' })).toBe(1);
    expect(m.value('docker_builder_queue_up', { queue: 'in-process' })).toBe(1);
    expect(m.value('docker_builder_runner_up', { kind: 'deploy', runner: 'ansible' })).toBe(1);
    expect(m.value('docker_builder_runner_up', { kind: 'build', runner: 'docker' })).toBe(0);
    // Both deploy `web`: one holds the group's slot, the other waits its turn.
    expect(m.value('docker_builder_group_jobs_holding', { group: 'deploy:web' })).toBe(1);
    expect(m.value('docker_builder_group_jobs_waiting', { group: 'deploy:web' })).toBe(1);

    deploy.open('go');
    await jobEnded(builder, first.id);
    await jobEnded(builder, second.id);
    m = await scrape(metrics);
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'deploy' })).toBe(2);
    expect(m.value('docker_builder_jobs_finished_total', { kind: 'deploy', state: 'done' })).toBe(2);
    expect(m.value('docker_builder_job_duration_seconds_count', { kind: 'deploy', state: 'done' })).toBe(2);
    expect(m.value('docker_builder_job_queue_wait_seconds_count', { kind: 'deploy' })).toBe(2);
    expect(m.value('docker_builder_log_lines_total', { kind: 'deploy' })).toBe(6);
    expect(m.value('docker_builder_jobs_running', { queue: 'in-process' })).toBe(0);
    expect(m.value('docker_builder_jobs_queued', { queue: 'in-process' })).toBe(0);
    // An idle group leaves no series behind.
    expect(m.samples.filter((s) => s.name.startsWith('docker_builder_group_jobs_'))).toEqual([]);

    await builder.close();
    m = await scrape(metrics);
    expect(m.value('docker_builder_queue_up', { queue: 'in-process' })).toBe(0);
    expect(m.value('docker_builder_workers', { queue: 'in-process' })).toBe(0);
  });

  it('shares one health probe between scrapes within cacheMs, and probes again after', async () => {
    let probes = 0;
    let runnerOk = true;
    const source = {
      async debug(): Promise<DebugInfo> {
        probes += 1;
        return {
          store: { name: 'redis', ok: true },
          queue: { name: 'bullmq', ok: true, workers: 3, counts: { waiting: 4, delayed: 1, paused: 0, active: 2, failed: 7 } },
          fallback: { name: 'in-process fallback', ok: true, workers: 2, counts: { pending: 0, running: 1, completed: 9 } },
          runners: { build: { name: 'docker', ok: runnerOk }, deploy: null },
          groups: [
            { name: 'deploy:rag-service', limit: 1, policy: 'queue', holders: ['a'], waiting: ['b', 'c'] },
            { name: 'builds', limit: 3, policy: 'queue', holders: ['d', 'e'], waiting: [] },
          ],
        };
      },
    };
    const metrics = createBuilderMetrics();
    metrics.observe(source, { cacheMs: 200 });
    const [a, b] = await Promise.all([scrape(metrics), scrape(metrics)]);
    expect(probes).toBe(1);
    for (const m of [a, b]) {
      expect(m.value('docker_builder_jobs_queued', { queue: 'bullmq' })).toBe(5);
      expect(m.value('docker_builder_jobs_running', { queue: 'bullmq' })).toBe(2);
      expect(m.value('docker_builder_jobs_running', { queue: 'in-process fallback' })).toBe(1);
      expect(m.value('docker_builder_workers', { queue: 'bullmq' })).toBe(3);
      expect(m.value('docker_builder_runner_up', { kind: 'build', runner: 'docker' })).toBe(1);
      // No deploy runner: no series, rather than a made-up 0.
      expect(m.samples.filter((s) => s.name === 'docker_builder_runner_up')).toHaveLength(1);
      expect(m.value('docker_builder_group_jobs_holding', { group: 'deploy:rag-service' })).toBe(1);
      expect(m.value('docker_builder_group_jobs_waiting', { group: 'deploy:rag-service' })).toBe(2);
      expect(m.value('docker_builder_group_jobs_holding', { group: 'builds' })).toBe(2);
      expect(m.value('docker_builder_group_jobs_waiting', { group: 'builds' })).toBe(0);
    }
    runnerOk = false;
    expect((await scrape(metrics)).value('docker_builder_runner_up', { kind: 'build' })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await scrape(metrics)).value('docker_builder_runner_up', { kind: 'build' })).toBe(0);
    expect(probes).toBe(2);
  });

  it('leaves the health gauges empty, and still answers, when the probe fails', async () => {
    const metrics = createBuilderMetrics();
    metrics.observe({ debug: () => Promise.reject(new Error('probe failed')) });
    const m = await scrape(metrics);
    expect(m.samples.filter((s) => /_(up|workers|jobs_queued|jobs_running|group_jobs_holding|group_jobs_waiting)$/.test(s.name))).toEqual([]);
    expect(m.value('docker_builder_jobs_submitted_total', { kind: 'build' })).toBe(0);
  });

  it('prefixes every metric, process metrics too, and keeps to its own registry', async () => {
    const metrics = createBuilderMetrics({ prefix: 'ci_builder_', processMetrics: true });
    const m = await scrape(metrics);
    expect(m.samples.length).toBeGreaterThan(20);
    expect(m.samples.filter((s) => !s.name.startsWith('ci_builder_'))).toEqual([]);
    expect(m.types.get('ci_builder_process_cpu_user_seconds_total')).toBe('counter');
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // Two sets of metrics in one process do not collide.
    expect(() => createBuilderMetrics({ prefix: 'ci_builder_', processMetrics: true })).not.toThrow();
  });
});
