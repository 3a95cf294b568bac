import { inject } from 'vitest';
import type { JobQueue } from '@docker-builder/core';
import { jobQueueContract } from '@docker-builder/core/testing';
import { createBullMQJobQueue, createRedisWorker } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

jobQueueContract('bullmq', {
  makeQueue: (execute): JobQueue => {
    const prefix = `${uniquePrefix('queue')}bull`;
    const queue = createBullMQJobQueue({ redis: inject('redisUrl'), prefix });
    const worker = createRedisWorker({
      redis: inject('redisUrl'),
      prefix,
      concurrency: 4,
      builder: {
        execute: async (id, signal) => {
          await execute(id, signal!);
          return null;
        },
        close: async () => undefined,
      },
    });
    return {
      ...queue,
      close: async (options) => {
        await worker.close(options);
        await queue.close(options);
      },
    };
  },
});
