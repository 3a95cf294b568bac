/**
 * Keeps a running attempt's lease alive. The lease is how every other process knows the
 * attempt still lives: renewed every `renewEveryMs`, it runs out `leaseMs` after the last
 * renewal, and then the reaper ends or re-queues the job. So an attempt that cannot renew must
 * stop its runner before its lease can run out, or two attempts would run the job at once.
 */
import type { JobStore } from './ports/job-store.js';

export interface LeaseTimings {
  /** How long a lease lasts without renewal; default 30 000 ms. */
  leaseMs: number;
  /** How often a running attempt renews it; default a third of `leaseMs`. */
  renewEveryMs: number;
}

export interface LeaseKeeper {
  stop(): void;
}

export function keepLease(options: {
  store: JobStore;
  jobId: string;
  attempt: number;
  timings: LeaseTimings;
  /** This attempt no longer owns the job (or may not any more): stop the runner, saying why. */
  onLost(reason: string, fenced: boolean): void;
}): LeaseKeeper {
  const { store, jobId, attempt, timings } = options;
  // Measured from before the renewal was sent, so the store's deadline is never earlier than ours.
  let confirmedAt = performance.now();
  let lost = false;
  let inFlight = false;

  const lose = (reason: string, fenced: boolean) => {
    if (lost) return;
    lost = true;
    clearInterval(timer);
    options.onLost(reason, fenced);
  };

  const renew = async () => {
    if (lost) return;
    // Checked on every tick, not only when a renewal fails: a renewal can hang, and a paused
    // process wakes up long after its lease ran out. One renewal interval is kept in hand, so
    // the runner is gone before the lease is.
    const unconfirmedMs = performance.now() - confirmedAt;
    if (unconfirmedMs >= timings.leaseMs - timings.renewEveryMs) {
      lose(`the job's lease could not be renewed for ${(unconfirmedMs / 1000).toFixed(1)} s (the store was unreachable, or this process was paused)`, false);
      return;
    }
    if (inFlight) return;
    inFlight = true;
    const sentAt = performance.now();
    try {
      if (await store.renewLease(jobId, timings.leaseMs, { attempt })) confirmedAt = sentAt;
      else lose('this attempt no longer owns the job: its lease ran out and the job was handed on', true);
    } catch {
      // A passing store error: the next tick tries again, until the check above gives up.
    } finally {
      inFlight = false;
    }
  };

  const timer = setInterval(() => void renew(), timings.renewEveryMs);
  timer.unref?.();
  return {
    stop() {
      lost = true;
      clearInterval(timer);
    },
  };
}
