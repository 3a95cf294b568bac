/** The JobQueue port: hands job ids to whatever runs them (this process, or workers elsewhere). */
import type { JobKind } from '../job.js';
import type { ComponentHealth } from './health.js';

export interface QueuedJobRef {
  id: string;
  kind: JobKind;
  /**
   * Attempts the job has had (0 for a new job). A queue that ignores an id it already holds
   * keys on id and attempt, so a job queued again after a lost attempt is never mistaken for
   * the lost attempt's delivery.
   */
  attempt?: number;
  /**
   * Times the job was found waiting for a concurrency group (0 when never). A queue keys on it
   * too: a job handed over when a slot frees gets a delivery of its own, even while the
   * delivery that found it waiting is still finishing.
   */
  waits?: number;
}

export interface EnqueueResult {
  /** True when a worker will take the job; false when the caller must run it some other way. */
  accepted: boolean;
  /** Why it was not accepted. */
  reason?: string;
}

/**
 * Runs one job to its end (core's `runJob`). The signal aborts it: the queue is closing,
 * or it lost the job to another worker.
 */
export type JobExecutor = (jobId: string, signal: AbortSignal) => Promise<void>;

export interface QueueHealth extends ComponentHealth {
  /** Processes (or slots) that take jobs from this queue right now, when known. */
  workers?: number;
  counts?: Record<string, number>;
}

export interface CloseOptions {
  /** How long running jobs may take to finish before they are aborted. Default 30 000. */
  deadlineMs?: number;
}

export interface JobQueue {
  readonly name: string;
  enqueue(job: QueuedJobRef): Promise<EnqueueResult>;
  health(): Promise<QueueHealth>;
  /** Stops taking jobs; waits for running ones until the deadline, then aborts them. */
  close(options?: CloseOptions): Promise<void>;
}
