/**
 * The job state machine: the only place that says which state may follow which.
 * Stores call `assertTransition` before every compare-and-set.
 */
import { InvalidStateError } from './errors.js';

export const JOB_STATES = ['queued', 'running', 'done', 'error', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['done', 'error', 'cancelled'];

const ALLOWED: Record<JobState, readonly JobState[]> = {
  // A queued job can fail without running: its runner is missing, or the process shut down first.
  queued: ['running', 'cancelled', 'error'],
  // running → queued: the reaper hands a job whose attempt was lost (its lease ran out) to the
  // queue again, when the retry policy allows; the next claim starts a new attempt.
  running: ['queued', 'done', 'error', 'cancelled'],
  done: [],
  error: [],
  cancelled: [],
};

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new InvalidStateError(`A job cannot move from "${from}" to "${to}".`);
  }
}
