/**
 * runJob: the one implementation of a job's life, called by every queue (in-process or a
 * BullMQ worker) so that both behave the same. It claims the job, holds its lease while the
 * runner works, streams logs and progress, and ends the job in exactly one terminal state,
 * whatever the runner does (returns, throws, rejects, hangs past an abort).
 */
import { errorMessage } from './errors.js';
import type { Job } from './job.js';
import { createJobLogWriter, type LogLimits } from './job-log-writer.js';
import { createJobProgressReporter } from './job-progress-reporter.js';
import type { JobTransition, JobStore } from './ports/job-store.js';
import type { RunContext, Runner, RunnerMap } from './ports/runner.js';
import { jobFinishedEvent, jobStartedEvent, type BuilderEvent } from './builder-events.js';
import { keepLease, type LeaseTimings } from './job-lease.js';
import type { JobGroup } from './job-groups.js';

export interface LifecycleDeps {
  store: JobStore;
  runners: RunnerMap;
  logLimits: LogLimits;
  now: () => Date;
  /** After aborting a runner, how long to wait for it to stop before ending the job anyway. */
  abortGraceMs: number;
  progressIntervalMs: number;
  lease: LeaseTimings;
  /** A job found waiting for a concurrency group keeps a queued lease this long (a safety net: it is woken when the slot frees). */
  parkMs: number;
  /** Hands the jobs that may now start in these groups to the queue (job-group-dispatch.ts). */
  wake: (groups: readonly JobGroup[]) => void;
  onEvent: (event: BuilderEvent) => void;
}

/** Shared by every copy of core (see errors.ts): a worker's copy may abort a job that the host's copy runs. */
const JOB_ABORTED = Symbol.for('@docker-builder/job-aborted');

/** The reason a job was aborted from outside (shutdown, lost lease), shown in its error. */
export class JobAbortedError extends Error {
  override name = 'JobAbortedError';
  /** How long the runner may take to stop, when less than the builder's `abortGraceMs` (a shutdown's deadline). */
  readonly graceMs: number | undefined;

  constructor(message: string, options: { graceMs?: number } = {}) {
    super(message);
    this.graceMs = options.graceMs;
    Object.defineProperty(this, JOB_ABORTED, { value: true });
  }
}

function isJobAborted(value: unknown): value is JobAbortedError {
  return typeof value === 'object' && value !== null && (value as { [JOB_ABORTED]?: unknown })[JOB_ABORTED] === true;
}

class CancelRequested extends Error {
  override name = 'CancelRequested';
}

type Outcome = { state: 'done'; result: unknown } | { state: 'error' | 'cancelled'; error: string };

/**
 * Runs the job to its end. Returns the finished job, or null when this call did not own it
 * (already claimed or finished, or handed on after this attempt lost its lease). Rejects only
 * when the store failed at the claim or at the end; the job's lease then ends it (see
 * job-reaper.ts), so it never stays unfinished.
 */
export async function runJob(deps: LifecycleDeps, jobId: string, signal?: AbortSignal): Promise<Job | null> {
  const { store } = deps;
  const at = () => deps.now().toISOString();

  if (signal?.aborted) {
    const job = await store.transition(jobId, {
      from: ['queued'],
      to: 'error',
      at: at(),
      error: `Not started: ${abortReason(signal)}`,
    });
    if (job) {
      await releaseJob(deps.runners, job);
      deps.onEvent(jobFinishedEvent(job));
      deps.wake(job.groups);
    }
    return job;
  }

  // The store starts it only if its concurrency groups let it; otherwise it stays queued,
  // saying what it waits for, and is handed over again when that slot frees.
  const claim = await store.claim(jobId, { at: at(), leaseMs: deps.lease.leaseMs });
  if (!claim) return null;
  if (!claim.started) {
    await store.renewLease(jobId, deps.parkMs, { attempt: claim.job.attempt }).catch(() => false);
    return null;
  }
  const claimed = claim.job;
  const { attempt } = claimed;
  deps.onEvent(jobStartedEvent(claimed));

  const controller = new AbortController();
  const forwardAbort = () => controller.abort(isJobAborted(signal!.reason) ? signal!.reason : new JobAbortedError(abortReason(signal!)));
  signal?.addEventListener('abort', forwardAbort, { once: true });

  let fencedOut = false;
  const lease = keepLease({
    store,
    jobId,
    attempt,
    timings: deps.lease,
    onLost: (reason, fenced) => {
      fencedOut ||= fenced;
      controller.abort(new JobAbortedError(reason));
    },
  });

  try {
    // An earlier attempt's lines count toward the cap. If the store cannot say, start from zero
    // rather than fail here, where a throw would leave the claimed job to its lease.
    const existingLines = await store.readLogs(jobId, { from: 0, limit: 0 }).then(
      (slice) => slice.total,
      () => 0,
    );
    const log = createJobLogWriter({
      store: reportingStoredLines(store, (lines) => deps.onEvent({ type: 'job.logged', jobId, kind: claimed.kind, lines })),
      jobId,
      attempt,
      existingLines,
      limits: deps.logLimits,
      onFenced: () => {
        fencedOut = true;
        controller.abort(new JobAbortedError('another attempt now owns this job'));
      },
    });
    const progress = createJobProgressReporter({ store, jobId, attempt, minIntervalMs: deps.progressIntervalMs });

    const stopWatching = new AbortController();
    store.watchCancel(jobId, stopWatching.signal).then(
      () => controller.abort(new CancelRequested('cancelled on request')),
      () => undefined,
    );

    const context: RunContext = {
      jobId,
      user: claimed.user,
      log: (line) => log.write(line),
      progress: (percent) => progress.report(percent),
      signal: controller.signal,
    };

    let outcome: Outcome;
    try {
      const runner = deps.runners[claimed.kind] as Runner | undefined;
      if (!runner) throw new Error(`No ${claimed.kind} runner is configured where this job ran.`);
      const result = await settleWithin(
        Promise.resolve().then(() => runner.run(claimed.spec, context)),
        controller.signal,
        deps.abortGraceMs,
      );
      outcome = { state: 'done', result: toJsonValue(result) };
    } catch (error) {
      outcome = describeFailure(error, controller.signal);
    } finally {
      stopWatching.abort();
      signal?.removeEventListener('abort', forwardAbort);
    }

    if (outcome.state === 'error') log.write(`[docker-builder] job failed: ${outcome.error}`);
    if (outcome.state === 'cancelled') log.write('[docker-builder] job cancelled on request');
    await progress.flush();
    const unstored = await log.close();
    if (fencedOut) {
      deps.onEvent({ type: 'job.lost', jobId, kind: claimed.kind, attempt });
      return null;
    }

    // Lines the store refused are gone; the last line, written with the end itself, says so.
    const marker = unstored > 0 ? [`[docker-builder] ${unstored} log line${unstored === 1 ? '' : 's'} could not be stored (the store refused them); this log is incomplete`] : [];
    const change: JobTransition =
      outcome.state === 'done'
        ? { from: ['running'], to: 'done', at: at(), attempt, result: outcome.result, progress: 100, logs: marker }
        : { from: ['running'], to: outcome.state, at: at(), attempt, error: outcome.error, logs: marker };
    const finished = await transitionWithRetry(store, jobId, change);
    if (finished) {
      deps.onEvent(jobFinishedEvent(finished));
      deps.wake(finished.groups);
    }
    return finished;
  } finally {
    lease.stop();
  }
}

/**
 * The store as the log writer sees it: each batch the store accepted is reported, so lines
 * can be counted (metrics) without a read of the store. Only `appendLogs` changes.
 */
function reportingStoredLines(store: JobStore, onStored: (lines: number) => void): JobStore {
  const appendLogs: JobStore['appendLogs'] = async (id, lines, fence) => {
    const length = await store.appendLogs(id, lines, fence);
    try {
      if (length !== null) onStored(lines.length);
    } catch {
      // A listener that throws must not make a stored batch look refused: it would be written twice.
    }
    return length;
  };
  return new Proxy(store, { get: (target, key, receiver) => (key === 'appendLogs' ? appendLogs : Reflect.get(target, key, receiver)) });
}

/** Lets the runner free what it kept for a job that will never run; a failure only costs disk. */
export async function releaseJob(runners: RunnerMap, job: Job): Promise<void> {
  await (runners[job.kind] as Runner | undefined)?.release?.(job.spec).catch(() => undefined);
}

function describeFailure(error: unknown, signal: AbortSignal): Outcome {
  if (signal.aborted && signal.reason instanceof CancelRequested) {
    return { state: 'cancelled', error: 'Cancelled on request.' };
  }
  if (signal.aborted && isJobAborted(signal.reason)) {
    return { state: 'error', error: `Aborted: ${signal.reason.message}.` };
  }
  return { state: 'error', error: errorMessage(error) || 'The runner failed without a message.' };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  if (typeof reason === 'string') return reason;
  return 'the process is shutting down';
}

/** Waits for the runner; once aborted, waits at most `graceMs` more before giving up on it. */
function settleWithin<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      const reason: unknown = signal.reason;
      const grace = Math.min(graceMs, isJobAborted(reason) && reason.graceMs !== undefined ? reason.graceMs : graceMs);
      timer = setTimeout(() => reject(new Error(`the runner did not stop within ${grace} ms of being aborted`)), grace);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Rides out a passing store error. A longer outage is not waited out here: this attempt stops
 * renewing its lease, and the reaper ends the job once the store is back.
 */
async function transitionWithRetry(store: JobStore, jobId: string, change: JobTransition): Promise<Job | null> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await store.transition(jobId, change);
    } catch (error) {
      if (tries >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * tries));
    }
  }
}

/** Results are stored as JSON; anything else would not survive a round trip through Redis. */
function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
