/**
 * A runner for lifecycle tests that does what its script says: emit lines, set progress,
 * wait, wait for a gate the test opens, fail, throw a non-Error, hang until aborted, or
 * ignore an abort. It is a test double by design: it stands in for Docker and Ansible when
 * the behaviour under test is the lifecycle's, not a real engine's.
 */
import type { ComponentHealth } from '../ports/health.js';
import type { RunContext, Runner, RunnerReadiness } from '../ports/runner.js';
import type { JobKind, SpecByKind } from '../job.js';

export type ScriptStep =
  | { log: string | string[] }
  | { progress: number }
  | { sleep: number }
  | { gate: string }
  | { fail: string }
  | { throw: unknown }
  | { hang: true }
  | { hangIgnoringAbort: true }
  | { result: unknown };

export interface ScriptedRun<K extends JobKind> {
  jobId: string;
  spec: SpecByKind[K];
  context: RunContext;
}

export interface ScriptedRunner<K extends JobKind> extends Runner<K> {
  /** Every run started, in order. */
  readonly runs: ReadonlyArray<ScriptedRun<K>>;
  /** Opens a gate: every run waiting at it (now or later) goes on. */
  open(gate: string): void;
  /** Resolves when `count` runs have started. */
  started(count?: number): Promise<void>;
  /** Resolves when a run is waiting at the gate. */
  reached(gate: string): Promise<void>;
  setHealth(health: Partial<ComponentHealth>): void;
  /** What `readiness()` answers from now on (a runner made with `readiness` only). */
  setReadiness(readiness: RunnerReadiness): void;
}

export interface ScriptedRunnerOptions<K extends JobKind> {
  kind: K;
  name?: string;
  script: ScriptStep[] | ((spec: SpecByKind[K], context: RunContext) => ScriptStep[]);
  /** Gives the runner a `readiness()` that answers this (a real runner's problems and context sources, say). */
  readiness?: RunnerReadiness;
}

export function createScriptedRunner<K extends JobKind>(options: ScriptedRunnerOptions<K>): ScriptedRunner<K> {
  const runs: Array<ScriptedRun<K>> = [];
  const openGates = new Set<string>();
  const gateWaiters = new Map<string, Array<() => void>>();
  const reachedGates = new Map<string, number>();
  const reachWaiters = new Map<string, Array<() => void>>();
  const startWaiters: Array<{ count: number; wake: () => void }> = [];
  let health: ComponentHealth = { name: options.name ?? 'scripted', ok: true, details: { kind: options.kind } };
  let readiness = options.readiness;

  const waitGate = (gate: string, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      reachedGates.set(gate, (reachedGates.get(gate) ?? 0) + 1);
      for (const wake of reachWaiters.get(gate)?.splice(0) ?? []) wake();
      if (openGates.has(gate)) return resolve();
      const list = gateWaiters.get(gate) ?? [];
      list.push(resolve);
      gateWaiters.set(gate, list);
      signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
    });

  return {
    name: options.name ?? 'scripted',
    kind: options.kind,
    runs,
    async run(spec, context) {
      runs.push({ jobId: context.jobId, spec, context });
      for (const waiter of startWaiters.filter((w) => runs.length >= w.count)) {
        startWaiters.splice(startWaiters.indexOf(waiter), 1);
        waiter.wake();
      }
      const steps = typeof options.script === 'function' ? options.script(spec, context) : options.script;
      let result: unknown = { ok: true };
      for (const step of steps) {
        if (context.signal.aborted) throw abortError(context.signal);
        if ('log' in step) for (const line of [step.log].flat()) context.log(line);
        else if ('progress' in step) context.progress(step.progress);
        else if ('sleep' in step) await sleep(step.sleep, context.signal);
        else if ('gate' in step) await waitGate(step.gate, context.signal);
        else if ('fail' in step) throw new Error(step.fail);
        else if ('throw' in step) throw step.throw;
        else if ('hang' in step) await sleep(Number.POSITIVE_INFINITY, context.signal);
        else if ('hangIgnoringAbort' in step) await new Promise(() => undefined);
        else if ('result' in step) result = step.result;
      }
      return result;
    },
    async health() {
      return health;
    },
    setHealth(patch) {
      health = { ...health, ...patch };
    },
    ...(readiness ? { readiness: async () => readiness! } : {}),
    setReadiness(next) {
      readiness = next;
    },
    open(gate) {
      openGates.add(gate);
      for (const wake of gateWaiters.get(gate)?.splice(0) ?? []) wake();
    },
    started(count = 1) {
      if (runs.length >= count) return Promise.resolve();
      return new Promise((wake) => startWaiters.push({ count, wake }));
    },
    reached(gate) {
      if ((reachedGates.get(gate) ?? 0) > 0) return Promise.resolve();
      return new Promise((wake) => {
        const list = reachWaiters.get(gate) ?? [];
        list.push(wake);
        reachWaiters.set(gate, list);
      });
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(abortError(signal));
      },
      { once: true },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('aborted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
