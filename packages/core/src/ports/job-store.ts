/** The JobStore port: where jobs, their logs and deploy metadata live. */
import type { DeployMetadata, Job, JobKind, JobUser, NewJob } from '../job.js';
import type { JobState } from '../job-state.js';
import type { ComponentHealth } from './health.js';
import type { FollowEventsOptions, JobFeedItem } from './job-events.js';

export interface JobListQuery {
  /** At most this many jobs (the store may cap it). */
  limit: number;
  /** From `nextCursor` of the previous page; absent for the newest page. */
  cursor?: string | null;
  states?: readonly JobState[];
  kind?: JobKind;
}

export interface JobPage {
  /** Newest first. */
  jobs: Job[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * A compare-and-set move of a job to another state. It happens only if the job is in one of
 * `from` (and, with `attempt`, still at that attempt); otherwise nothing changes.
 * Moving to `running` records `startedAt` and starts a new attempt; moving to a terminal
 * state records `finishedAt`.
 */
export interface JobTransition {
  from: readonly JobState[];
  to: JobState;
  /** ISO timestamp of the move. */
  at: string;
  attempt?: number;
  error?: string | null;
  result?: unknown;
  progress?: number;
  /**
   * The job's lease after the move: how long its new owner has before it must renew (a claim)
   * or before the job is handed to the queue again (a move back to `queued`). A terminal move
   * drops the lease.
   */
  leaseMs?: number;
  /** Only if the job's lease has expired: the reaper's moves never race an owner that renewed. */
  ifLeaseExpired?: boolean;
  /** Lines appended to the log in the same atomic step, before a terminal move closes it. */
  logs?: readonly string[];
  /** Who cancelled the job, recorded with a move to `cancelled`. */
  cancelledBy?: JobUser | null;
}

/** An unfinished job whose lease ran out: nobody renewed it in time. */
export interface ExpiredLease {
  id: string;
  state: JobState;
  attempt: number;
  /** ISO timestamp: when the lease ran out, by the store's clock. */
  expiredAt: string;
}

/** Lifecycle writes carry the attempt they belong to; a store refuses stale ones. */
export interface Fence {
  attempt: number;
}

export interface LogEntry {
  /** 0-based position in the job's log; the SSE event id. */
  index: number;
  line: string;
}

export interface LogSlice {
  lines: string[];
  /** The index after the last line returned: where the next read starts. */
  next: number;
  /** How many lines the log holds now. */
  total: number;
}

export interface JobStore {
  readonly name: string;

  /**
   * Stores a new `queued` job (and, for deploys, its deploy metadata). With `leaseMs`, the job
   * is handed to the queue again if nobody has claimed it by then (see `expiredLeases`).
   */
  create(job: NewJob, options?: { leaseMs?: number }): Promise<Job>;
  get(id: string): Promise<Job | null>;
  list(query: JobListQuery): Promise<JobPage>;

  /**
   * Returns the updated job, or null when the job was not in an expected state or attempt.
   * Throws JobNotFoundError for an unknown id and InvalidStateError for a move the state
   * machine forbids.
   */
  transition(id: string, change: JobTransition): Promise<Job | null>;
  /** False when the fence is stale or the job is no longer running. */
  setProgress(id: string, progress: number, fence: Fence): Promise<boolean>;

  /**
   * Leases: every unfinished job has a deadline, measured by the store's clock (durations, not
   * timestamps, cross the port, so workers' clocks never matter). A running attempt renews its
   * lease while it lives; a queued job's lease says when to hand it to the queue again.
   * Extends the lease of a job that is queued or running at `fence.attempt`; false otherwise.
   */
  renewLease(id: string, leaseMs: number, fence: Fence): Promise<boolean>;
  /** Unfinished jobs whose lease has run out, longest expired first; cheap to call often, from many processes. */
  expiredLeases(limit: number): Promise<ExpiredLease[]>;

  /**
   * Marks a running job as asked to stop and wakes `watchCancel` everywhere. Returns the job,
   * or null when it was not running.
   */
  requestCancel(id: string, at: string, by?: JobUser | null): Promise<Job | null>;
  /**
   * Resolves once cancellation of the job is requested (at once if it already was); rejects
   * with `signal.reason` when `signal` aborts first.
   */
  watchCancel(id: string, signal: AbortSignal): Promise<void>;

  /**
   * Appends lines in order, atomically as a batch. Returns the log's new length, or null when
   * refused: the fence is stale (or its attempt is no longer running) or the job has ended (a finished job's log never grows, so a
   * follower that saw the end saw every line).
   */
  appendLogs(id: string, lines: readonly string[], fence?: Fence): Promise<number | null>;
  readLogs(id: string, options: { from: number; limit?: number }): Promise<LogSlice>;
  /**
   * Every line from `from` on, live, in order, each once. Ends when the job has ended and
   * every line was yielded, or when `signal` aborts. Throws JobNotFoundError for an unknown id.
   */
  followLogs(id: string, options: { from: number; signal?: AbortSignal }): AsyncIterable<LogEntry>;

  getDeployMetadata(id: string): Promise<DeployMetadata | null>;

  /**
   * The event feed (see job-events.ts). The store records an event in the same atomic step as
   * each change it reports: `create` (created), `transition` (started, finished, requeued),
   * `requestCancel` (cancel-requested, the first request only) and `setProgress` (progress, when
   * the value changes), so every writer publishes without another call. It keeps the newest
   * events only (a bounded number).
   * Yields a mark first (`ready`, or `reset` when events after `after` are gone or `after` is
   * not one of its ids), then every event after it, in order, live, each once; a `reset` again
   * if this follower falls too far behind. Ends when `signal` aborts or the store closes.
   */
  followEvents(options?: FollowEventsOptions): AsyncIterable<JobFeedItem>;
  /** The id of the newest event (a store with none has one too): follow on from it to miss nothing from now. */
  lastEventId(): Promise<string>;

  health(): Promise<ComponentHealth>;
  close(): Promise<void>;
}
