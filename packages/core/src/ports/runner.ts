/** The Runner port: does the real work of one kind of job (a build, a deploy). */
import type { JobKind, JobUser, SpecByKind } from '../job.js';
import type { ComponentHealth } from './health.js';
import type { RunnerReadiness } from './runner-readiness.js';

export type { BuildContextSources, RunnerFeature, RunnerProblem, RunnerReadiness } from './runner-readiness.js';

export interface RunContext {
  jobId: string;
  user: JobUser | null;
  /** Appends one line (or several, split on newlines) to the job's log. Never blocks. */
  log(line: string): void;
  /** Sets the job's progress, 0–100. */
  progress(percent: number): void;
  /** Aborted on cancel, shutdown or lost lock. A runner stops promptly and rejects. */
  signal: AbortSignal;
}

export interface Runner<K extends JobKind = JobKind> {
  readonly name: string;
  readonly kind: K;
  /** Resolves with the job's result, or rejects with an Error whose message says what failed. */
  run(spec: SpecByKind[K], context: RunContext): Promise<unknown>;
  /**
   * Checks a spec against this runner's configuration at submit time (where a context may come
   * from, where an image may be pushed). Throws a ValidationError naming the field and the
   * setting that allows it; nothing is stored for a spec it refuses. May return the spec to
   * store instead (secret values sealed, say); the builder stores what it returns. Optional.
   */
  validate?(spec: SpecByKind[K]): void | SpecByKind[K] | Promise<void | SpecByKind[K]>;
  health(): Promise<ComponentHealth>;
  /**
   * What would make this runner's jobs fail now, each with the setting to change, worded for
   * every user (the UI's banner and forms show it); for builds, the context sources that work.
   * May ask its engine, as `health()` does. Optional: without it, a failing `health()` is
   * reported with no cause but "see the Status page".
   */
  readiness?(): Promise<RunnerReadiness>;
  /**
   * Frees what was kept for a job that will never run (cancelled or failed before it
   * started), such as an uploaded build context. Optional.
   */
  release?(spec: SpecByKind[K]): Promise<void>;
}

export type RunnerMap = { [K in JobKind]?: Runner<K> };
