/**
 * Errors with a stable `code`. The HTTP layer maps codes to status codes in one place;
 * nothing else should need to inspect an error's class or message.
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

export class BuilderError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
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

export function isBuilderError(error: unknown): error is BuilderError {
  return error instanceof BuilderError;
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
