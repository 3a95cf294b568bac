/** The event stream metrics and logs subscribe to: what each event carries, and that it is complete. */
import { describe, expect, it } from 'vitest';
import type { BuilderEvent } from '@docker-builder/core';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import { BUILD, DEPLOY, scriptedBuilder } from './helpers.js';

function recorder() {
  const events: BuilderEvent[] = [];
  return { events, onEvent: (event: BuilderEvent) => void events.push(event) };
}

const ofType = <T extends BuilderEvent['type']>(events: BuilderEvent[], type: T) =>
  events.filter((event): event is Extract<BuilderEvent, { type: T }> => event.type === type);

describe('builder events', () => {
  it('report a job from submit to end: its wait, its duration and every stored line', async () => {
    const { events, onEvent } = recorder();
    const lines = Array.from({ length: 1_234 }, (_, i) => `line ${i}`);
    const { builder } = scriptedBuilder({ deploy: [{ log: lines }, { sleep: 30 }, { log: 'last' }, { fail: 'host unreachable' }] }, { onEvent, logs: { maxBatch: 100, flushIntervalMs: 5 } });
    const { id } = await builder.submitDeploy(DEPLOY);
    const job = await jobEnded(builder, id);
    await builder.close();

    // (job.created follows the hand-over to the queue, which may already have started the job.)
    expect(ofType(events, 'job.created')).toEqual([{ type: 'job.created', jobId: id, kind: 'deploy', enqueued: true }]);
    const [started] = ofType(events, 'job.started');
    expect(started).toEqual({ type: 'job.started', jobId: id, kind: 'deploy', attempt: 1, queuedMs: Date.parse(job.startedAt!) - Date.parse(job.createdAt) });
    const logged = ofType(events, 'job.logged');
    expect(logged.length).toBeGreaterThan(1);
    expect(logged.every((event) => event.jobId === id && event.kind === 'deploy')).toBe(true);
    // Every line the log holds was reported once, the lifecycle's own last line too.
    const stored = await builderLogLength(builder, id);
    expect(stored).toBe(1_234 + 2);
    expect(logged.reduce((sum, event) => sum + event.lines, 0)).toBe(stored);
    expect(events.at(-1)).toEqual({
      type: 'job.finished',
      jobId: id,
      kind: 'deploy',
      state: 'error',
      error: 'host unreachable',
      durationMs: Date.parse(job.finishedAt!) - Date.parse(job.startedAt!),
    });
    expect(ofType(events, 'job.finished')[0]!.durationMs).toBeGreaterThanOrEqual(30);
  });

  it('measure the wait in the queue by the builder clock', async () => {
    let clock = Date.parse('2026-11-25T04:00:00.000Z');
    const { events, onEvent } = recorder();
    const { builder, build } = scriptedBuilder({ build: [{ gate: 'go' }] }, { onEvent, concurrency: 1, now: () => new Date(clock) });
    const first = await builder.submitBuild(BUILD);
    await build.started(1);
    const second = await builder.submitBuild(BUILD);
    clock += 2_500;
    build.open('go');
    await jobEnded(builder, second.id);
    await builder.close();
    const started = ofType(events, 'job.started');
    expect(started.map((event) => [event.jobId, event.queuedMs])).toEqual([
      [first.id, 0],
      [second.id, 2_500],
    ]);
  });

  it('report a job cancelled while queued as finished, never started', async () => {
    const { events, onEvent } = recorder();
    const { builder, build } = scriptedBuilder({ build: [{ gate: 'go' }] }, { onEvent, concurrency: 1 });
    const first = await builder.submitBuild(BUILD);
    await build.started(1);
    const second = await builder.submitBuild(BUILD);
    await builder.cancel(second.id);
    build.open('go');
    await jobEnded(builder, first.id);
    await builder.close();
    expect(ofType(events, 'job.finished').find((event) => event.jobId === second.id)).toEqual({
      type: 'job.finished',
      jobId: second.id,
      kind: 'build',
      state: 'cancelled',
      error: 'Cancelled before it started.',
      durationMs: null,
    });
    expect(ofType(events, 'job.started').map((event) => event.jobId)).toEqual([first.id]);
  });

  it('a listener that throws on job.logged does not make a stored batch be written twice', async () => {
    const { builder } = scriptedBuilder(
      { build: [{ log: ['a', 'b', 'c'] }, { sleep: 20 }, { log: ['d', 'e'] }] },
      {
        onEvent: (event) => {
          if (event.type === 'job.logged') throw new Error('listener failed');
        },
      },
    );
    const { id } = await builder.submitBuild(BUILD);
    await eventually(async () => (await builder.get(id)).state === 'done', 5_000, 'the build to end');
    expect((await builder.readLogs(id)).lines).toEqual(['a', 'b', 'c', 'd', 'e']);
    await builder.close();
  });
});

async function builderLogLength(builder: { readLogs(id: string, options?: { from?: number; limit?: number }): Promise<{ total: number }> }, id: string) {
  return (await builder.readLogs(id, { limit: 0 })).total;
}
