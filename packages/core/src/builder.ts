/**
 * createBuilder: the SDK's front door. Validates what users submit, stores jobs, hands them
 * to the queue (or runs them in-process when the queue refuses), and answers questions
 * about them. Hosts (the Express router, scripts, workers) call this and nothing else.
 */
import { isJobId } from './job-id.js';
import {
  ForbiddenError,
  InvalidStateError,
  ValidationError,
  JobNotFoundError,
  QueueUnavailableError,
  RunnerUnavailableError,
  errorMessage,
} from './errors.js';
import { jobFinishedEvent, type BuilderEvent } from './builder-events.js';
import { createInProcessQueue, type InProcessQueue } from './in-process-queue.js';
import { createJobId } from './job-id.js';
import { DEFAULT_LOG_LIMITS, type LogLimits } from './job-log-writer.js';
import { isTerminal } from './job-state.js';
import type { Job, JobKind, JobUser, NewJob, SpecByKind } from './job.js';
import { releaseJob, runJob, type LifecycleDeps } from './job-lifecycle.js';
import { createGroupDispatch } from './job-group-dispatch.js';
import type { ConcurrencyOptions, JobGroup } from './job-groups.js';
import { reapExpiredLeases, startReaper, type Reaper } from './job-reaper.js';
import type { LeaseTimings } from './job-lease.js';
import type { ComponentHealth } from './ports/health.js';
import type { CloseOptions, JobQueue, QueueHealth } from './ports/job-queue.js';
import type { GroupState, JobCountQuery, JobCounts, JobListQuery, JobStore, LogEntry, LogSlice } from './ports/job-store.js';
import type { FollowEventsOptions, JobFeedItem } from './ports/job-events.js';
import type { Runner, RunnerMap } from './ports/runner.js';
import { runnersReadiness, type RunnersReadiness } from './runner-status.js';
import { CreateBuildPayload, CreateDeployPayload, type BuildSpec } from './schemas/payloads.js';
import { parseOrThrow } from './schemas/parse.js';
import { JobUserSchema } from './schemas/job-user.js';

export interface BuilderOptions {
  store: JobStore;
  /** The runners this process has. A kind without a runner is refused at submit time. */
  runners?: RunnerMap;
  /** Where jobs go. Default: an in-process queue running `concurrency` jobs at once. */
  queue?: JobQueue;
  /** Jobs the in-process queue (or fallback) runs at once; default 2. */
  concurrency?: number;
  /** Run a job in this process when the queue refuses it (the seed's fallback). Default true. */
  fallback?: boolean;
  logs?: Partial<LogLimits>;
  /** After aborting a runner, how long to wait for it to stop; default 10 000 ms. */
  abortGraceMs?: number;
  /** Minimum time between progress writes; default 200 ms. */
  progressIntervalMs?: number;
  /**
   * How long a running attempt's lease lasts without renewal; default 30 000 ms, renewed every
   * third of it. An attempt that cannot renew stops its runner; a lease that runs out (the
   * process died or hung) lets the reaper end or re-queue the job.
   */
  leaseMs?: number;
  /** How long a queued job may wait unclaimed before it is handed to the queue again; default 60 000 ms. */
  queuedLeaseMs?: number;
  /** How often this builder looks for expired leases; default 5 000 ms. `false`: never (another process reaps). */
  reapIntervalMs?: number | false;
  /** How many times a job whose attempt was lost is queued again; default 0 (it ends in error, saying why). */
  retryLostJobs?: number;
  /**
   * Concurrency groups (job-groups.ts): by default deploys that share a service, and builds of
   * one image repository, run one at a time, in submission order; add groups, limits,
   * `supersede` policies and the environments a deploy may name.
   */
  groups?: ConcurrencyOptions;
  onEvent?: (event: BuilderEvent) => void;
  now?: () => Date;
}

export interface SubmitOptions {
  user?: JobUser | null;
}

export interface SubmitBuildOptions extends SubmitOptions {
  /** The id of a build context the host stored for this job (an uploaded tar archive). */
  upload?: string;
}

export interface CancelOptions {
  by?: JobUser | null;
  /** Refuse (ForbiddenError) unless `by` submitted the job: what a `write` user may cancel. */
  onlyOwn?: boolean;
  /**
   * Cancel only a job that has not started (InvalidStateError otherwise, a running job is left
   * alone): what "cancel the queued ones" means when one starts while the request is on its way.
   */
  onlyQueued?: boolean;
}

export interface SubmitResult {
  id: string;
  /** False when the queue refused the job and this process runs it instead (the seed's fallback). */
  enqueued: boolean;
}

/** A job as the builder answers it: a queued one with its place in line, 1 for the next to start. */
export type JobInLine = Job & { placeInLine?: number };

export interface DebugInfo {
  store: ComponentHealth;
  queue: QueueHealth;
  fallback: QueueHealth | null;
  runners: Record<JobKind, ComponentHealth | null>;
  /**
   * The concurrency groups a job holds a slot in or waits for: who holds, who waits (oldest
   * first). Null when the store did not answer; `store` says why.
   */
  groups: GroupState[] | null;
}

export interface Builder {
  readonly store: JobStore;
  readonly queue: JobQueue;
  submitBuild(payload: unknown, options?: SubmitBuildOptions): Promise<SubmitResult>;
  submitDeploy(payload: unknown, options?: SubmitOptions): Promise<SubmitResult>;
  /** Throws JobNotFoundError. A queued job comes with its place in line. */
  get(id: string): Promise<JobInLine>;
  /** Queued jobs come with their place in line. */
  list(query: JobListQuery): Promise<{ jobs: JobInLine[]; nextCursor: string | null }>;
  /** Jobs per state that match the filters. */
  count(query: JobCountQuery): Promise<JobCounts>;
  /**
   * A queued job is cancelled at once; a running one is asked to stop. Throws on a finished job.
   * `by` is recorded as who cancelled; with `onlyOwn`, a job someone else submitted is refused.
   */
  cancel(id: string, options?: CancelOptions): Promise<Job>;
  /** A new job with the same spec as a finished one. */
  retry(id: string, options?: SubmitOptions): Promise<SubmitResult>;
  readLogs(id: string, options?: { from?: number; limit?: number }): Promise<LogSlice>;
  followLogs(id: string, options?: { from?: number; signal?: AbortSignal }): AsyncIterable<LogEntry>;
  /** The store's job event feed: a mark, then every job change from `after` (or from now) on, live. */
  followEvents(options?: FollowEventsOptions): AsyncIterable<JobFeedItem>;
  /** The newest event's id: where a follower starts to miss nothing from now. */
  lastEventId(): Promise<string>;
  /** Runs one queued job to its end; what queues and workers call. */
  execute(jobId: string, signal?: AbortSignal): Promise<Job | null>;
  /** Ends or re-queues the jobs whose lease ran out, now (the reaper also does it every `reapIntervalMs`). */
  reap(): Promise<number>;
  debug(): Promise<DebugInfo>;
  /** Per kind: no runner (null), or what would make its jobs fail now, worded for every user. */
  readiness(): Promise<RunnersReadiness>;
  /** Stops the reaper, closes the queue and the fallback (running jobs get `deadlineMs`), then the store. */
  close(options?: CloseOptions): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 3_000;

export function createBuilder(options: BuilderOptions): Builder {
  const { store } = options;
  const runners: RunnerMap = { ...options.runners };
  const now = options.now ?? (() => new Date());
  const onEvent = options.onEvent ?? (() => undefined);

  const queuedLeaseMs = positive('queuedLeaseMs', options.queuedLeaseMs ?? 60_000);
  const deps: LifecycleDeps = {
    store,
    runners,
    now,
    onEvent,
    logLimits: { ...DEFAULT_LOG_LIMITS, ...options.logs },
    abortGraceMs: options.abortGraceMs ?? 10_000,
    progressIntervalMs: options.progressIntervalMs ?? 200,
    lease: leaseTimings(options.leaseMs ?? 30_000),
    parkMs: queuedLeaseMs,
    wake: (groups) => dispatch.wake(groups),
  };
  const execute = (jobId: string, signal?: AbortSignal) => runJob(deps, jobId, signal);
  const inProcess = (name: string): InProcessQueue =>
    createInProcessQueue({ name, concurrency: options.concurrency, execute: async (id, signal) => void (await execute(id, signal)) });

  const queue = options.queue ?? inProcess('in-process');
  const fallback = options.fallback === false ? null : options.queue ? inProcess('in-process fallback') : null;

  async function submit<K extends JobKind>(kind: K, spec: SpecByKind[K], submitOptions: SubmitOptions, retryOf: string | null) {
    if (!runners[kind]) {
      throw new RunnerUnavailableError(
        `This server has no ${kind} runner configured, so it cannot run ${kind === 'build' ? 'builds' : 'deploys'}. ` +
          `Register one with createBuilder({ runners: { ${kind}: yourRunner } }) (the standalone server: add ${kind} to JOB_KINDS); GET /api/runners lists the kinds this server runs.`,
      );
    }
    const user = submitOptions.user ? parseOrThrow(JobUserSchema, submitOptions.user) : null;
    // The server's own rules (where contexts may come from, where images may go): refused
    // here, before anything is stored, with the setting to change in the message.
    const stored = (await (runners[kind] as Runner<K>).validate?.(spec)) ?? spec;
    const input = { id: createJobId(now().getTime()), kind, spec: stored, user, retryOf, createdAt: now().toISOString() } as NewJob;
    const job = await store.create({ ...input, groups: dispatch.groupsOf(input) }, { leaseMs: queuedLeaseMs });
    await dispatch.supersede(job);
    const handed = await hand(job);
    if (handed.to === null) {
      dispatch.wake(job.groups);
      await store.transition(job.id, {
        from: ['queued'],
        to: 'error',
        at: now().toISOString(),
        error: `Could not queue the job: ${handed.reason}`,
        logs: [`[docker-builder] could not queue the job: ${handed.reason}`],
      });
      throw new QueueUnavailableError(`The job queue is unavailable (${handed.reason}); the job was not accepted.`);
    }
    const enqueued = handed.to === 'queue';
    onEvent({ type: 'job.created', jobId: job.id, kind, enqueued });
    return { id: job.id, enqueued };
  }

  /**
   * Queue first; when the queue refuses, the in-process fallback. Either may already hold the
   * job (a re-hand after its lease ran out): queues ignore an id they hold, and a second
   * delivery finds the job claimed, so a job never runs twice at once.
   */
  async function hand(job: Job): Promise<{ to: 'queue' | 'fallback' } | { to: null; reason: string }> {
    const ref = { id: job.id, kind: job.kind, attempt: job.attempt, waits: job.waits };
    let reason: string;
    try {
      const result = await queue.enqueue(ref);
      if (result.accepted) return { to: 'queue' };
      reason = result.reason ?? 'the queue did not accept the job';
    } catch (error) {
      reason = errorMessage(error);
    }
    onEvent({ type: 'job.enqueue_refused', jobId: job.id, kind: job.kind, reason });
    if (fallback && (await fallback.enqueue(ref)).accepted) return { to: 'fallback' };
    return { to: null, reason };
  }

  const reaperDeps = {
    store,
    now,
    onEvent,
    queuedLeaseMs,
    retryLostJobs: options.retryLostJobs ?? 0,
    hand: async (job: Job) => (await hand(job)).to !== null,
    wake: (groups: readonly JobGroup[]) => dispatch.wake(groups),
  };
  const dispatch = createGroupDispatch({
    store,
    options: options.groups ?? {},
    now,
    hand,
    async ended(job) {
      await releaseJob(runners, job);
      onEvent(jobFinishedEvent(job));
      dispatch.wake(job.groups);
    },
  });
  const reaper: Reaper | null = options.reapIntervalMs === false ? null : startReaper(reaperDeps, positive('reapIntervalMs', options.reapIntervalMs ?? 5_000));

  async function get(id: string): Promise<Job> {
    const job = await store.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  async function inLine(jobs: Job[]): Promise<JobInLine[]> {
    const queued = jobs.filter((job) => job.state === 'queued').map((job) => job.id);
    if (queued.length === 0) return jobs;
    const places = await store.placesInLine(queued);
    return jobs.map((job) => (places.has(job.id) ? { ...job, placeInLine: places.get(job.id)! } : job));
  }

  return {
    store,
    queue,
    submitBuild: (payload, submitOptions = {}) => {
      const spec: BuildSpec = parseOrThrow(CreateBuildPayload, payload);
      if (submitOptions.upload !== undefined) {
        if (!isJobId(submitOptions.upload)) throw new ValidationError([{ path: 'upload', message: 'must be an upload id the server made' }]);
        spec.upload = submitOptions.upload;
      }
      return submit('build', spec, submitOptions, null);
    },
    submitDeploy: (payload, submitOptions = {}) => submit('deploy', parseOrThrow(CreateDeployPayload, payload), submitOptions, null),
    async get(id) {
      const [job] = await inLine([await get(id)]);
      return job!;
    },
    async list(query) {
      const page = await store.list(query);
      return { jobs: await inLine(page.jobs), nextCursor: page.nextCursor };
    },
    count: (query) => store.count(query),

    async cancel(id, cancelOptions = {}) {
      const job = await get(id);
      const by = cancelOptions.by ? parseOrThrow(JobUserSchema, { sub: cancelOptions.by.sub, name: cancelOptions.by.name }) : null;
      if (cancelOptions.onlyOwn && (!by || job.user?.sub !== by.sub)) {
        throw new ForbiddenError(`Job ${id} was submitted by ${job.user ? `"${job.user.sub}"` : 'nobody signed in'}; only they or an admin may cancel it.`);
      }
      if (job.state === 'queued') {
        const cancelled = await store.transition(id, {
          from: ['queued'],
          to: 'cancelled',
          at: now().toISOString(),
          error: 'Cancelled before it started.',
          cancelledBy: by,
        });
        if (cancelled) {
          await releaseJob(runners, cancelled);
          onEvent(jobFinishedEvent(cancelled));
          // It held no slot, but it may have been ahead of others in its groups' lines.
          dispatch.wake(cancelled.groups);
          return cancelled;
        }
        // It started meanwhile: ask the runner to stop instead.
      }
      if (cancelOptions.onlyQueued) {
        const current = await get(id);
        throw new InvalidStateError(`Job ${id} is ${current.state}, not queued; it was left as it is.`);
      }
      const asked = await store.requestCancel(id, now().toISOString(), by);
      if (asked) return asked;
      const current = await get(id);
      throw new InvalidStateError(`Job ${id} has already ended (${current.state}); there is nothing to cancel.`);
    },

    async retry(id, submitOptions = {}) {
      const job = await get(id);
      if (!isTerminal(job.state)) {
        throw new InvalidStateError(`Job ${id} is still ${job.state}; only a finished job can be retried.`);
      }
      if (job.kind === 'build' && job.spec.upload) {
        throw new InvalidStateError(`Job ${id} was built from an uploaded context, which is not kept after its job; upload it again.`);
      }
      const user = submitOptions.user === undefined ? job.user : submitOptions.user;
      // Re-validate: a spec stored by an older version must still pass today's rules.
      const spec = job.kind === 'build' ? parseOrThrow(CreateBuildPayload, job.spec) : parseOrThrow(CreateDeployPayload, job.spec);
      return submit(job.kind, spec, { user }, job.id);
    },

    async readLogs(id, readOptions = {}) {
      await get(id);
      return store.readLogs(id, { from: readOptions.from ?? 0, limit: readOptions.limit });
    },
    followLogs: (id, followOptions = {}) => store.followLogs(id, { from: followOptions.from ?? 0, signal: followOptions.signal }),
    followEvents: (followOptions) => store.followEvents(followOptions),
    lastEventId: () => store.lastEventId(),
    execute,
    reap: () => reaper?.pass() ?? reapExpiredLeases(reaperDeps),

    async debug() {
      // A component that hangs (a client waiting for a connection) must not hang _debug.
      const settle = async <T>(name: string, probe: () => Promise<T>): Promise<T | ComponentHealth> => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<ComponentHealth>((resolve) => {
          timer = setTimeout(() => resolve({ name, ok: false, message: `did not answer within ${HEALTH_TIMEOUT_MS / 1000} s` }), HEALTH_TIMEOUT_MS);
        });
        try {
          return await Promise.race([probe(), timedOut]);
        } catch (error) {
          return { name, ok: false, message: errorMessage(error) };
        } finally {
          clearTimeout(timer);
        }
      };
      const [storeHealth, queueHealth, fallbackHealth, build, deploy, groups] = await Promise.all([
        settle(store.name, () => store.health()),
        settle(queue.name, () => queue.health()),
        fallback ? settle(fallback.name, () => fallback.health()) : null,
        runners.build ? settle(runners.build.name, () => runners.build!.health()) : null,
        runners.deploy ? settle(runners.deploy.name, () => runners.deploy!.health()) : null,
        settle(store.name, () => store.groupStates()),
      ]);
      return { store: storeHealth, queue: queueHealth, fallback: fallbackHealth, runners: { build, deploy }, groups: Array.isArray(groups) ? groups : null };
    },

    readiness: () => runnersReadiness(runners, HEALTH_TIMEOUT_MS),

    async close(closeOptions) {
      await reaper?.stop();
      await Promise.all([queue.close(closeOptions), fallback?.close(closeOptions)]);
      await store.close();
    },
  };
}

function positive(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, not ${ms}`);
  return ms;
}

function leaseTimings(leaseMs: number): LeaseTimings {
  positive('leaseMs', leaseMs);
  return { leaseMs, renewEveryMs: leaseMs / 3 };
}
