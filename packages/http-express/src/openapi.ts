/** The OpenAPI 3.1 document, generated from the route table's zod schemas. */
import { z } from 'zod';
import type { RouteDefinition } from './route-definition.js';
import { TarBuildQuery } from './api-schemas.js';

const TAR_UPLOAD_HELP =
  'The build context as a tar archive (optionally gzip-compressed). The other fields go in the query string (service, tag, buildArg=NAME=VALUE, …); they apply only to this content type.';
import { PACKAGE_VERSION } from './version.js';

type JsonSchema = Record<string, unknown>;

export function createOpenApiDocument(
  routes: readonly RouteDefinition[],
  options: { title?: string; authenticated: boolean; uploads?: boolean },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      tags: [route.path === '/_debug' ? 'service' : 'jobs'],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...parameters(route.headers, 'header')],
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema
              ? { content: { [response.contentType ?? 'application/json']: { schema: toSchema(response.schema, 'output') } } }
              : response.contentType
                ? { content: { [response.contentType]: { schema: { type: 'string' } } } }
                : {}),
          },
        ]),
      ),
    };
    if (route.body) {
      const content: Record<string, unknown> = { 'application/json': { schema: toSchema(route.body, 'input') } };
      if (options.uploads && route.operationId === 'createBuild') {
        // The other way to build: the context as a tar archive, the fields as query parameters.
        content['application/x-tar'] = { schema: { type: 'string', format: 'binary', description: TAR_UPLOAD_HELP } };
        operation.parameters = [...(operation.parameters as unknown[]), ...parameters(TarBuildQuery, 'query').map((p) => ({ ...p, required: false }))];
      }
      operation.requestBody = { required: true, content };
    }
    if (options.authenticated && !route.public) operation.security = [{ bearerAuth: [] }];
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Docker Builder API',
      version: PACKAGE_VERSION,
      description: 'Build and push Docker images, run deploy playbooks, and follow their logs live.',
    },
    // Relative to where this document is served, so "Try it out" calls the API wherever it is mounted.
    servers: [{ url: '.' }],
    tags: [
      { name: 'jobs', description: 'Submit builds and deploys, follow and control them.' },
      { name: 'service', description: 'What the service runs on.' },
    ],
    paths,
    ...(options.authenticated
      ? { components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } }
      : {}),
  };
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query' | 'header') {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}
