/**
 * `docker-builder serve`, the standalone server (`pnpm start` in a checkout): http://127.0.0.1:8000
 * with the API under /api and the docs at /docs. Without REDIS_URL everything runs in this
 * process (memory store, in-process queue); with it, jobs are stored in Redis and run by
 * workers (`docker-builder worker`).
 */
import type { Server } from 'node:http';
import { createBackend } from './backend.js';
import { createServer } from './create-server.js';
import { createServerAuth } from './server-auth.js';
import { jsonLogger as log } from './logger.js';
import { startupConfig, startupRunners } from './startup-config.js';

const config = startupConfig(log);
const auth = await createServerAuth(config, log).catch((error: unknown) => {
  log('error', (error as Error).message);
  process.exit(2);
});
const backend = createBackend(config);
const { app, builder } = createServer(config, { backend, runners: startupRunners(config, log), log, auth: auth.hook });
// SIGHUP: re-read the tokens file now (it is also re-read within a second of changing).
process.on('SIGHUP', () => void auth.reload());

const server: Server = app.listen(config.PORT, config.HOST, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log('info', `docker-builder listening on http://${config.HOST}:${port}`, {
    host: config.HOST,
    port,
    ...backend.describe,
    auth: auth.describe,
    docs: `http://${config.HOST}:${port}/docs`,
  });
  void reportStore();
});
server.on('error', (error) => {
  log('error', `cannot listen on ${config.HOST}:${config.PORT}: ${error.message}`);
  process.exit(1);
});

/** Says at once when Redis is unreachable, instead of letting the first user find out. */
async function reportStore() {
  const health = await builder.store.health();
  if (!health.ok) {
    log('error', `${health.message} Until it is reachable, job submissions are answered 503.`, { redis: backend.describe.redis });
  } else if (health.message) {
    log('warn', health.message);
  }
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log('info', `${signal} received: finishing running jobs, then exiting (within ${config.SHUTDOWN_DEADLINE_SECONDS} s)`);
  server.close();
  // SSE followers would keep the server open; they reconnect to the next instance.
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 1_000).unref();
  await builder.close({ deadlineMs: config.SHUTDOWN_DEADLINE_SECONDS * 1000 });
  auth.close();
  log('info', 'stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
