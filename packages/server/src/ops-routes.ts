/**
 * The operations endpoints, outside /api: GET /healthz (the process answers), GET /readyz (the
 * store and the queue answer; 503 naming the one that does not) and GET /metrics (Prometheus,
 * behind METRICS_TOKEN when it is set). One node:http handler, so the server (Express) and the
 * worker (a bare node:http server) serve the same answers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, type Builder, type ComponentHealth } from '@docker-builder/core';
import type { BuilderMetrics } from '@docker-builder/metrics';

export interface OpsOptions {
  builder: Pick<Builder, 'store' | 'queue'>;
  metrics: BuilderMetrics;
  /** When set, /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** How long /readyz waits for each health probe; default 2 000 ms. */
  readyTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

export type OpsHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** Answers GET and HEAD of the three paths; anything else goes to `next` (Express), or is 404. */
export function opsHandler(options: OpsOptions): OpsHandler {
  const readyTimeoutMs = options.readyTimeoutMs ?? 2_000;
  const expected = options.metricsToken === undefined ? null : digest(options.metricsToken);

  const routes: Record<string, (req: IncomingMessage) => Promise<Answer>> = {
    '/healthz': async () => json(200, { status: 'ok' }),

    async '/readyz'() {
      const { store, queue } = options.builder;
      const [storeHealth, queueHealth] = await Promise.all([
        probe(store.name, () => store.health(), readyTimeoutMs),
        probe(queue.name, () => queue.health(), readyTimeoutMs),
      ]);
      const checks = { store: storeHealth, queue: queueHealth };
      const failed = Object.entries(checks).filter(([, health]) => !health.ok).map(([component]) => component);
      // Unauthenticated, so only what failed: the why (addresses, versions) is in /api/_debug for admins.
      const bare = (health: ComponentHealth) => ({ name: health.name, ok: health.ok });
      return json(failed.length === 0 ? 200 : 503, {
        status: failed.length === 0 ? 'ready' : 'unready',
        ...(failed.length > 0 ? { failed } : {}),
        store: bare(storeHealth),
        queue: bare(queueHealth),
      });
    },

    async '/metrics'(req): Promise<Answer> {
      if (expected && !bearerMatches(req.headers.authorization, expected)) {
        const refused = json(401, { error: { code: 'UNAUTHORIZED', message: 'This server asks for METRICS_TOKEN: send it as "Authorization: Bearer <token>".' } });
        return { ...refused, headers: { ...refused.headers, 'WWW-Authenticate': 'Bearer realm="metrics"' } };
      }
      return { status: 200, headers: { 'Content-Type': options.metrics.contentType, 'Cache-Control': 'no-store' }, body: await options.metrics.scrape() };
    },
  };

  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      if (next) return next();
      return send(req, res, json(404, { error: { code: 'NOT_FOUND', message: 'No such route: this port serves /metrics, /healthz and /readyz.' } }));
    }
    route(req).then(
      (answer) => send(req, res, answer),
      (error: unknown) => {
        options.onError?.(error);
        send(req, res, json(500, { error: { code: 'INTERNAL', message: 'The metrics could not be collected.' } }));
      },
    );
  };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function json(status: number, body: unknown): Answer {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, body: JSON.stringify(body) };
}

function send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': String(Buffer.byteLength(answer.body)) });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

/** A health probe that cannot hang the answer: past `ms` it counts as down. */
async function probe(name: string, check: () => Promise<ComponentHealth>, ms: number): Promise<ComponentHealth> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ name, ok: false, message: `did not answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([check(), timedOut]);
  } catch (error) {
    return { name, ok: false, message: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests, so the time taken says nothing about the token, not even its length. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const token = /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1];
  return timingSafeEqual(digest(token ?? ''), expected);
}
