/**
 * Errors with a stable `code`. The HTTP layer maps codes to status codes in one place;
 * nothing else should need to inspect an error's class or message.
 *
 * They are recognised by a brand, never by `instanceof`: a process may hold two copies of this
 * package (its CommonJS and its ES module build, or two versions), each with its own classes,
 * and an error made by one copy must still be a 404 to a router that imported the other.
 */

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'JOB_NOT_FOUND'
  | 'INVALID_STATE'
  | 'RUNNER_UNAVAILABLE'
  | 'QUEUE_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  /** The server has no room to store what was sent (its disk is full). */
  | 'INSUFFICIENT_STORAGE'
  /** The server is doing as much of this as it allows at once; try again (Retry-After). */
  | 'BUSY'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_JSON'
  | 'NOT_FOUND'
  | 'INTERNAL';

/** One problem with one field of a payload; `path` is dotted (`mappings.rag-service`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/** `Symbol.for` gives every copy of this package the same symbol, so the brand survives duplication. */
const BUILDER_ERROR = Symbol.for('@docker-builder/error');

export class BuilderError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    // Not enumerable: the brand is for isBuilderError, not for logs or deep-equality checks.
    Object.defineProperty(this, BUILDER_ERROR, { value: true });
  }
}

export class ValidationError extends BuilderError {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[]) {
    super('VALIDATION_FAILED', describeIssues(issues));
    this.issues = issues;
  }
}

export class JobNotFoundError extends BuilderError {
  constructor(readonly jobId: string) {
    super('JOB_NOT_FOUND', `No job with id "${jobId}".`);
  }
}

export class InvalidStateError extends BuilderError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

export class RunnerUnavailableError extends BuilderError {
  constructor(message: string) {
    super('RUNNER_UNAVAILABLE', message);
  }
}

export class QueueUnavailableError extends BuilderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QUEUE_UNAVAILABLE', message, options);
  }
}

/** The store (Redis) cannot be reached: nothing can be accepted or read until it is back. */
export class StoreUnavailableError extends BuilderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

export class UnauthorizedError extends BuilderError {
  constructor(message: string) {
    super('UNAUTHORIZED', message);
  }
}

/** Signed in, but not allowed to do this (a `read` user submitting, a `write` user cancelling another's job). */
export class ForbiddenError extends BuilderError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/**
 * Whether `value` is a BuilderError made by any copy of this package (optionally: with this
 * `code`). Use it, not `instanceof`, wherever the error may come from another package.
 */
export function isBuilderError(value: unknown, code?: ErrorCode): value is BuilderError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as { [BUILDER_ERROR]?: unknown })[BUILDER_ERROR] !== true) return false;
  const actual = (value as { code?: unknown }).code;
  return typeof actual === 'string' && (code === undefined || actual === code);
}

/** A ValidationError from any copy of this package: a BuilderError with `VALIDATION_FAILED` and its `issues`. */
export function isValidationError(value: unknown): value is ValidationError {
  return isBuilderError(value, 'VALIDATION_FAILED') && Array.isArray((value as { issues?: unknown }).issues);
}

function describeIssues(issues: FieldIssue[]): string {
  if (issues.length === 0) return 'The request is not valid.';
  const first = issues[0]!;
  const head = first.path ? `${first.path}: ${first.message}` : first.message;
  return issues.length === 1 ? head : `${head} (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})`;
}

/** A message fit for a job's `error` field, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return `non-Error value thrown: ${JSON.stringify(error)}`;
  } catch {
    return `non-Error value thrown: ${String(error)}`;
  }
}
