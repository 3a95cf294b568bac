/** The job record every store keeps and every API answer is built from. */
import type { GroupWait, JobGroup } from './job-groups.js';
import type { JobState } from './job-state.js';
import type { Role } from './roles.js';
import type { BuildSpec, DeploySpec } from './schemas/payloads.js';

export type JobKind = 'build' | 'deploy';
export const JOB_KINDS: readonly JobKind[] = ['build', 'deploy'];

export interface SpecByKind {
  build: BuildSpec;
  deploy: DeploySpec;
}

/** Who submitted a job, as the host's auth hook said. `sub` reaches deploys as DEPLOY_USER_SUB. */
export interface JobUser {
  sub: string;
  name?: string;
}

/** A user as an auth hook returns it: with a role, what they may do (none: everything). */
export interface AuthenticatedUser extends JobUser {
  role?: Role;
}

interface JobFields<K extends JobKind> {
  id: string;
  kind: K;
  state: JobState;
  /** 0–100. */
  progress: number;
  /** ISO 8601 timestamps. */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the job ended in `error` (or how it was cancelled); null otherwise. */
  error: string | null;
  /** What the runner returned (image references, digests…); null until `done`. */
  result: unknown;
  spec: SpecByKind[K];
  user: JobUser | null;
  /** The job this one retries, if any. */
  retryOf: string | null;
  /**
   * How many times the job has been claimed. Lifecycle writes carry the attempt they belong
   * to, and a store refuses writes from any other attempt (fencing).
   */
  attempt: number;
  /** Set when cancellation was asked for while the job was running. */
  cancelRequestedAt: string | null;
  /** Who cancelled the job (or asked a running one to stop); null when nobody did or nobody signed in. */
  cancelledBy: JobUser | null;
  /** The concurrency groups it holds a slot in while it runs (job-groups.ts). */
  groups: JobGroup[];
  /** Why it has not started yet, while it is queued behind a job of one of its groups; null otherwise. */
  waitingFor: GroupWait | null;
  /**
   * How many times it was found waiting for a group. A queue keys a delivery on it, so a job
   * handed over again when a slot frees is never mistaken for the delivery that found it waiting.
   */
  waits: number;
}

export type BuildJob = JobFields<'build'>;
export type DeployJob = JobFields<'deploy'>;
export type Job = BuildJob | DeployJob;

/** What a store needs to create a job; the rest starts at its initial value. */
export type NewJob = Pick<Job, 'id' | 'kind' | 'spec' | 'user' | 'retryOf' | 'createdAt'> & { groups?: JobGroup[] };

export function initialJob(job: NewJob): Job {
  return {
    id: job.id,
    kind: job.kind,
    state: 'queued',
    progress: 0,
    createdAt: job.createdAt,
    startedAt: null,
    finishedAt: null,
    error: null,
    result: null,
    spec: job.spec,
    user: job.user,
    retryOf: job.retryOf,
    attempt: 0,
    cancelRequestedAt: null,
    cancelledBy: null,
    groups: job.groups ?? [],
    waitingFor: null,
    waits: 0,
  } as Job;
}

/** The seed's `deploy:<id>` record: what was deployed and by whom. */
export interface DeployMetadata {
  mappings: Record<string, string>;
  user: JobUser | null;
}
