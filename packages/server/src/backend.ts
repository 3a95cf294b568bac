/**
 * Where jobs live and how they travel, from the configuration: the embedded default
 * (memory store, in-process queue) without REDIS_URL; Redis store and BullMQ queue with it.
 */
import type { JobQueue, JobStore } from '@docker-builder/core';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBullMQJobQueue, createRedisJobStore, redactRedisUrl } from '@docker-builder/store-redis';
import type { ServerConfig } from './config.js';

export interface Backend {
  store: JobStore;
  /** Absent on the embedded default: the builder runs jobs in-process. */
  queue?: JobQueue;
  describe: Record<string, string>;
}

export function createBackend(config: ServerConfig): Backend {
  if (!config.REDIS_URL) {
    return { store: createMemoryJobStore(), describe: { store: 'memory', queue: 'in-process' } };
  }
  return {
    store: createRedisJobStore({
      redis: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      retentionSeconds: config.RETENTION_SECONDS || undefined,
    }),
    queue: createBullMQJobQueue({ redis: config.REDIS_URL, prefix: bullPrefix(config) }),
    describe: { store: 'redis', queue: 'bullmq', redis: redactRedisUrl(config.REDIS_URL), prefix: config.REDIS_PREFIX },
  };
}

/** BullMQ's keys sit under the same prefix, so one hash tag covers both on Redis Cluster. */
export function bullPrefix(config: ServerConfig): string {
  return `${config.REDIS_PREFIX}bull`;
}
