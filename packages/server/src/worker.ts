/**
 * `docker-builder worker`: takes jobs from Redis and runs them with the same runners and
 * store as the server. Start as many as you like, on as many machines:
 *
 *   REDIS_URL=redis://127.0.0.1:6379 docker-builder worker
 *
 * METRICS_PORT: also serve /metrics, /healthz and /readyz on that port (METRICS_HOST, default
 * 127.0.0.1).
 *
 * SIGTERM/SIGINT: stop taking jobs, let running ones finish, abort the rest (they end in
 * error, saying why) and exit 0, all within SHUTDOWN_DEADLINE_SECONDS.
 */
import { createBuilder } from '@docker-builder/core';
import { createBuilderMetrics } from '@docker-builder/metrics';
import { createRedisWorker } from '@docker-builder/store-redis';
import { bullPrefix, createBackend } from './backend.js';
import { builderEventListener } from './builder-event-listener.js';
import { leaseOptions, logOptions } from './lease-options.js';
import { concurrencyOptions } from './concurrency-settings.js';
import { jsonLogger as log } from './logger.js';
import { opsHandler } from './ops-routes.js';
import { startupConfig, startupRunners } from './startup-config.js';
import { startMetricsServer } from './metrics-server.js';

const config = startupConfig(log);
if (!config.REDIS_URL) {
  log('error', 'REDIS_URL is required: a worker takes its jobs from Redis. Without Redis the server runs jobs itself.');
  process.exit(2);
}

const backend = createBackend(config);
const metrics = createBuilderMetrics({ processMetrics: true });
const builder = createBuilder({
  store: backend.store,
  // Jobs this worker's reaper queues again go back through Redis, to whichever worker is free.
  queue: backend.queue,
  runners: startupRunners(config, log),
  ...leaseOptions(config),
  ...logOptions(config),
  // The same groups as the server's: a worker may queue a job again, or hand over one whose slot freed.
  ...concurrencyOptions(config),
  onEvent: builderEventListener(log, metrics),
});
metrics.observe(builder);
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

if (config.METRICS_PORT !== undefined) {
  const handler = opsHandler({
    builder,
    metrics,
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    onError: (error) => log('error', 'metrics failed', { error: String(error) }),
  });
  await startMetricsServer({ host: config.METRICS_HOST, port: config.METRICS_PORT, handler }).then(
    ({ url, port }) => log('info', `metrics served on ${url}`, { metrics: url, metricsPort: port }),
    (error: unknown) => {
      log('error', `cannot serve metrics on ${config.METRICS_HOST}:${config.METRICS_PORT}: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}

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
