/**
 * The reaper: ends what nobody owns any more. Every unfinished job holds a lease (see
 * job-lease.ts); when one runs out, its owner is gone — the process died or hung, or lost the
 * store at the wrong moment. A queued job is handed to the queue again; a running one is
 * queued again when the retry policy allows, else ends in `error` saying why. Each move is a
 * compare-and-set on the attempt and on the lease having run out, so any number of processes
 * can reap at once and an owner that renewed in time always wins.
 */
import { jobFinishedEvent, type BuilderEvent } from './builder-events.js';
import { errorMessage } from './errors.js';
import type { Job } from './job.js';
import type { JobGroup } from './job-groups.js';
import type { ExpiredLease, JobStore, JobTransition } from './ports/job-store.js';

export interface ReaperDeps {
  store: JobStore;
  now: () => Date;
  /** A queued job's lease: how long it may wait unclaimed before it is handed over again. */
  queuedLeaseMs: number;
  /** How many times a job whose attempt was lost is queued again; 0 ends it in error. */
  retryLostJobs: number;
  /** Hands a queued job to the queue; false when nothing took it (its lease will bring it back). */
  hand(job: Job): Promise<boolean>;
  /** Hands the jobs that may now start in these groups to the queue: a lost attempt's slots are free. */
  wake(groups: readonly JobGroup[]): void;
  onEvent: (event: BuilderEvent) => void;
}

/** Leases looked at per pass; the rest wait for the next one. */
const BATCH = 100;

/** One pass over the expired leases. Resolves with how many jobs it moved or handed on. */
export async function reapExpiredLeases(deps: ReaperDeps): Promise<number> {
  let acted = 0;
  for (const lease of await deps.store.expiredLeases(BATCH)) {
    try {
      if (await (lease.state === 'queued' ? handAgain(deps, lease) : endLostAttempt(deps, lease))) acted += 1;
    } catch (error) {
      // One job's trouble (the store failing mid-pass) must not stop the others; its lease is still expired next time.
      deps.onEvent({ type: 'reaper.error', jobId: lease.id, message: errorMessage(error) });
    }
  }
  return acted;
}

/** Nobody claimed it in time (its queue entry was lost, or the claim failed): hand it over again. */
async function handAgain(deps: ReaperDeps, lease: ExpiredLease): Promise<boolean> {
  if (!(await deps.store.renewLease(lease.id, deps.queuedLeaseMs, { attempt: lease.attempt }))) return false;
  const job = await deps.store.get(lease.id);
  if (job?.state !== 'queued') return false;
  await deps.hand(job);
  deps.onEvent({ type: 'job.requeued', jobId: job.id, kind: job.kind, reason: `not claimed by ${lease.expiredAt}` });
  return true;
}

async function endLostAttempt(deps: ReaperDeps, lease: ExpiredLease): Promise<boolean> {
  const job = await deps.store.get(lease.id);
  if (job?.state !== 'running' || job.attempt !== lease.attempt) return false;
  const lost =
    `the worker running attempt ${job.attempt} was lost: it stopped renewing the job's lease, which ran out at ${lease.expiredAt} ` +
    '(its process died or hung, or could not reach the store)';
  const base = { from: ['running'] as const, at: deps.now().toISOString(), attempt: job.attempt, ifLeaseExpired: true };
  let change: JobTransition;
  if (job.cancelRequestedAt) {
    change = { ...base, to: 'cancelled', error: 'Cancelled on request (its worker was lost before it stopped).', logs: [`[docker-builder] ${lost}; it had been asked to stop, so it ends cancelled`] };
  } else if (job.attempt <= deps.retryLostJobs) {
    change = {
      ...base,
      to: 'queued',
      leaseMs: deps.queuedLeaseMs,
      logs: [`[docker-builder] ${lost}; queued again (retry ${job.attempt} of ${deps.retryLostJobs}); lines it logged after its last stored write may be missing`],
    };
  } else {
    const error = `${capitalize(lost)}. Lines it logged after its last stored write may be missing. Not retried: retryLostJobs (RETRY_LOST_JOBS) is ${deps.retryLostJobs}.`;
    change = { ...base, to: 'error', error, logs: [`[docker-builder] ${error}`] };
  }
  const moved = await deps.store.transition(job.id, change);
  if (!moved) return false;
  deps.wake(moved.groups);
  deps.onEvent({ type: 'job.lease_expired', jobId: job.id, kind: job.kind, attempt: job.attempt, expiredAt: lease.expiredAt });
  if (moved.state === 'queued') {
    await deps.hand(moved);
    deps.onEvent({ type: 'job.requeued', jobId: job.id, kind: job.kind, reason: `attempt ${job.attempt} was lost` });
  } else {
    deps.onEvent(jobFinishedEvent(moved));
  }
  return true;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface Reaper {
  /** Runs one pass now (tests, and a process that just started). */
  pass(): Promise<number>;
  stop(): Promise<void>;
}

/** Reaps every `intervalMs` until stopped; a pass never overlaps the previous one. */
export function startReaper(deps: ReaperDeps, intervalMs: number): Reaper {
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;
  const pass = () => {
    running = running.then(
      () => (stopped ? 0 : reapExpiredLeases(deps)),
      () => 0,
    ).catch((error: unknown) => {
      deps.onEvent({ type: 'reaper.error', jobId: null, message: errorMessage(error) });
      return 0;
    });
    return running;
  };
  const timer = setInterval(() => void pass(), intervalMs);
  timer.unref?.();
  return {
    pass,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
