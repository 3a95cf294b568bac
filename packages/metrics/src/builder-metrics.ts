/**
 * createBuilderMetrics: Prometheus metrics for a builder. Counters and histograms follow the
 * builder's events (`onEvent`) and the router's log streams (`onStream`); gauges of what is
 * there now (queue, workers, store, runners) are read from `builder.debug()` at scrape time.
 * Nothing here reads the store on its own.
 */
import type { BuilderEvent, JobKind, JobState } from '@docker-builder/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createHealthGauges, type HealthSource, type ObserveOptions } from './health-gauges.js';

export interface BuilderMetricsOptions {
  /** Where the metrics are registered; default a registry of their own (prom-client's global one is untouched). */
  registry?: Registry;
  /** Put before every metric's name; default "docker_builder_". */
  prefix?: string;
  /** Also register prom-client's process metrics (CPU, memory, event loop lag, GC), with the same prefix. Default false. */
  processMetrics?: boolean;
  /** Buckets of the job duration histogram, in seconds. */
  durationBuckets?: number[];
  /** Buckets of the queue wait histogram, in seconds. */
  queueWaitBuckets?: number[];
}

/**
 * A stream opened (+1) or closed (-1): what `createBuilderRouter({ onStream })` reports. `sse`: a
 * job's log live; `text`: logs.txt; `events`: the job event feed (`GET /events`).
 */
export interface LogStreamChange {
  format: 'sse' | 'text' | 'events';
  delta: 1 | -1;
}

export interface BuilderMetrics {
  readonly name: 'prometheus';
  readonly registry: Registry;
  /** The Content-Type of `scrape()`'s text. */
  readonly contentType: string;
  /** Pass to `createBuilder({ onEvent })` (beside your own listener, if any). */
  onEvent(event: BuilderEvent): void;
  /** Pass to `createBuilderRouter({ onStream })`. */
  onStream(change: LogStreamChange): void;
  /**
   * Read the gauges of what is there now from this builder at each scrape: one `debug()` for
   * all of them, shared by scrapes within `cacheMs` (health probes can take a while).
   */
  observe(builder: HealthSource, options?: ObserveOptions): void;
  /** Every metric in the Prometheus text format. */
  scrape(): Promise<string>;
}

export const DEFAULT_PREFIX = 'docker_builder_';
/** Builds and deploys take seconds to an hour. */
export const DEFAULT_DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** A free worker claims a job in milliseconds; a busy queue keeps it minutes. */
export const DEFAULT_QUEUE_WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600];

const KINDS: readonly JobKind[] = ['build', 'deploy'];
const ENDS: readonly JobState[] = ['done', 'error', 'cancelled'];

export function createBuilderMetrics(options: BuilderMetricsOptions = {}): BuilderMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const registers = [registry];
  const name = (metric: string) => `${prefix}${metric}`;

  const submitted = new Counter({ name: name('jobs_submitted_total'), help: 'Jobs submitted to this process (retries too), by kind.', labelNames: ['kind'], registers });
  const refused = new Counter({
    name: name('jobs_enqueue_refused_total'),
    help: 'Jobs the queue refused at submit time, so they ran in this process (the fallback) or were not accepted, by kind.',
    labelNames: ['kind'],
    registers,
  });
  const started = new Counter({ name: name('jobs_started_total'), help: 'Attempts this process claimed and started, by kind.', labelNames: ['kind'], registers });
  const finished = new Counter({
    name: name('jobs_finished_total'),
    help: 'Jobs this process ended (its runners, cancels of queued jobs, its reaper), by kind and final state.',
    labelNames: ['kind', 'state'],
    registers,
  });
  const lost = new Counter({
    name: name('jobs_lost_total'),
    help: "Attempts whose lease ran out (their process died or hung) that this process's reaper ended or queued again, by kind.",
    labelNames: ['kind'],
    registers,
  });
  const logLines = new Counter({ name: name('log_lines_total'), help: "Lines of runners' output this process stored in job logs, by kind.", labelNames: ['kind'], registers });
  const reaperErrors = new Counter({ name: name('reaper_errors_total'), help: "Failures of this process's reaper (the store failing mid-pass).", registers });
  const duration = new Histogram({
    name: name('job_duration_seconds'),
    help: "Time from a job's (last) start to its end, for jobs this process ended, by kind and final state.",
    labelNames: ['kind', 'state'],
    buckets: options.durationBuckets ?? DEFAULT_DURATION_BUCKETS,
    registers,
  });
  const queueWait = new Histogram({
    name: name('job_queue_wait_seconds'),
    help: 'Time from submit to the first claim, for jobs this process started, by kind.',
    labelNames: ['kind'],
    buckets: options.queueWaitBuckets ?? DEFAULT_QUEUE_WAIT_BUCKETS,
    registers,
  });
  const streams = new Gauge({
    name: name('log_stream_clients'),
    help: 'Clients streaming from this process now: "sse" (a job log live, Server-Sent Events), "text" (logs.txt) or "events" (the job event feed, /events).',
    labelNames: ['format'],
    registers,
  });

  // Every series exists from the start, so a rate() or an alert sees 0 rather than nothing.
  for (const kind of KINDS) {
    for (const counter of [submitted, refused, started, lost, logLines]) counter.inc({ kind }, 0);
    for (const state of ENDS) {
      finished.inc({ kind, state }, 0);
      duration.zero({ kind, state });
    }
    queueWait.zero({ kind });
  }
  reaperErrors.inc(0);
  streams.set({ format: 'sse' }, 0);
  streams.set({ format: 'text' }, 0);
  streams.set({ format: 'events' }, 0);

  const health = createHealthGauges({ name, registers });
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix });

  return {
    name: 'prometheus',
    registry,
    get contentType() {
      return registry.contentType;
    },
    onEvent(event) {
      switch (event.type) {
        case 'job.created':
          submitted.inc({ kind: event.kind });
          break;
        case 'job.enqueue_refused':
          refused.inc({ kind: event.kind });
          break;
        case 'job.started':
          started.inc({ kind: event.kind });
          if (event.queuedMs !== null) queueWait.observe({ kind: event.kind }, event.queuedMs / 1000);
          break;
        case 'job.finished':
          finished.inc({ kind: event.kind, state: event.state });
          if (event.durationMs !== null) duration.observe({ kind: event.kind, state: event.state }, event.durationMs / 1000);
          break;
        case 'job.logged':
          logLines.inc({ kind: event.kind }, event.lines);
          break;
        case 'job.lease_expired':
          lost.inc({ kind: event.kind });
          break;
        case 'reaper.error':
          reaperErrors.inc();
          break;
        default:
          break;
      }
    },
    onStream(change) {
      streams.inc({ format: change.format }, change.delta);
    },
    observe: health.observe,
    scrape: () => registry.metrics(),
  };
}
