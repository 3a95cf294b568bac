/**
 * Writes dist/openapi.json after the build: the document of a router with an auth hook and tar
 * uploads (every operation there is), so that clients can be generated without running a server:
 * `npx openapi-typescript node_modules/@docker-builder/http-express/dist/openapi.json -o api.d.ts`.
 */
import { writeFileSync } from 'node:fs';
import { createOpenApiDocument, createRoutes } from '../dist/index.js';

// The route table only calls the builder when a request comes; the document needs its schemas alone.
const routes = createRoutes(/** @type {never} */ ({}));
const document = createOpenApiDocument(routes, { authenticated: true, uploads: true });
writeFileSync(new URL('../dist/openapi.json', import.meta.url), `${JSON.stringify(document, null, 2)}\n`);
