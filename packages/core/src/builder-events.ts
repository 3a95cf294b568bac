/**
 * What the builder reports as it works: one typed stream for a host's structured logs, its
 * metrics and anything else that wants to know what happened, without reading the store.
 */
import type { Job, JobKind } from './job.js';
import type { JobState } from './job-state.js';

export type BuilderEvent =
  | { type: 'job.created'; jobId: string; kind: JobKind; enqueued: boolean }
  | { type: 'job.enqueue_refused'; jobId: string; kind: JobKind; reason: string }
  /**
   * An attempt claimed the job. `queuedMs`: how long a first attempt waited since the job was
   * submitted (by the two processes' clocks, so never below 0); null for a later attempt.
   */
  | { type: 'job.started'; jobId: string; kind: JobKind; attempt: number; queuedMs: number | null }
  /**
   * The job ended, however it ended (a runner, a cancel while queued, the reaper). `durationMs`:
   * from its last attempt's start to its end; null when it never started.
   */
  | { type: 'job.finished'; jobId: string; kind: JobKind; state: JobState; error: string | null; durationMs: number | null }
  /** A batch of a runner's lines was stored in the job's log. Frequent: a host's log may skip it. */
  | { type: 'job.logged'; jobId: string; kind: JobKind; lines: number }
  /** This process's attempt lost the job: another owns it now. */
  | { type: 'job.lost'; jobId: string; kind: JobKind; attempt: number }
  /** A running attempt's lease ran out; the reaper ended or re-queued the job. */
  | { type: 'job.lease_expired'; jobId: string; kind: JobKind; attempt: number; expiredAt: string }
  /** The reaper handed a job to the queue again. */
  | { type: 'job.requeued'; jobId: string; kind: JobKind; reason: string }
  | { type: 'reaper.error'; jobId: string | null; message: string };

/** `job.finished` for a job that has just ended. */
export function jobFinishedEvent(job: Job): BuilderEvent {
  return { type: 'job.finished', jobId: job.id, kind: job.kind, state: job.state, error: job.error, durationMs: elapsedMs(job.startedAt, job.finishedAt) };
}

/** `job.started` for a job an attempt has just claimed. */
export function jobStartedEvent(job: Job): BuilderEvent {
  return { type: 'job.started', jobId: job.id, kind: job.kind, attempt: job.attempt, queuedMs: job.attempt === 1 ? elapsedMs(job.createdAt, job.startedAt) : null };
}

/** Milliseconds between two ISO timestamps, at least 0 (they may come from two machines' clocks). */
function elapsedMs(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}
