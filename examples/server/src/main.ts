/**
 * The standalone Docker Builder server on the embedded default: `pnpm start` serves
 * http://127.0.0.1:8000 with the API under /api and the docs at /docs.
 */
import type { Server } from 'node:http';
import { ValidationError } from '@docker-builder/core';
import { readConfig, type ServerConfig } from './config.js';
import { createServer } from './create-server.js';
import { jsonLogger as log } from './logger.js';

let config: ServerConfig;
try {
  config = readConfig(process.env);
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  for (const issue of error.issues) log('error', `invalid environment variable ${issue.path}: ${issue.message}`);
  process.exit(2);
}

// No build or deploy runner is registered yet: submissions of either kind are refused with
// a clear 503 rather than accepted and never run.
const { app, builder } = createServer(config, { runners: {}, log });

const server: Server = app.listen(config.PORT, config.HOST, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log('info', `docker-builder listening on http://${config.HOST}:${port}`, {
    host: config.HOST,
    port,
    store: 'memory',
    queue: 'in-process',
    docs: `http://${config.HOST}:${port}/docs`,
  });
});
server.on('error', (error) => {
  log('error', `cannot listen on ${config.HOST}:${config.PORT}: ${error.message}`);
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log('info', `${signal} received: finishing running jobs (up to ${config.SHUTDOWN_DEADLINE_SECONDS} s), then exiting`);
  server.close();
  // SSE followers would keep the server open; they reconnect to the next instance.
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 1_000).unref();
  await builder.close({ deadlineMs: config.SHUTDOWN_DEADLINE_SECONDS * 1000 });
  log('info', 'stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
