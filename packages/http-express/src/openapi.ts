/**
 * The OpenAPI 3.1 document, generated from the route table's zod schemas (the ones the router
 * validates with and answers from), so it cannot describe an API other than the one served.
 * openapi-responses.test.ts checks every live answer against it.
 */
import { StoredBuildSpec, StoredDeploySpec, type ErrorCode } from '@docker-builder/core';
import type { z } from 'zod';
import {
  BuildHeadline,
  BuildJob,
  BuildJobWithLogs,
  DebugBody,
  DeployHeadline,
  DeployJob,
  DeployJobWithLogs,
  ErrorBodySchema,
  JobHeadline,
  JobPageBody,
  JobSummary,
  JobWithLogs,
  LogStreamEnd,
  LogTimeBody,
  RetryBody,
  SessionBody,
  SubmitBody,
  TarBuildQuery,
} from './api-schemas.js';
import { STATUS_BY_CODE } from './error-response.js';
import { RunnersBody } from './runner-schemas.js';
import { componentRef, toComponents, toJsonSchema, toParameters, type JsonSchema } from './openapi-json-schema.js';
import type { ResponseDefinition, RouteDefinition } from './route-definition.js';
import { PACKAGE_VERSION } from './version.js';

/** The names clients see for the shared schemas (openapi-typescript's `components['schemas']['Job']`). */
const RESPONSE_NAMES = new Map<z.ZodType, string>([
  [JobSummary, 'Job'],
  [BuildJob, 'BuildJob'],
  [DeployJob, 'DeployJob'],
  [JobWithLogs, 'JobWithLogs'],
  [BuildJobWithLogs, 'BuildJobWithLogs'],
  [DeployJobWithLogs, 'DeployJobWithLogs'],
  [StoredBuildSpec, 'BuildSpec'],
  [StoredDeploySpec, 'DeploySpec'],
  [JobPageBody, 'JobPage'],
  [SubmitBody, 'Submitted'],
  [RetryBody, 'Retried'],
  [SessionBody, 'Session'],
  [DebugBody, 'Debug'],
  [RunnersBody, 'Runners'],
  [ErrorBodySchema, 'ErrorBody'],
  [LogStreamEnd, 'LogStreamEnd'],
  [LogTimeBody, 'LogTime'],
  [JobHeadline, 'JobHeadline'],
  [BuildHeadline, 'BuildHeadline'],
  [DeployHeadline, 'DeployHeadline'],
]);

const TAR_UPLOAD_HELP =
  'The build context as a tar archive (optionally gzip-compressed). The other fields go in the query string (service, tag, buildArg=NAME=VALUE, …); they apply only to this content type.';

/** What the router itself may answer on a route, beyond what the route declares. */
const ROUTER_ERRORS: Record<number, string> = {
  400: 'The request is not valid; `error.issues` names each field at fault.',
  401: 'No valid credentials: send a bearer token in the Authorization header.',
  403: 'This user may only read.',
  413: 'The body is larger than the server accepts.',
  415: 'The body is not `application/json`.',
  500: 'Something failed that the server did not expect; its log has the details, the answer never does.',
  503: 'A component the server needs (the store, the queue, a runner) is unavailable; try again later.',
  507: 'The server has no room left to store the build context; try again later.',
};

export interface OpenApiOptions {
  title?: string;
  /** The router has an auth hook: operations need a bearer token and may answer 401. */
  authenticated: boolean;
  /** `POST /build` also takes a tar archive (`application/x-tar`). */
  uploads?: boolean;
}

export function createOpenApiDocument(routes: readonly RouteDefinition[], options: OpenApiOptions) {
  const responseNames = new Map(RESPONSE_NAMES);
  // A schema a route uses that has no name of its own still gets one, so that it is shared too.
  for (const route of routes) {
    for (const [status, response] of Object.entries(route.responses)) {
      if (response.schema && !responseNames.has(response.schema)) responseNames.set(response.schema, `${pascal(route.operationId)}${status}`);
    }
  }

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const uploads = Boolean(options.uploads && route.operationId === 'createBuild');
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      if (Number(status) >= 400) continue;
      responses[status] = {
        description: response.description,
        content: { [response.contentType ?? 'application/json']: successContent(response, responseNames) },
      };
    }
    for (const [status, description] of errorStatuses(route, options, uploads)) responses[status] = errorResponse(status, description);

    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      tags: [['/_debug', '/session', '/runners'].includes(route.path) ? 'service' : 'jobs'],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      parameters: [...toParameters(route.params, 'path'), ...toParameters(route.query, 'query'), ...toParameters(route.headers, 'header')],
      responses,
    };
    if (route.body) {
      // Inline, not shared: generators type a shared schema's defaulted fields as always present,
      // which is true of an answer, not of a request.
      const content: Record<string, unknown> = { 'application/json': { schema: toJsonSchema(route.body, 'input') } };
      if (uploads) {
        // The other way to build: the context as a tar archive, the fields as query parameters.
        content['application/x-tar'] = { schema: { type: 'string', contentMediaType: 'application/x-tar', description: TAR_UPLOAD_HELP } };
        operation.parameters = [...(operation.parameters as unknown[]), ...toParameters(TarBuildQuery, 'query').map((p) => ({ ...p, required: false }))];
      }
      operation.requestBody = { required: true, content };
    }
    if (options.authenticated && !route.public) operation.security = [{ bearerAuth: [] }];
    (paths[path] ??= {})[route.method] = operation;
  }
  Object.assign(paths, documentationPaths());

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Docker Builder API',
      version: PACKAGE_VERSION,
      description:
        'Build and push Docker images, run deploy playbooks, and follow their logs live. ' +
        'Every error is `{"error": {"code", "message", "issues"?}}`; branch on `code`.',
    },
    // Relative to where this document is served, so "Try it out" calls the API wherever it is mounted.
    servers: [{ url: '.' }],
    tags: [
      { name: 'jobs', description: 'Submit builds and deploys, follow and control them.' },
      { name: 'service', description: 'Who is calling, what the service runs on, and this documentation.' },
    ],
    paths,
    components: {
      schemas: toComponents(responseNames, 'output'),
      ...(options.authenticated ? { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } : {}),
    },
  };
}

function successContent(response: ResponseDefinition, names: ReadonlyMap<z.ZodType, string>) {
  if (response.schema) return { schema: { $ref: componentRef(names.get(response.schema)!) } };
  if (!response.events) return { schema: { type: 'string' } };
  // OpenAPI 3.1 cannot describe the events of a stream; `x-events` does, for people and for our tests.
  const events = Object.fromEntries(
    Object.entries(response.events).map(([name, event]) => [
      name,
      {
        description: event.description,
        contentType: event.json ? 'application/json' : 'text/plain',
        ...(event.id ? { id: true } : {}),
        ...(event.idPattern ? { idPattern: event.idPattern } : {}),
        schema: names.has(event.data) ? { $ref: componentRef(names.get(event.data)!) } : toJsonSchema(event.data, 'output'),
      },
    ]),
  );
  const summary = Object.entries(response.events)
    .map(([name, event]) => `\`${name}\`: ${event.description}`)
    .join(' ');
  return { schema: { type: 'string', description: `Server-Sent Events. ${summary}` }, 'x-events': events };
}

/** The error statuses an operation may answer: those its route declares, and those the router adds. */
function errorStatuses(route: RouteDefinition, options: OpenApiOptions, uploads: boolean): Map<number, string> {
  const statuses = new Map<number, string>();
  for (const [status, response] of Object.entries(route.responses)) if (Number(status) >= 400) statuses.set(Number(status), response.description);
  const add = (status: number, extra?: string) => {
    const description = statuses.get(status) ?? ROUTER_ERRORS[status]!;
    statuses.set(status, extra ? `${description} ${extra}` : description);
  };
  if (route.params || route.query || route.headers || route.body) add(400);
  if (options.authenticated && !route.public) add(401);
  else statuses.delete(401);
  if (route.mutates) add(403);
  if (route.body) {
    add(413);
    add(415);
  }
  if (uploads) {
    statuses.set(400, `${statuses.get(400)} With an archive: it is not a tar archive, or unpacks to more than the server allows.`);
    add(503, 'With an archive: the server is already receiving as many as it allows; try again after `Retry-After` seconds.');
    add(507);
  }
  add(500);
  return new Map([...statuses].sort(([a], [b]) => a - b));
}

/** An error answer: the error body, its `code` narrowed to the codes this status carries. */
function errorResponse(status: number, description: string) {
  const codes = (Object.keys(STATUS_BY_CODE) as ErrorCode[]).filter((code) => STATUS_BY_CODE[code] === status);
  const schema: JsonSchema = {
    allOf: [
      { $ref: componentRef('ErrorBody') },
      { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } },
    ],
  };
  return {
    description,
    ...(status === 401 ? { headers: { 'WWW-Authenticate': { description: 'Always `Bearer`.', required: true, schema: { type: 'string' } } } } : {}),
    ...(status === 503 ? { headers: { 'Retry-After': { description: 'With BUSY: seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } } } } : {}),
    content: { 'application/json': { schema } },
  };
}

/** The document itself and the page that shows it: public, and in the document so clients can find them. */
function documentationPaths() {
  const page = (operationId: string, summary: string, contentType: string, schema: JsonSchema) => ({
    get: {
      operationId,
      tags: ['service'],
      summary,
      responses: {
        200: { description: summary, content: { [contentType]: { schema } } },
        500: errorResponse(500, ROUTER_ERRORS[500]!),
      },
    },
  });
  return {
    '/openapi.json': page('getOpenApiDocument', 'This OpenAPI document', 'application/json', { type: 'object', description: 'An OpenAPI 3.1 document.' }),
    '/docs': page('getDocsPage', 'The API documentation, as a web page', 'text/html', { type: 'string' }),
  };
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
