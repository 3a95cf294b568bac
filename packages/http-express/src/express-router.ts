/**
 * createBuilderRouter: mounts the route table on an Express Router, plus the OpenAPI
 * document, the docs page and one error handler. No business logic lives here. It runs on
 * Express 4 and 5 (express4.test.ts runs the router's tests on both).
 */
import {
  BuilderError,
  UnauthorizedError,
  parseOrThrow,
  roleAllows,
  type AuthenticatedUser,
  type Builder,
  type JobUser,
  type Role,
} from '@docker-builder/core';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { createRoutes } from './routes.js';
import { createOpenApiDocument } from './openapi.js';
import { mountDocs, type DocsOptions } from './docs/docs-routes.js';
import { streamSse, streamText, type StreamChange } from './sse.js';
import { clientGoneSignal } from './client-gone.js';
import { toErrorResponse } from './error-response.js';
import { catchRejections } from './catch-rejections.js';
import { bodyLimitBytes, jsonBody as readJsonBody } from './json-body.js';
import { DEFAULT_MAX_UPLOAD_BYTES, tarUploadHandler, type UploadOptions } from './tar-upload.js';
import type { RouteDefinition } from './route-definition.js';

export interface BuilderRouterOptions {
  /**
   * Who is calling: return the user, or null to answer 401. The user's `sub` is stored with
   * each job and given to runners (deploys see it as DEPLOY_USER_SUB). With a `role` the user
   * may do what it allows: `read` sees jobs and logs; `write` also submits, retries and cancels
   * its own jobs; `admin` also cancels anyone's and sees `_debug`'s details. A user without a
   * role may do everything, and so may everyone when there is no hook (see @docker-builder/auth
   * for token and OpenID Connect hooks).
   */
  auth?: (req: Request) => AuthenticatedUser | null | Promise<AuthenticatedUser | null>;
  /**
   * May this user change things (submit, cancel, retry)? False answers 403 to those routes, and
   * the UI hides their buttons. Default: what the user's role allows.
   */
  canWrite?: (user: JobUser | null, req: Request) => boolean | Promise<boolean>;
  /**
   * Called once for each request that changes something (submit, cancel, retry), when it has
   * been answered: who asked, for what, and the outcome. For the host's audit log.
   */
  onAudit?: (entry: AuditEntry, req: Request) => void;
  /**
   * Largest JSON body accepted, in bytes or as "512kb", "1mb"; larger ones get 413. Default "1mb".
   * A body the host's own parser has already read (an `express.json()` before the router) was
   * read up to that parser's limit; the router still refuses one whose Content-Length is over this.
   */
  bodyLimit?: string | number;
  /**
   * Serve the OpenAPI document (`openapi.json`) and the docs page (`docs`): true (the default)
   * for the built-in page, `{ swaggerUiDir }` for Swagger UI from your own swagger-ui-dist, false for neither.
   */
  docs?: boolean | DocsOptions;
  title?: string;
  /** Seconds between SSE heartbeat comments; default 15. */
  sseHeartbeatSeconds?: number;
  /**
   * Accept build contexts as tar archives (`POST /build` with `Content-Type: application/x-tar`).
   * Without it such requests get 415.
   */
  uploads?: UploadOptions;
  /** Called with errors the router did not expect (500s), for the host's log. */
  onError?: (error: unknown, req: Request) => void;
  /**
   * Called when a stream starts (+1) and when it ends (-1), whatever ended it: for a gauge of
   * clients following logs (`sse`, `text`) or the job event feed (`events`) (`@docker-builder/metrics`' `onStream`).
   */
  onStream?: (change: StreamChange) => void;
}

export interface AuditEntry {
  /** The route's operation: createBuild, createDeploy, cancelJob, retryJob. */
  action: string;
  user: JobUser | null;
  /** The job acted on, or created; null when the request was refused before there was one. */
  jobId: string | null;
  status: number;
}

export function createBuilderRouter(builder: Builder, options: BuilderRouterOptions = {}): Router {
  const router = express.Router();
  const routes = createRoutes(builder, { uploads: options.uploads ? { maxBytes: options.uploads.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES } : null });
  const jsonBody = readJsonBody(bodyLimitBytes(options.bodyLimit));
  const heartbeatMs = (options.sseHeartbeatSeconds ?? 15) * 1000;

  if (options.docs !== false) {
    const document = createOpenApiDocument(routes, { title: options.title, authenticated: Boolean(options.auth), uploads: Boolean(options.uploads) });
    mountDocs(router, document, options.title ?? 'Docker Builder API', options.docs === true || options.docs === undefined ? {} : options.docs);
  }

  const uploads = options.uploads ? tarUploadHandler(builder, options.uploads) : null;
  for (const route of routes) {
    const acceptsUpload = uploads && route.operationId === 'createBuild';
    const handlers = [
      watchClient,
      ...(route.mutates && options.onAudit ? [audit(route, options.onAudit)] : []),
      authenticate(route, options),
      ...(acceptsUpload ? [catchRejections(uploads)] : []),
      ...(route.body ? [requireJson(Boolean(acceptsUpload)), jsonBody] : []),
      handle(route, heartbeatMs, options.onError ?? defaultOnError, options.onStream),
    ];
    router[route.method](route.path, ...handlers);
  }

  router.use((_req: Request, _res: Response, next: NextFunction) => {
    next(new BuilderError('NOT_FOUND', 'No such route. See the OpenAPI document (openapi.json) for the routes this API has.'));
  });
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, body, unexpected } = toErrorResponse(error);
    if (unexpected) (options.onError ?? defaultOnError)(error, req);
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(status).json(body);
  });
  return router;
}

type UserRequest = Request & {
  builderUser?: AuthenticatedUser | null;
  builderRole?: Role;
  builderCanWrite?: boolean;
  builderClientGone?: AbortSignal;
  /** The job a state-changing request acted on or created, for its audit entry. */
  builderJobId?: string;
};

function audit(route: RouteDefinition, onAudit: NonNullable<BuilderRouterOptions['onAudit']>) {
  return (req: UserRequest, res: Response, next: NextFunction) => {
    // Read now: by the time an error handler has answered, Express has moved req.params on.
    const pathJobId = typeof req.params.id === 'string' ? req.params.id : null;
    res.once('close', () => {
      const user = req.builderUser ? jobUser(req.builderUser) : null;
      onAudit({ action: route.operationId, user, jobId: req.builderJobId ?? pathJobId, status: res.statusCode }, req);
    });
    next();
  };
}

/** First of every route's handlers, so a client that hangs up during auth or a store call is noticed. */
function watchClient(req: UserRequest, res: Response, next: NextFunction) {
  req.builderClientGone = clientGoneSignal(res);
  next();
}

function authenticate(route: RouteDefinition, options: BuilderRouterOptions) {
  return catchRejections(async (req: UserRequest, _res: Response, next: NextFunction) => {
    if (!options.auth || route.public) {
      req.builderUser = null;
    } else {
      const user = await options.auth(req);
      if (!user) throw new UnauthorizedError('Authentication required: send a valid bearer token in the Authorization header.');
      req.builderUser = user;
    }
    // No hook, or a hook that gives no role: everything, as a single-user service expects.
    req.builderRole = req.builderUser?.role ?? 'admin';
    req.builderCanWrite = options.canWrite ? await options.canWrite(req.builderUser, req) : roleAllows(req.builderRole, 'write');
    // A host's canWrite hook without roles: its read-only users are `read` users.
    if (!req.builderUser?.role && !req.builderCanWrite) req.builderRole = 'read';
    if (route.mutates && !req.builderCanWrite) {
      throw new BuilderError('FORBIDDEN', 'This account may only read: submitting, cancelling and retrying jobs are not allowed for it.');
    }
    next();
  });
}

function requireJson(uploadsAccepted: boolean) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is('application/json')) {
      const got = req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'no content type';
      const hint = uploadsAccepted ? ', or a build context as "Content-Type: application/x-tar"' : '';
      throw new BuilderError('UNSUPPORTED_MEDIA_TYPE', `The body must be JSON sent with "Content-Type: application/json"${hint} (got ${got}).`);
    }
    next();
  };
}

function handle(
  route: RouteDefinition,
  heartbeatMs: number,
  onError: NonNullable<BuilderRouterOptions['onError']>,
  onStream: BuilderRouterOptions['onStream'],
) {
  return catchRejections(async (req: UserRequest, res: Response) => {
    const input = {
      params: route.params ? parseOrThrow(route.params, { ...req.params }) : {},
      query: route.query ? parseOrThrow(route.query, { ...(req.query as object) }) : {},
      body: route.body ? parseOrThrow(route.body, req.body) : undefined,
      headers: route.headers ? parseOrThrow(route.headers, declaredHeaders(Object.keys(route.headers.shape), req)) : {},
      user: req.builderUser ? jobUser(req.builderUser) : null,
      role: req.builderRole ?? 'admin',
      canWrite: req.builderCanWrite ?? true,
      header: (name: string) => req.get(name),
    };
    const result = await route.handler(input);
    if ('body' in result) req.builderJobId ??= jobIdOf(result.body);
    const stream = { signal: req.builderClientGone ?? clientGoneSignal(res), onUnexpectedError: (error: unknown) => onError(error, req), onStream };
    if ('events' in result) return streamSse(res, result.events, { heartbeatMs, retryMs: 2_000, gauge: result.gauge, ...stream });
    if ('text' in result) return streamText(res, result, stream);
    res.status(result.status).json(result.body);
  });
}

/** What is stored with a job: who, never the role (a role is what they may do now, not who they were). */
function jobUser(user: AuthenticatedUser): JobUser {
  return { sub: user.sub, ...(user.name !== undefined ? { name: user.name } : {}) };
}

function jobIdOf(body: unknown): string | undefined {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** The named headers, keyed as the schema spells them; an empty header counts as absent. */
function declaredHeaders(names: string[], req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

function defaultOnError(error: unknown, req: Request) {
  console.error(`docker-builder: ${req.method} ${req.originalUrl} failed:`, error);
}
