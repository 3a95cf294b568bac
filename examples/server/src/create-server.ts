/**
 * Assembles the standalone server from a config: the embedded default (memory store and
 * in-process queue), the API under /api, the docs at /docs. Kept apart from main.ts so
 * tests can start it with runners of their choosing.
 */
import express from 'express';
import { createBuilder, type Builder, type RunnerMap } from '@docker-builder/core';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter } from '@docker-builder/http-express';
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';
import { requestLog } from './request-log.js';

export interface ServerParts {
  app: express.Express;
  builder: Builder;
}

export function createServer(config: ServerConfig, options: { runners: RunnerMap; log: Logger }): ServerParts {
  const { log } = options;
  const builder = createBuilder({
    store: createMemoryJobStore(),
    runners: options.runners,
    concurrency: config.CONCURRENCY,
    onEvent: (event) => log(event.type === 'job.finished' && event.state === 'error' ? 'warn' : 'info', event.type, { ...event }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(log));
  app.use(
    '/api',
    createBuilderRouter(builder, {
      bodyLimit: config.BODY_LIMIT,
      onError: (error, req) => log('error', 'request failed', { method: req.method, path: req.originalUrl, error: String(error) }),
    }),
  );
  // The seed served its docs at /docs; keep that address working.
  app.get('/docs', (_req, res) => res.redirect(302, '/api/docs'));
  app.get('/', (_req, res) => {
    res.json({ service: 'docker-builder', api: '/api', docs: '/api/docs', openapi: '/api/openapi.json', debug: '/api/_debug' });
  });
  return { app, builder };
}
