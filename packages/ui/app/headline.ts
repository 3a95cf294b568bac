/**
 * A job as the event streams carry it (no spec, result or log), and a queue row made from it or
 * from a job the list returned: the queue shows both the same way.
 */
import type { Job, JobState, JobUser } from './api';
import type { GroupWait } from './groups';
import { termsOfHeadline, termsOfJob } from './search-terms';

interface HeadlineFields {
  id: string;
  state: JobState;
  progress: number;
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequestedAt: string | null;
  /** Its first line only. */
  error: string | null;
  user: JobUser | null;
  cancelledBy: JobUser | null;
  retryOf: string | null;
  /** Why a queued job has not started (a `waiting` event says it first); absent from servers older than groups. */
  waitingFor?: GroupWait | null;
  /** On `created` events only: where the job joined the line. */
  placeInLine?: number;
}

export type JobHeadline =
  | (HeadlineFields & { kind: 'build'; service: string; image: string | null; tags: string[] })
  | (HeadlineFields & { kind: 'deploy'; services: string[]; images: string[] });

/** The fields a row shows as the job has them (`error`: its first line). */
type RowFields = Pick<Job, 'id' | 'kind' | 'state' | 'progress' | 'createdAt' | 'startedAt' | 'finishedAt' | 'error' | 'user'>;

export interface QueueRow extends RowFields {
  /** What it builds or deploys, short. */
  what: string;
  /** Queued: its place in line, when known. */
  placeInLine?: number;
  /** Queued: the job ahead of it in one of its groups, if it waits for one. */
  waitingFor?: GroupWait | null;
  /** What a search finds it by (search-terms.ts). */
  terms: string[];
}

const firstLine = (text: string | null) => (text === null ? null : /^[^\r\n]*/.exec(text)![0]);

const services = (names: string[]) => (names.length <= 2 ? names.join(', ') : `${names.slice(0, 2).join(', ')} +${names.length - 2}`);

export function rowFromJob(job: Job): QueueRow {
  const what =
    job.kind === 'build'
      ? `${job.spec.service ?? '?'}${job.spec.tags?.length ? `:${job.spec.tags[0]}` : ''}`
      : services(Object.keys(job.spec.mappings ?? {}));
  return { ...pick(job), error: firstLine(job.error), what, terms: termsOfJob(job), ...(job.placeInLine ? { placeInLine: job.placeInLine } : {}) };
}

export function rowFromHeadline(job: JobHeadline): QueueRow {
  const what = job.kind === 'build' ? `${job.service || '?'}${job.tags.length ? `:${job.tags[0]}` : ''}` : services(job.services);
  return { ...pick(job), error: firstLine(job.error), what, terms: termsOfHeadline(job), ...(job.placeInLine ? { placeInLine: job.placeInLine } : {}) };
}

function pick(job: Job | JobHeadline) {
  const { id, kind, state, progress, createdAt, startedAt, finishedAt, user } = job;
  return { id, kind, state, progress, createdAt, startedAt, finishedAt, user, waitingFor: job.waitingFor ?? null };
}

/** The random end of a UUIDv7: its first characters are the time, the same for every job of a minute. */
export const shortId = (id: string) => id.slice(-8);
