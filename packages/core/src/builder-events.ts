/** What the builder reports as it works, for a host's structured logs. */
import type { JobKind } from './job.js';
import type { JobState } from './job-state.js';

export type BuilderEvent =
  | { type: 'job.created'; jobId: string; kind: JobKind; enqueued: boolean }
  | { type: 'job.enqueue_refused'; jobId: string; kind: JobKind; reason: string }
  | { type: 'job.started'; jobId: string; kind: JobKind; attempt: number }
  | { type: 'job.finished'; jobId: string; kind: JobKind; state: JobState; error: string | null }
  /** This process's attempt lost the job: another owns it now. */
  | { type: 'job.lost'; jobId: string; kind: JobKind; attempt: number }
  /** A running attempt's lease ran out; the reaper ended or re-queued the job. */
  | { type: 'job.lease_expired'; jobId: string; kind: JobKind; attempt: number; expiredAt: string }
  /** The reaper handed a job to the queue again. */
  | { type: 'job.requeued'; jobId: string; kind: JobKind; reason: string }
  | { type: 'reaper.error'; jobId: string | null; message: string };
