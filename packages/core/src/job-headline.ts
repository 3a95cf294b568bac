/**
 * A job's headline: what a row of the queue shows (who, what, where it is), without its spec,
 * result or log. Event feeds carry it, so a follower never has to read the job to show a change.
 */
import type { GroupWait } from './job-groups.js';
import type { JobState } from './job-state.js';
import type { Job, JobKind, JobUser } from './job.js';
import type { BuildSpec, DeploySpec } from './schemas/payloads.js';

/** The most characters of a job's error a headline carries: the first line, cut here. */
export const HEADLINE_ERROR_CHARS = 500;

interface HeadlineFields<K extends JobKind> {
  id: string;
  kind: K;
  state: JobState;
  progress: number;
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequestedAt: string | null;
  /** The first line of the job's error, at most HEADLINE_ERROR_CHARS characters. */
  error: string | null;
  user: JobUser | null;
  cancelledBy: JobUser | null;
  retryOf: string | null;
  /** Why a queued job has not started: the group it waits for and the job ahead of it. */
  waitingFor: GroupWait | null;
}

/** What a build is about: never changes once the job exists. */
export interface BuildSubject {
  service: string;
  /** The repository asked for; null when the server's default (its registry prefix and the service) applies. */
  image: string | null;
  tags: string[];
}

/** What a deploy is about: the mapped services and their images, in the order given. */
export interface DeploySubject {
  services: string[];
  images: string[];
}

export type BuildHeadline = HeadlineFields<'build'> & BuildSubject;
export type DeployHeadline = HeadlineFields<'deploy'> & DeploySubject;
export type JobHeadline = BuildHeadline | DeployHeadline;
export type JobSubject = BuildSubject | DeploySubject;

/** Tolerant of a partial spec: jobs migrated from the seed, or stored by an older version, may lack fields. */
export function jobSubject(job: Job): JobSubject {
  const spec = (job.spec ?? {}) as Partial<BuildSpec & DeploySpec>;
  if (job.kind === 'build') {
    return { service: typeof spec.service === 'string' ? spec.service : '', image: spec.image ?? null, tags: Array.isArray(spec.tags) ? [...spec.tags] : [] };
  }
  const mappings = spec.mappings && typeof spec.mappings === 'object' ? spec.mappings : {};
  return { services: Object.keys(mappings), images: Object.values(mappings) };
}

export function jobHeadline(job: Job): JobHeadline {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    progress: job.progress,
    attempt: job.attempt,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    cancelRequestedAt: job.cancelRequestedAt,
    error: firstLine(job.error),
    user: job.user ? { ...job.user } : null,
    cancelledBy: job.cancelledBy ? { ...job.cancelledBy } : null,
    retryOf: job.retryOf,
    waitingFor: job.waitingFor ? { ...job.waitingFor } : null,
    ...jobSubject(job),
  } as JobHeadline;
}

/** The first line of a text, at most HEADLINE_ERROR_CHARS characters (whole code points); null stays null. */
export function firstLine(text: string | null): string | null {
  if (text === null) return null;
  const line = /^[^\r\n]*/.exec(text)![0];
  if (line.length <= HEADLINE_ERROR_CHARS) return line;
  // Never end on half of a surrogate pair: a cut emoji would be an invalid string in JSON.
  const cut = line.slice(0, HEADLINE_ERROR_CHARS);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
