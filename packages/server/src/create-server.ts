/**
 * Assembles the standalone server: the builder on the given backend, the API under /api,
 * the docs at /docs. Kept apart from main.ts so tests can start it with runners of their
 * choosing.
 */
import express from 'express';
import { createBuilder, type Builder, type RunnerMap } from '@docker-builder/core';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createBuilderMetrics, type BuilderMetrics } from '@docker-builder/metrics';
import { uiAssetsDir } from '@docker-builder/ui';
import type { Backend } from './backend.js';
import type { ServerConfig } from './config.js';
import type { ServerAuth } from './server-auth.js';
import type { Logger } from './logger.js';
import { requestLog } from './request-log.js';
import { uploadOptions } from './runners.js';
import { leaseOptions, logOptions } from './lease-options.js';
import { concurrencyOptions } from './concurrency-settings.js';
import { builderEventListener } from './builder-event-listener.js';
import { opsHandler } from './ops-routes.js';

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
  metrics: BuilderMetrics;
}

export function createServer(
  config: ServerConfig,
  options: { backend: Backend; runners: RunnerMap; log: Logger; auth?: ServerAuth['hook'] },
): ServerParts {
  const { log, backend } = options;
  const metrics = createBuilderMetrics({ processMetrics: true });
  const builder = createBuilder({
    store: backend.store,
    ...(backend.queue ? { queue: backend.queue } : {}),
    runners: options.runners,
    concurrency: config.CONCURRENCY,
    ...leaseOptions(config),
    ...logOptions(config),
    ...concurrencyOptions(config),
    onEvent: builderEventListener(log, metrics),
  });
  metrics.observe(builder);

  const app = express();
  app.disable('x-powered-by');
  // /healthz, /readyz, /metrics: outside /api and its auth, by convention, and before the
  // request log, which probes every few seconds would drown.
  app.use(
    opsHandler({
      builder,
      metrics,
      ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
      onError: (error) => log('error', 'metrics failed', { error: String(error) }),
    }),
  );
  app.use(requestLog(log));
  app.use(
    '/api',
    createBuilderRouter(builder, {
      ...(options.auth ? { auth: options.auth } : {}),
      // One line per state-changing request, with who asked: the audit trail.
      onAudit: (entry) => log(entry.status < 400 ? 'info' : 'warn', 'audit', { ...entry, user: entry.user?.sub ?? null }),
      bodyLimit: config.BODY_LIMIT,
      uploads: uploadOptions(config),
      onError: (error, req) => log('error', 'request failed', { method: req.method, path: req.originalUrl, error: String(error) }),
      onStream: metrics.onStream,
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
  return { app, builder, metrics };
}
