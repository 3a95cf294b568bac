/**
 * createRedisWorker: a BullMQ worker that runs each job it receives through the builder's
 * one lifecycle (`builder.execute`), so a job behaves the same here as in-process.
 *
 * Failure handling, which is why this file exists:
 * - A worker killed mid-job stops renewing its lock; BullMQ declares the job stalled. With
 *   `retryLostJobs: 0` (the default) the next worker to see it gets a `failed` event and the job
 *   ends in `error`, its log saying the worker was lost; otherwise the job is run again as a
 *   new attempt that takes over.
 * - A worker that merely lost its lock (blocked event loop, Redis unreachable) may still be
 *   running the job while another takes it. Its lifecycle writes carry the old attempt and are
 *   refused, which aborts it; `lockRenewalFailed` aborts it as soon as BullMQ notices.
 * - `close()` stops taking jobs, gives running ones until the deadline, then aborts them
 *   (BullMQ's own close would wait forever).
 */
import type { Builder } from '@docker-builder/core';
import { Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_BULL_PREFIX, DEFAULT_QUEUE_NAME, type QueuePayload } from './bullmq-job-queue.js';
import { createRedisConnection, evictionPolicyWarning } from './connection.js';

/** What the worker needs from a builder: run a job, end a lost one, close. */
export type WorkerBuilder = Pick<Builder, 'execute' | 'failLost' | 'close'>;

export interface RedisWorkerOptions {
  builder: WorkerBuilder;
  /** A Redis URL, or an ioredis instance with `maxRetriesPerRequest: null` (yours to close). */
  redis: string | Redis;
  queueName?: string;
  prefix?: string;
  /** Jobs this worker runs at once; default 1. */
  concurrency?: number;
  /** How long a job's lock lasts without renewal; default 30 000 ms. */
  lockDurationMs?: number;
  /** How often to look for jobs whose worker was lost; default 30 000 ms. */
  stalledIntervalMs?: number;
  /** How many times a job whose worker was lost is run again; default 0 (it ends in error). */
  retryLostJobs?: number;
  /** Default 30 000 ms. */
  shutdownDeadlineMs?: number;
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'worker.ready' }
  | { type: 'worker.warning'; message: string }
  | { type: 'worker.error'; message: string }
  | { type: 'worker.lock_lost'; jobIds: string[] }
  | { type: 'worker.job_lost'; jobId: string; reason: string };

export interface RedisWorker {
  readonly worker: Worker<QueuePayload>;
  close(options?: { deadlineMs?: number }): Promise<void>;
}

const LOST_REASONS = ['job stalled more than allowable limit', 'job started more than allowable limit'];

export function createRedisWorker(options: RedisWorkerOptions): RedisWorker {
  const { builder } = options;
  const emit = options.onEvent ?? (() => undefined);
  const owns = typeof options.redis === 'string';
  const connection = typeof options.redis === 'string' ? createRedisConnection(options.redis, 'worker') : options.redis;
  const lockDuration = options.lockDurationMs ?? 30_000;

  const worker = new Worker<QueuePayload>(
    options.queueName ?? DEFAULT_QUEUE_NAME,
    async (job: BullJob<QueuePayload>, _token?: string, signal?: AbortSignal) => {
      await builder.execute(job.data.jobId, signal ?? new AbortController().signal, { takeOver: true });
    },
    {
      connection,
      prefix: options.prefix ?? DEFAULT_BULL_PREFIX,
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.retryLostJobs ?? 0,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    },
  );

  worker.on('ready', () => emit({ type: 'worker.ready' }));
  worker.on('error', (error) => emit({ type: 'worker.error', message: error.message }));
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    emit({ type: 'worker.lock_lost', jobIds });
    for (const id of jobIds) worker.cancelJob(id, 'this worker lost its lock on the job; another worker may take it over');
  });
  worker.on('failed', (job, error) => {
    if (!job || !LOST_REASONS.includes(error.message)) return;
    const reason = `${error.message}: no lock renewal within ${lockDuration} ms`;
    emit({ type: 'worker.job_lost', jobId: job.data.jobId, reason });
    builder.failLost(job.data.jobId, reason).catch((e: unknown) => emit({ type: 'worker.error', message: String(e) }));
  });
  void evictionPolicyWarning(connection).then((message) => message && emit({ type: 'worker.warning', message }));

  let closing: Promise<void> | undefined;
  return {
    worker,
    close({ deadlineMs = options.shutdownDeadlineMs ?? 30_000 } = {}) {
      closing ??= (async () => {
        const drained = worker.close();
        const finished = await Promise.race([drained.then(() => true), delay(deadlineMs).then(() => false)]);
        if (!finished) {
          worker.cancelAllJobs(`the worker shut down and the job did not finish within ${deadlineMs} ms`);
          await Promise.race([drained, delay(15_000)]);
          await worker.close(true);
        }
        await builder.close({ deadlineMs: 1_000 });
        if (owns) connection.disconnect();
      })();
      return closing;
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
