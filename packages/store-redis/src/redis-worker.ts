/**
 * createRedisWorker: a BullMQ worker that runs each job it receives through the builder's
 * one lifecycle (`builder.execute`), so a job behaves the same here as in-process.
 *
 * BullMQ only delivers job ids. Who owns a job is decided by the job's lease in our store
 * (core's job-lease.ts and job-reaper.ts), not by BullMQ's lock: a delivery claims the job
 * only while it is `queued`, so a second delivery of the same job (a stalled lock, a re-hand)
 * finds it claimed and does nothing, and a worker that merely lost BullMQ's lock keeps its
 * job while it keeps the lease. A killed worker's job is ended or re-queued by the reaper of
 * any process once its lease runs out.
 *
 * `close()` keeps to one deadline: running jobs may finish until the last part of it, are
 * then aborted (ending in `error`, "aborted: the worker shut down"), and everything is closed
 * before the deadline, so an orchestrator's grace period is never overrun.
 */
import { JobAbortedError, settlesWithin, type Builder } from '@docker-builder/core';
import { Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_BULL_PREFIX, DEFAULT_QUEUE_NAME, type QueuePayload } from './bullmq-job-queue.js';
import { createRedisConnection, evictionPolicyWarning } from './connection.js';

/** What the worker needs from a builder: run a job, close. */
export type WorkerBuilder = Pick<Builder, 'execute' | 'close'>;

export interface RedisWorkerOptions {
  builder: WorkerBuilder;
  /** A Redis URL, or an ioredis instance with `maxRetriesPerRequest: null` (yours to close). */
  redis: string | Redis;
  queueName?: string;
  prefix?: string;
  /** Jobs this worker runs at once; default 1. */
  concurrency?: number;
  /** How long BullMQ's lock on a delivery lasts without renewal; default 30 000 ms. */
  lockDurationMs?: number;
  /** How often BullMQ looks for deliveries whose worker died before claiming; default 30 000 ms. */
  stalledIntervalMs?: number;
  /** The whole of `close()`: finishing, aborting and closing; default 25 000 ms. */
  shutdownDeadlineMs?: number;
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'worker.ready' }
  | { type: 'worker.warning'; message: string }
  | { type: 'worker.error'; message: string }
  | { type: 'worker.lock_lost'; jobIds: string[] }
  | { type: 'worker.shutdown_abort'; jobIds: string[]; graceMs: number };

export interface RedisWorker {
  readonly worker: Worker<QueuePayload>;
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 25_000;

export function createRedisWorker(options: RedisWorkerOptions): RedisWorker {
  const { builder } = options;
  const emit = options.onEvent ?? (() => undefined);
  const owns = typeof options.redis === 'string';
  const connection = typeof options.redis === 'string' ? createRedisConnection(options.redis, 'worker') : options.redis;
  const running = new Map<string, AbortController>();

  const worker = new Worker<QueuePayload>(
    options.queueName ?? DEFAULT_QUEUE_NAME,
    async (job: BullJob<QueuePayload>) => {
      const controller = new AbortController();
      running.set(job.data.jobId, controller);
      try {
        await builder.execute(job.data.jobId, controller.signal);
      } finally {
        running.delete(job.data.jobId);
      }
    },
    {
      connection,
      prefix: options.prefix ?? DEFAULT_BULL_PREFIX,
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      // A delivery whose worker died is delivered once more: harmless if the job was claimed
      // (the claim is refused), and quicker than the queued job's lease if it was not.
      maxStalledCount: 1,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    },
  );

  worker.on('ready', () => emit({ type: 'worker.ready' }));
  worker.on('error', (error) => emit({ type: 'worker.error', message: error.message }));
  // Only reported: the job's lease, not BullMQ's lock, says whether this attempt still owns it.
  worker.on('lockRenewalFailed', (jobIds: string[]) => emit({ type: 'worker.lock_lost', jobIds }));
  void evictionPolicyWarning(connection).then((message) => message && emit({ type: 'worker.warning', message }));

  let closing: Promise<void> | undefined;
  return {
    worker,
    close({ deadlineMs = options.shutdownDeadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS } = {}) {
      closing ??= (async () => {
        const deadline = Date.now() + deadlineMs;
        const left = () => Math.max(0, deadline - Date.now());
        // The last third (at most 10 s) is kept for stopping runners and writing their ends.
        const reserveMs = Math.min(deadlineMs / 3, 10_000);
        const drained = worker.close();
        drained.catch(() => undefined);
        if (!(await settlesWithin(drained, left() - reserveMs)) && running.size > 0) {
          // Runners get most of the reserve to stop; the rest is for the jobs' last writes.
          const graceMs = Math.floor(reserveMs * 0.6);
          emit({ type: 'worker.shutdown_abort', jobIds: [...running.keys()], graceMs });
          const reason = `the worker shut down and the job did not finish within its ${formatMs(deadlineMs)} deadline`;
          for (const controller of running.values()) controller.abort(new JobAbortedError(reason, { graceMs }));
          await settlesWithin(drained, left() - 500);
        }
        await settlesWithin(worker.close(true), Math.min(left(), 500));
        await settlesWithin(builder.close({ deadlineMs: left() }), left());
        if (owns) connection.disconnect();
      })();
      return closing;
    },
  };
}

function formatMs(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
