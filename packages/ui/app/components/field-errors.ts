/** Server validation issues (`mappings.rag-service`, `tags[0]`, `buildArgs.X`) by the form field they concern. */
import type { FieldIssue } from '../api';

export function fieldOf(path: string): { field: string; key: string | null } {
  const match = /^([A-Za-z]+)(?:\.([^.[]+)|\["(.+)"\]|\[(\d+)\])?/.exec(path);
  if (!match) return { field: '', key: null };
  return { field: match[1]!, key: match[2] ?? match[3] ?? null };
}

export function errorsByField(issues: FieldIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const { field } = fieldOf(issue.path);
    out[field] ??= `${issue.path}: ${issue.message}`;
  }
  return out;
}
