/**
 * A Docker Builder worker: takes jobs from Redis and runs them with the same runners and
 * store as the server. Start as many as you like, on as many machines:
 *
 *   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @docker-builder/example-worker start
 *
 * SIGTERM/SIGINT: stop taking jobs, let running ones finish, abort the rest (they end in
 * error, saying why) and exit 0, all within SHUTDOWN_DEADLINE_SECONDS.
 */
import { createBuilder } from '@docker-builder/core';
import { createRedisWorker } from '@docker-builder/store-redis';
import { builderEventLevel, bullPrefix, createBackend, createRunners, jsonLogger as log, leaseOptions, startupConfig } from '@docker-builder/example-server/runtime';

const config = startupConfig(log);
if (!config.REDIS_URL) {
  log('error', 'REDIS_URL is required: a worker takes its jobs from Redis. Without Redis the server runs jobs itself.');
  process.exit(2);
}

const backend = createBackend(config);
const builder = createBuilder({
  store: backend.store,
  // Jobs this worker's reaper queues again go back through Redis, to whichever worker is free.
  queue: backend.queue,
  runners: createRunners(config),
  ...leaseOptions(config),
  onEvent: (event) => log(builderEventLevel(event), event.type, { ...event }),
});
const worker = createRedisWorker({
  builder,
  redis: config.REDIS_URL,
  prefix: bullPrefix(config),
  concurrency: config.CONCURRENCY,
  lockDurationMs: config.LEASE_SECONDS * 1000,
  shutdownDeadlineMs: config.SHUTDOWN_DEADLINE_SECONDS * 1000,
  onEvent: (event) => {
    if (event.type === 'worker.ready') {
      log('info', 'worker ready: taking jobs', { ...backend.describe, concurrency: config.CONCURRENCY, pid: process.pid });
    } else {
      log(event.type === 'worker.warning' ? 'warn' : event.type === 'worker.error' ? 'error' : 'info', event.type, { ...event });
    }
  },
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log('info', `${signal} received: finishing running jobs, then exiting (within ${config.SHUTDOWN_DEADLINE_SECONDS} s)`);
  await worker.close();
  log('info', 'stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
