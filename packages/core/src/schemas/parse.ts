/** Turns a zod failure into a ValidationError whose issues name the field at fault. */
import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors.js';

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(toFieldIssues(result.error));
}

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ path: formatPath([...issue.path, key]), message: 'is not a known field' });
      }
    } else if (issue.code === 'invalid_key') {
      // A record key failed its schema: report the key's own problem, at the key.
      const inner = issue.issues[0];
      issues.push({ path: formatPath(issue.path), message: inner ? `key ${inner.message}` : 'is not a valid key' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      issues.push({ path: formatPath(issue.path), message: 'is required' });
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const name = String(segment);
      out += /^[A-Za-z0-9_-]+$/.test(name) ? (out ? `.${name}` : name) : `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}
