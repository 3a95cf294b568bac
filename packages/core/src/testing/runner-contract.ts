/**
 * The Runner contract: what the lifecycle relies on from every runner. A success resolves
 * and logs; a failure rejects with a message; an abort stops the work promptly.
 */
import { describe, expect, it } from 'vitest';
import type { JobKind, SpecByKind } from '../job.js';
import type { RunContext, Runner } from '../ports/runner.js';

export interface RunnerContractOptions<K extends JobKind> {
  makeRunner: () => Promise<Runner<K>> | Runner<K>;
  /** A spec that succeeds, one that fails, and one slow enough to be aborted mid-run. */
  cases: { succeeds: SpecByKind[K]; fails: SpecByKind[K]; slow: SpecByKind[K] };
  /** How soon after an abort the run must have stopped; default 2 000 ms. */
  abortWithinMs?: number;
  /** How long the slow case may take to get going before it is aborted; default 200 ms. */
  abortAfterMs?: number;
  timeoutMs?: number;
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
  });
}
