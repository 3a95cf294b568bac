/** @docker-builder/http-express: the Docker Builder HTTP API as an Express router. */
export { createBuilderRouter, type BuilderRouterOptions, type AuditEntry } from './express-router.js';
export type { DocsOptions } from './docs/docs-routes.js';
export type { StreamChange } from './sse.js';
export {
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_MAX_UNPACKED_BYTES,
  DEFAULT_MAX_UPLOAD_ENTRIES,
  DEFAULT_MAX_CONCURRENT_UPLOADS,
  type UploadOptions,
} from './tar-upload.js';
export { prepareUploadsDir, UploadsDirError, isUploadsDirError } from './uploads-dir.js';
export { createRoutes } from './routes.js';
export { createOpenApiDocument } from './openapi.js';
export { toErrorResponse, STATUS_BY_CODE, type ErrorBody, type ErrorResponse } from './error-response.js';
export type { RouteDefinition, RouteInput, RouteResult, SseEvent } from './route-definition.js';
export * as apiSchemas from './api-schemas.js';
