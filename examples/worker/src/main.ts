/**
 * A BullMQ worker in a few lines: the same runners as the API process, the Redis store, and
 * createRedisWorker taking job ids from the queue. The standalone `docker-builder worker`
 * (packages/server) is this plus configuration, metrics and a shutdown deadline.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @docker-builder/example-worker start
 */
import { createBuilder } from '@docker-builder/core';
import { createAnsibleRunner } from '@docker-builder/runner-ansible';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { createBullMQJobQueue, createRedisJobStore, createRedisWorker } from '@docker-builder/store-redis';

const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const builder = createBuilder({
  store: createRedisJobStore({ redis }),
  // Jobs whose worker was lost go back through Redis to whichever worker is free.
  queue: createBullMQJobQueue({ redis }),
  runners: { build: createDockerRunner({ registryPrefix: 'registry.example.com/team' }), deploy: createAnsibleRunner() },
});
const worker = createRedisWorker({ builder, redis, concurrency: 2, onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`) });

process.on('SIGTERM', () => void worker.close({ deadlineMs: 20_000 }).then(() => process.exit(0)));
