/**
 * Errors are recognised by their brand and code, so that an error from another copy of core (its
 * CommonJS build beside the ES module one) is still what it says. The copies themselves meet in
 * http-express's dual-package.test.ts; here, a foreign error is one made without our classes.
 */
import { describe, expect, it } from 'vitest';
import { BuilderError, JobNotFoundError, ValidationError, isBuilderError, isValidationError } from '@docker-builder/core';

/** What another copy's `new JobNotFoundError(id)` is, seen from this one: not an instance of our class. */
function foreign(code: string, extra: Record<string, unknown> = {}) {
  const error = Object.assign(new Error('from the other copy'), { name: 'JobNotFoundError', code, ...extra });
  Object.defineProperty(error, Symbol.for('@docker-builder/error'), { value: true });
  return error;
}

describe('isBuilderError', () => {
  it('recognises our errors, and another copy\'s by their brand', () => {
    expect(isBuilderError(new JobNotFoundError('x'))).toBe(true);
    expect(isBuilderError(new JobNotFoundError('x'), 'JOB_NOT_FOUND')).toBe(true);
    expect(isBuilderError(new JobNotFoundError('x'), 'NOT_FOUND')).toBe(false);
    const other = foreign('JOB_NOT_FOUND');
    expect(other instanceof BuilderError).toBe(false);
    expect(isBuilderError(other, 'JOB_NOT_FOUND')).toBe(true);
  });

  it('does not take a look-alike for one: an error with a code of ours but no brand', () => {
    expect(isBuilderError(Object.assign(new Error('x'), { code: 'JOB_NOT_FOUND' }))).toBe(false);
    expect(isBuilderError({ code: 'JOB_NOT_FOUND', message: 'x' })).toBe(false);
    expect(isBuilderError(null)).toBe(false);
    expect(isBuilderError('JOB_NOT_FOUND')).toBe(false);
  });

  it('keeps the brand out of what is logged or compared', () => {
    const error = new BuilderError('NOT_FOUND', 'x');
    expect(Object.getOwnPropertySymbols({ ...error })).toEqual([]);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'BuilderError', code: 'NOT_FOUND' });
  });
});

describe('isValidationError', () => {
  it('recognises ours and another copy\'s, with their issues', () => {
    const issues = [{ path: 'service', message: 'is required' }];
    expect(isValidationError(new ValidationError(issues))).toBe(true);
    const other = foreign('VALIDATION_FAILED', { issues });
    expect(isValidationError(other) && other.issues).toEqual(issues);
    expect(isValidationError(foreign('VALIDATION_FAILED'))).toBe(false);
    expect(isValidationError(new JobNotFoundError('x'))).toBe(false);
  });
});
