/** The JobStore port: where jobs, their logs and deploy metadata live. */
import type { DeployMetadata, Job, JobKind, JobUser, NewJob } from '../job.js';
import type { JobState } from '../job-state.js';
import type { GroupPolicy } from '../job-groups.js';
import type { ComponentHealth } from './health.js';
import type { FollowEventsOptions, JobFeedItem } from './job-events.js';

export interface JobListQuery {
  /** At most this many jobs (the store may cap it). */
  limit: number;
  /** From `nextCursor` of the previous page; absent for the newest page. */
  cursor?: string | null;
  states?: readonly JobState[];
  kind?: JobKind;
  /**
   * Only jobs with this term (see `jobSearchTerms`): a service, an image or its repository, a
   * user's id or name, matched whole and without case.
   */
  search?: string;
  /** Only the jobs that retry this one. */
  retryOf?: string;
}

/** What `count` counts: the filters of a list except its states. */
export type JobCountQuery = Pick<JobListQuery, 'kind' | 'search'>;

/** Jobs per state. */
export type JobCounts = Record<JobState, number>;

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
  /** Lines appended to the log in the same atomic step (a `LogTime` run, as `appendLogs` records), before a terminal move closes it. */
  logs?: readonly string[];
  /** Who cancelled the job, recorded with a move to `cancelled`. */
  cancelledBy?: JobUser | null;
}

/** A concurrency group as the store holds it. */
export interface GroupState {
  name: string;
  /** As the newest job of the group was created with. */
  limit: number;
  policy: GroupPolicy;
  /** Running jobs holding a slot. */
  holders: string[];
  /** Queued jobs of the group, in submission order. */
  waiting: string[];
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

/**
 * When lines were stored: a run of the log, from the first line of one append (an `appendLogs`
 * batch, or the lines of a `transition`) on. Every line of a run has the run's time, so a log
 * costs one entry per write, not per line, and times are exact to the writer's flush interval.
 * The time is the store's clock (Redis's, not a worker's); runs never go back in time, and a
 * write in the same millisecond as the one before it continues that run.
 */
export interface LogTime {
  /** Index of the run's first line. */
  from: number;
  /** Milliseconds since the epoch. */
  at: number;
}

export interface LogEntry {
  /** 0-based position in the job's log; the SSE event id. */
  index: number;
  line: string;
  /** When the line was stored (ms since the epoch); absent for lines stored before times were (jobs migrated from the seed service). */
  at?: number;
}

export interface LogSlice {
  lines: string[];
  /** The index after the last line returned: where the next read starts. */
  next: number;
  /** How many lines the log holds now. */
  total: number;
  /**
   * The runs that cover these lines, in order, the first clamped to the slice's first index: the
   * time of line `i` is the `at` of the last run whose `from` is at most `i`. Lines before the
   * first run have no time (stored before times were); empty when no line has one, or no line was read.
   */
  times: LogTime[];
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
  /** How many jobs of each state match; jobs past their retention are not counted. */
  count(query: JobCountQuery): Promise<JobCounts>;
  /**
   * For each of these ids that is queued: its place in line, 1 for the next to start, counting
   * every queued job submitted before it (in submission order). Others are left out.
   */
  placesInLine(ids: readonly string[]): Promise<Map<string, number>>;

  /**
   * Returns the updated job, or null when the job was not in an expected state or attempt.
   * Throws JobNotFoundError for an unknown id and InvalidStateError for a move the state
   * machine forbids.
   */
  transition(id: string, change: JobTransition): Promise<Job | null>;
  /**
   * How a worker starts a job: moves it from `queued` to `running` (a new attempt, `leaseMs`)
   * and takes a slot in each of its concurrency groups, in one atomic step, unless a group is
   * full or an older job waits in it (jobs of a group start in submission order). Then the job
   * stays queued and says why: `waitingFor` (a log line and a `waiting` event when the reason is
   * new), one more `waits`, and a lease of `leaseMs` (a safety net: whoever frees the slot hands
   * the job over again at once; see `groupStates`). Null when the job is not queued; throws
   * JobNotFoundError for an unknown id. (`transition` to `running` takes the slots unchecked.)
   * Every move out of `running` frees the job's slots; a queued job that ends leaves its groups'
   * lines; one queued again (its worker lost) joins them again in its place.
   */
  claim(id: string, claim: { at: string; leaseMs: number }): Promise<{ job: Job; started: boolean } | null>;
  /** The groups named (all with a holder or a waiter, without names): who holds their slots and who waits, oldest first. */
  groupStates(names?: readonly string[]): Promise<GroupState[]>;
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
   * Appends lines in order, atomically as a batch, and records when (a `LogTime` run from the
   * batch's first line). Returns the log's new length, or null when refused (and nothing is
   * recorded): the fence is stale (or its attempt is no longer running) or the job has ended (a finished job's log never grows, so a
   * follower that saw the end saw every line).
   */
  appendLogs(id: string, lines: readonly string[], fence?: Fence): Promise<number | null>;
  readLogs(id: string, options: { from: number; limit?: number }): Promise<LogSlice>;
  /**
   * Every line from `from` on, live, in order, each once, with its time (`at`). Ends when the job has ended and
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
