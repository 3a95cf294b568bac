/**
 * The gauges of what is there now (queue depth, workers, store, queue and runners up or down,
 * jobs holding and waiting per concurrency group), read at scrape time from one `builder.debug()`:
 * the counts the queue itself reports, the health probes and the groups `_debug` shows, never a
 * scan of the store.
 */
import type { ComponentHealth, DebugInfo, QueueHealth } from '@docker-builder/core';
import { Gauge, type Registry } from 'prom-client';

/** What the gauges read: a builder, or anything with its `debug()`. */
export interface HealthSource {
  debug(): Promise<DebugInfo>;
}

export interface ObserveOptions {
  /** Scrapes within this many milliseconds share one probe; default 5 000. */
  cacheMs?: number;
}

/** Count names queues report for jobs waiting (in-process: pending; BullMQ: waiting, delayed, paused…) and running. */
const QUEUED_COUNTS = ['pending', 'waiting', 'delayed', 'paused', 'prioritized', 'waiting-children'];
const RUNNING_COUNTS = ['running', 'active'];

export function createHealthGauges(options: { name: (metric: string) => string; registers: Registry[] }) {
  const { name, registers } = options;
  let snapshot: () => Promise<DebugInfo | null> = async () => null;

  // Each gauge starts from nothing at every scrape, so a component that went away leaves no stale series.
  const gauge = (metric: string, help: string, labelNames: string[], fill: (gauge: Gauge, debug: DebugInfo) => void) =>
    new Gauge({
      name: name(metric),
      help,
      labelNames,
      registers,
      async collect() {
        const debug = await snapshot();
        this.reset();
        if (debug) fill(this, debug);
      },
    });

  const queues = (debug: DebugInfo): QueueHealth[] => [debug.queue, ...(debug.fallback ? [debug.fallback] : [])];
  const sum = (health: QueueHealth, names: string[]) => {
    const counts = health.counts ?? {};
    const present = names.filter((count) => typeof counts[count] === 'number');
    return present.length === 0 ? null : present.reduce((total, count) => total + counts[count]!, 0);
  };

  gauge(
    'jobs_queued',
    'Jobs waiting in the queue, as the queue reports it (BullMQ: the whole queue, the same on every process: aggregate with max).',
    ['queue'],
    (g, debug) => {
      for (const queue of queues(debug)) {
        const value = sum(queue, QUEUED_COUNTS);
        if (value !== null) g.set({ queue: queue.name }, value);
      }
    },
  );
  gauge(
    'jobs_running',
    'Jobs running, as the queue reports it (BullMQ: active in the whole queue, the same on every process: aggregate with max).',
    ['queue'],
    (g, debug) => {
      for (const queue of queues(debug)) {
        const value = sum(queue, RUNNING_COUNTS);
        if (value !== null) g.set({ queue: queue.name }, value);
      }
    },
  );
  gauge('workers', 'Workers taking jobs from the queue (BullMQ: worker connections; in-process: its concurrency).', ['queue'], (g, debug) => {
    for (const queue of queues(debug)) if (queue.workers !== undefined) g.set({ queue: queue.name }, queue.workers);
  });
  gauge('store_up', 'Whether the job store answers its health probe (1) or not (0).', ['store'], (g, debug) => {
    g.set({ store: debug.store.name }, up(debug.store));
  });
  gauge('queue_up', 'Whether the queue answers its health probe (1) or not (0).', ['queue'], (g, debug) => {
    for (const queue of queues(debug)) g.set({ queue: queue.name }, up(queue));
  });
  gauge('runner_up', "Whether a runner can work (1) or not (0): the Docker engine reachable, ansible-playbook and the playbook there.", ['kind', 'runner'], (g, debug) => {
    for (const [kind, runner] of Object.entries(debug.runners)) if (runner) g.set({ kind, runner: runner.name }, up(runner));
  });
  // One series per group a job holds or waits for, and only while one does: groups are named
  // after services and image repositories, so the series are as many as the deploys and builds
  // in flight, and an idle group leaves none behind.
  gauge(
    'group_jobs_holding',
    'Jobs holding a slot of a concurrency group (deploy:<service>, build:<repository>…), for the groups a job holds or waits for (read from the store: the same on every process, aggregate with max).',
    ['group'],
    (g, debug) => {
      for (const group of debug.groups ?? []) g.set({ group: group.name }, group.holders.length);
    },
  );
  gauge(
    'group_jobs_waiting',
    'Queued jobs of a concurrency group, waiting their turn, for the groups a job holds or waits for (read from the store: the same on every process, aggregate with max).',
    ['group'],
    (g, debug) => {
      for (const group of debug.groups ?? []) g.set({ group: group.name }, group.waiting.length);
    },
  );

  return {
    observe(builder: HealthSource, observeOptions: ObserveOptions = {}) {
      const cacheMs = observeOptions.cacheMs ?? 5_000;
      let last: { at: number; debug: Promise<DebugInfo | null> } | null = null;
      snapshot = () => {
        const now = Date.now();
        if (!last || now - last.at >= cacheMs) {
          // debug() bounds every probe (3 s) and never rejects; if it did, the gauges are left empty, not stale.
          last = { at: now, debug: builder.debug().catch(() => null) };
        }
        return last.debug;
      };
    },
  };
}

function up(health: ComponentHealth): number {
  return health.ok ? 1 : 0;
}
