/**
 * The Runner contract: what the lifecycle relies on from every runner. A success resolves
 * and logs; a failure rejects with a message; an abort stops the work promptly, whenever it lands.
 */
import { describe, expect, it } from 'vitest';
import type { JobKind, SpecByKind } from '../job.js';
import type { RunContext, Runner } from '../ports/runner.js';
import { expectReadinessShape } from './readiness-shape.js';
import { delay } from './collect.js';

export interface RunnerContractOptions<K extends JobKind> {
  makeRunner: () => Promise<Runner<K>> | Runner<K>;
  /** A spec that succeeds, one that fails, and one slow enough to be aborted mid-run. */
  cases: { succeeds: SpecByKind[K]; fails: SpecByKind[K]; slow: SpecByKind[K] };
  /** How soon after an abort the run must have stopped; default 2 000 ms. */
  abortWithinMs?: number;
  /** How long the slow case may take to get going before it is aborted; default 200 ms. */
  abortAfterMs?: number;
  timeoutMs?: number;
  /**
   * What an aborted run left going (a process, a temporary file), described, or null when
   * nothing is: proves that an abort stopped the work and not only the promise. Polled after
   * each abort of the sweep until it answers null or `abortWithinMs` has passed.
   */
  workLeftBehind?: () => Promise<string | null> | string | null;
  /**
   * A runner of the same kind whose configuration cannot work (an engine nobody listens for, a
   * binary that is not there): with `readiness()`, it must name a problem and the setting to change.
   */
  makeBrokenRunner?: () => Promise<Runner<K>> | Runner<K>;
}

export interface RecordedContext extends RunContext {
  lines: string[];
  progress: (percent: number) => void;
  percents: number[];
}

export function recordingContext(signal: AbortSignal = new AbortController().signal, jobId = 'contract-job'): RecordedContext {
  const lines: string[] = [];
  const percents: number[] = [];
  return {
    jobId,
    user: { sub: 'contract-user' },
    signal,
    lines,
    percents,
    log: (line) => void lines.push(line),
    progress: (percent) => void percents.push(percent),
  };
}

export function runnerContract<K extends JobKind>(name: string, options: RunnerContractOptions<K>): void {
  const timeout = options.timeoutMs ?? 30_000;
  describe(`Runner contract: ${name}`, () => {
    it('resolves a successful run and logs what it did', async () => {
      const runner = await options.makeRunner();
      const context = recordingContext();
      await runner.run(options.cases.succeeds, context);
      expect(context.lines.length).toBeGreaterThan(0);
      for (const percent of context.percents) {
        expect(percent).toBeGreaterThanOrEqual(0);
        expect(percent).toBeLessThanOrEqual(100);
      }
    }, timeout);

    it('rejects a failing run with an Error that says what failed', async () => {
      const runner = await options.makeRunner();
      const error = await runner.run(options.cases.fails, recordingContext()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message.length).toBeGreaterThan(0);
    }, timeout);

    it('stops promptly when aborted mid-run', async () => {
      const runner = await options.makeRunner();
      const controller = new AbortController();
      const running = runner.run(options.cases.slow, recordingContext(controller.signal)).then(
        () => 'resolved',
        () => 'rejected',
      );
      await new Promise((resolve) => setTimeout(resolve, options.abortAfterMs ?? 200));
      const abortedAt = Date.now();
      controller.abort(new Error('contract abort'));
      const outcome = await running;
      expect(outcome).toBe('rejected');
      expect(Date.now() - abortedAt).toBeLessThan(options.abortWithinMs ?? 2_000);
    }, timeout);

    describe('rejects when aborted at any moment before or during its work', () => {
      // A runner awaits things before its real work starts (files, a connection, a spawn); an
      // abort landing in any of those gaps must still be seen (a listener added to an
      // already-aborted signal never fires). Each point below lands in a different gap.
      for (const point of abortPoints(options.abortAfterMs ?? 200)) {
        it(`aborted ${point.label}`, async () => {
          const runner = await options.makeRunner();
          const controller = new AbortController();
          if (point.before) controller.abort(new Error('contract abort'));
          const running = runner.run(options.cases.slow, recordingContext(controller.signal)).then(
            () => 'resolved',
            () => 'rejected',
          );
          await point.wait();
          const abortedAt = Date.now();
          controller.abort(new Error('contract abort'));
          const within = options.abortWithinMs ?? 2_000;
          const outcome = await Promise.race([running, delay(within).then(() => `still running ${within} ms after the abort`)]);
          expect(outcome).toBe('rejected');
          expect(Date.now() - abortedAt).toBeLessThan(within);
          if (options.workLeftBehind) expect(await nothingLeftBehind(options.workLeftBehind, within)).toBeNull();
        }, timeout);
      }
    });

    it('does no work when the signal is already aborted', async () => {
      const runner = await options.makeRunner();
      const controller = new AbortController();
      controller.abort(new Error('contract abort'));
      const context = recordingContext(controller.signal);
      await expect(runner.run(options.cases.succeeds, context)).rejects.toBeDefined();
    }, timeout);

    it('reports its health with its name', async () => {
      const runner = await options.makeRunner();
      const health = await runner.health();
      expect(health.name).toBe(runner.name);
      expect(typeof health.ok).toBe('boolean');
    }, timeout);

    it('says what would make its jobs fail, if it says, in words any user may read', async () => {
      const runner = await options.makeRunner();
      if (!runner.readiness) return;
      expectReadinessShape(await runner.readiness(), runner.kind, await runner.health());
    }, timeout);

    it.runIf(options.makeBrokenRunner)('names the problem and the setting to change when its configuration cannot work', async () => {
      const runner = await options.makeBrokenRunner!();
      const health = await runner.health();
      expect(health.ok).toBe(false);
      if (!runner.readiness) return;
      const readiness = await runner.readiness();
      expectReadinessShape(readiness, runner.kind, health);
      expect(readiness.problems.length).toBeGreaterThan(0);
      expect(readiness.problems.some((problem) => problem.settings.length > 0)).toBe(true);
    }, timeout);
  });
}

interface AbortPoint {
  label: string;
  /** Aborted before `run` is called. */
  before?: boolean;
  /** What passes between calling `run` and the abort. */
  wait: () => Promise<void>;
}

const microtaskTicks = async (count: number) => {
  for (let i = 0; i < count; i += 1) await Promise.resolve();
};
const eventLoopTurns = async (count: number) => {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** Before the call; after 0–20 microtask ticks; after 1–10 event-loop turns; after timers up to `abortAfterMs`. */
function abortPoints(abortAfterMs: number): AbortPoint[] {
  return [
    { label: 'before run is called', before: true, wait: async () => undefined },
    ...Array.from({ length: 21 }, (_, k) => ({ label: `after ${k} microtask tick(s)`, wait: () => microtaskTicks(k) })),
    ...[1, 2, 3, 5, 10].map((k) => ({ label: `after ${k} event-loop turn(s)`, wait: () => eventLoopTurns(k) })),
    ...[0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000]
      .filter((ms) => ms <= abortAfterMs)
      .map((ms) => ({ label: `after ${ms} ms`, wait: () => delay(ms) })),
  ];
}

async function nothingLeftBehind(workLeftBehind: () => Promise<string | null> | string | null, withinMs: number): Promise<string | null> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = await workLeftBehind();
    if (left === null || Date.now() > deadline) return left;
    await delay(20);
  }
}
