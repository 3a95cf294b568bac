/**
 * The runners' readiness as the builder reports it (`builder.readiness()`, `GET /runners`): per
 * kind, null when this server has no runner for it. A runner without `readiness()` is judged by
 * its health; one that does not answer in time is a problem too, since its jobs would wait on it.
 */
import { errorMessage } from './errors.js';
import type { JobKind } from './job.js';
import type { Runner, RunnerMap } from './ports/runner.js';
import type { RunnerProblem, RunnerReadiness } from './ports/runner-readiness.js';

export interface RunnerStatus extends RunnerReadiness {
  name: string;
  /** False when `problems` is not empty: jobs of this kind would fail or be refused now. */
  ok: boolean;
}

export type RunnersReadiness = Record<JobKind, RunnerStatus | null>;

const PLURAL: Record<JobKind, string> = { build: 'builds', deploy: 'deploys' };

export async function runnersReadiness(runners: RunnerMap, timeoutMs: number): Promise<RunnersReadiness> {
  const [build, deploy] = await Promise.all([statusOf('build', runners.build, timeoutMs), statusOf('deploy', runners.deploy, timeoutMs)]);
  return { build, deploy };
}

async function statusOf(kind: JobKind, runner: Runner | undefined, timeoutMs: number): Promise<RunnerStatus | null> {
  if (!runner) return null;
  let readiness: RunnerReadiness;
  try {
    readiness = await within(timeoutMs, () => (runner.readiness ? runner.readiness() : fromHealth(kind, runner)));
  } catch (error) {
    readiness = { problems: [seeStatusPage(`The ${kind} runner did not say whether it can run ${PLURAL[kind]}.`, errorMessage(error))] };
  }
  return { name: runner.name, ok: readiness.problems.length === 0, ...readiness };
}

async function fromHealth(kind: JobKind, runner: Runner): Promise<RunnerReadiness> {
  const health = await runner.health();
  if (health.ok) return { problems: [] };
  // Health messages hold addresses and paths: only admins get them, as `detail`.
  return { problems: [seeStatusPage(`The ${kind} runner reports a problem, so ${PLURAL[kind]} may fail.`, health.message ?? 'no message')] };
}

function seeStatusPage(cause: string, detail: string): RunnerProblem {
  return { cause, fix: 'An admin sees what it is on the Status page (GET /api/_debug).', settings: [], detail };
}

async function within<T>(ms: number, probe: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`did not answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([probe(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
