/**
 * Assembles the standalone server: the builder on the given backend, the API under /api,
 * the docs at /docs. Kept apart from main.ts so tests can start it with runners of their
 * choosing.
 */
import express from 'express';
import { createBuilder, type Builder, type RunnerMap } from '@docker-builder/core';
import { createBuilderRouter } from '@docker-builder/http-express';
import { uiAssetsDir } from '@docker-builder/ui';
import type { Backend } from './backend.js';
import type { ServerConfig } from './config.js';
import type { ServerAuth } from './server-auth.js';
import type { Logger } from './logger.js';
import { requestLog } from './request-log.js';
import { uploadsDir } from './runners.js';
import { builderEventLevel, leaseOptions } from './lease-options.js';

/** The web UI's files, or null (with a warning) when it has not been built. */
function builtUi(log: Logger): string | null {
  try {
    return uiAssetsDir();
  } catch (error) {
    log('warn', `${(error as Error).message} Until then / shows links instead of the UI.`);
    return null;
  }
}

export interface ServerParts {
  app: express.Express;
  builder: Builder;
}

export function createServer(
  config: ServerConfig,
  options: { backend: Backend; runners: RunnerMap; log: Logger; auth?: ServerAuth['hook'] },
): ServerParts {
  const { log, backend } = options;
  const builder = createBuilder({
    store: backend.store,
    ...(backend.queue ? { queue: backend.queue } : {}),
    runners: options.runners,
    concurrency: config.CONCURRENCY,
    ...leaseOptions(config),
    onEvent: (event) => log(builderEventLevel(event), event.type, { ...event }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(log));
  app.use(
    '/api',
    createBuilderRouter(builder, {
      ...(options.auth ? { auth: options.auth } : {}),
      // One line per state-changing request, with who asked: the audit trail.
      onAudit: (entry) => log(entry.status < 400 ? 'info' : 'warn', 'audit', { ...entry, user: entry.user?.sub ?? null }),
      bodyLimit: config.BODY_LIMIT,
      uploads: { dir: uploadsDir(config), maxBytes: config.UPLOAD_MAX_BYTES },
      onError: (error, req) => log('error', 'request failed', { method: req.method, path: req.originalUrl, error: String(error) }),
    }),
  );
  // The seed served its docs at /docs; keep that address working.
  app.get('/docs', (_req, res) => res.redirect(302, '/api/docs'));
  const ui = builtUi(log);
  if (ui) {
    app.use(express.static(ui, { index: 'index.html' }));
  } else {
    app.get('/', (_req, res) => {
      res.json({ service: 'docker-builder', api: '/api', docs: '/api/docs', ui: 'not built: run pnpm --filter @docker-builder/ui build' });
    });
  }
  return { app, builder };
}
