/**
 * The one place that turns an error into an HTTP status and a JSON body. Errors are recognised
 * by core's brand (isBuilderError), never by class: the builder may come from another copy of
 * core than this package's (its CommonJS build beside our ES module one).
 */
import { isBuilderError, isValidationError, type ErrorCode, type FieldIssue } from '@docker-builder/core';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  JOB_NOT_FOUND: 404,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  BUSY: 503,
  INSUFFICIENT_STORAGE: 507,
  RUNNER_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: FieldIssue[] };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** True when the error was not one we raised on purpose, so the host should log it. */
  unexpected: boolean;
}

/** body-parser's errors carry a `type`; these are the ones a client causes. */
const BODY_PARSER_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  'entity.parse.failed': { code: 'INVALID_JSON', message: 'The request body is not valid JSON.' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this server accepts.' },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body uses a content encoding this server does not accept.' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be UTF-8 JSON.' },
  'request.aborted': { code: 'INVALID_JSON', message: 'The request body was not received completely.' },
};

export function toErrorResponse(error: unknown): ErrorResponse {
  if (isBuilderError(error)) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (isValidationError(error)) body.error.issues = error.issues;
    // A code this version does not know (a newer core beside it) is still the error it says, with a 500.
    const status = Object.hasOwn(STATUS_BY_CODE, error.code) ? STATUS_BY_CODE[error.code] : 500;
    return { status, body, unexpected: status === 500 };
  }
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    const { code, message } = BODY_PARSER_ERRORS[type];
    return { status: STATUS_BY_CODE[code], body: { error: { code, message } }, unexpected: false };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'Something went wrong on the server; its log has the details.' } },
    unexpected: true,
  };
}
