/**
 * A job as a Redis hash: plain strings where a person reads them with HGETALL (state,
 * timestamps, error), JSON where the value is structured (spec, result, user). An empty
 * string stands for null.
 */
import { jobSubject, type Job, type JobKind, type JobState } from '@docker-builder/core';

const NULLABLE_TEXT = ['startedAt', 'finishedAt', 'error', 'retryOf', 'cancelRequestedAt'] as const;

export function toHashFields(job: Job): string[] {
  return [
    'id', job.id,
    'kind', job.kind,
    'state', job.state,
    'progress', String(job.progress),
    'createdAt', job.createdAt,
    ...NULLABLE_TEXT.flatMap((field) => [field, job[field] ?? '']),
    'result', JSON.stringify(job.result ?? null),
    'spec', JSON.stringify(job.spec),
    'user', JSON.stringify(job.user),
    'attempt', String(job.attempt),
    'cancelledBy', JSON.stringify(job.cancelledBy),
    // What the job is about (service, image, tags), for its events: the spec itself is too big to copy into each.
    'subject', JSON.stringify(jobSubject(job)),
    'groups', JSON.stringify(job.groups),
    'waitingFor', job.waitingFor ? JSON.stringify(job.waitingFor) : '',
    'waits', String(job.waits),
  ];
}

export function fromHash(hash: Record<string, string>): Job | null {
  if (!hash.id) return null;
  const text = (value: string | undefined) => (value ? value : null);
  return {
    id: hash.id,
    kind: hash.kind as JobKind,
    state: hash.state as JobState,
    progress: Number(hash.progress ?? 0),
    createdAt: hash.createdAt!,
    startedAt: text(hash.startedAt),
    finishedAt: text(hash.finishedAt),
    error: text(hash.error),
    result: JSON.parse(hash.result || 'null') as unknown,
    spec: JSON.parse(hash.spec!) as Job['spec'],
    user: JSON.parse(hash.user || 'null') as Job['user'],
    retryOf: text(hash.retryOf),
    attempt: Number(hash.attempt ?? 0),
    cancelRequestedAt: text(hash.cancelRequestedAt),
    cancelledBy: JSON.parse(hash.cancelledBy || 'null') as Job['cancelledBy'],
    // Jobs stored before concurrency groups existed have none.
    groups: JSON.parse(hash.groups || '[]') as Job['groups'],
    waitingFor: JSON.parse(hash.waitingFor || 'null') as Job['waitingFor'],
    waits: Number(hash.waits ?? 0),
  } as Job;
}

/** HGETALL as a flat [field, value, …] array (what a Lua script returns) → an object. */
export function pairsToObject(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}
