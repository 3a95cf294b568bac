/**
 * The BullMQ JobQueue: hands job ids to worker processes through Redis. BullMQ only carries
 * the id; our store is the record, so finished BullMQ entries are removed at once and the
 * queue's keys do not grow forever.
 */
import type { CloseOptions, EnqueueResult, JobQueue, QueueHealth, QueuedJobRef } from '@docker-builder/core';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisConnection, whenReady } from './connection.js';

export interface BullMQOptions {
  /** A Redis URL, or an ioredis instance (yours to close). */
  redis: string | Redis;
  /** Default "jobs". */
  queueName?: string;
  /** BullMQ's key prefix; default "docker-builder:bull". Use a hash tag ("{builder}:bull") on Redis Cluster. */
  prefix?: string;
}

export const DEFAULT_QUEUE_NAME = 'jobs';
export const DEFAULT_BULL_PREFIX = 'docker-builder:bull';

export interface QueuePayload {
  jobId: string;
}

export function createBullMQJobQueue(options: BullMQOptions): JobQueue & { readonly queue: Queue<QueuePayload> } {
  const owns = typeof options.redis === 'string';
  // Producers fail fast: an enqueue while Redis is down is refused at once, not queued in memory.
  const connection = typeof options.redis === 'string' ? createRedisConnection(options.redis, 'producer') : options.redis;
  if (owns) connection.on('error', () => undefined);
  const queue = new Queue<QueuePayload>(options.queueName ?? DEFAULT_QUEUE_NAME, {
    connection,
    prefix: options.prefix ?? DEFAULT_BULL_PREFIX,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
  });
  queue.on('error', () => undefined);
  let closed = false;

  return {
    name: 'bullmq',
    queue,
    async enqueue(job: QueuedJobRef): Promise<EnqueueResult> {
      if (closed) return { accepted: false, reason: 'the queue is closed' };
      try {
        await whenReady(connection, 2_000);
        // BullMQ ignores an id it holds: the same job handed over twice is delivered once, and a
        // job queued again after a lost attempt, or handed over when a group's slot freed, gets
        // an id of its own (the delivery that found it waiting may still be active).
        const id = `${job.id}${job.attempt ? `-after-${job.attempt}` : ''}${job.waits ? `-waited-${job.waits}` : ''}`;
        await queue.add(job.kind, { jobId: job.id }, { jobId: id });
        return { accepted: true };
      } catch (error) {
        return { accepted: false, reason: `Redis queue unavailable: ${(error as Error).message}` };
      }
    },
    async health(): Promise<QueueHealth> {
      try {
        // BullMQ would wait for a connection indefinitely; give it a moment, then say so.
        await whenReady(connection, 1_000);
      } catch (error) {
        return { name: 'bullmq', ok: false, message: `Redis queue unavailable: ${(error as Error).message}`, workers: 0 };
      }
      try {
        const [counts, workers] = await Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'paused'),
          queue.getWorkersCount(),
        ]);
        return {
          name: 'bullmq',
          ok: true,
          ...(workers === 0
            ? { message: 'No worker is connected: jobs wait in the queue until one starts (start one: docker-builder worker).' }
            : {}),
          workers,
          counts,
          details: { queue: queue.name, prefix: queue.opts.prefix },
        };
      } catch (error) {
        return { name: 'bullmq', ok: false, message: `Redis queue unavailable: ${(error as Error).message}`, workers: 0 };
      }
    },
    async close(_options?: CloseOptions) {
      closed = true;
      await queue.close().catch(() => undefined);
      if (owns) connection.disconnect();
    },
  };
}
