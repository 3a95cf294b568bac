/**
 * The in-process queue: the embedded default and the fallback when a real queue refuses a
 * job. Runs at most `concurrency` jobs at once in this process, and ignores an id it already
 * holds (the reaper hands a long-waiting job over again). On close, jobs not yet started are
 * handed to the executor already aborted (so they end in `error`, not stuck in `queued`), and
 * running ones may finish until the last part of the deadline, when they are aborted.
 */
import { JobAbortedError } from './job-lifecycle.js';
import type { CloseOptions, EnqueueResult, JobExecutor, JobQueue, QueueHealth, QueuedJobRef } from './ports/job-queue.js';

export interface InProcessQueueOptions {
  execute: JobExecutor;
  /** Jobs run at once; default 2. */
  concurrency?: number;
  name?: string;
}

export interface InProcessQueue extends JobQueue {
  /** Resolves when nothing is pending or running. */
  idle(): Promise<void>;
}

export const DEFAULT_CLOSE_DEADLINE_MS = 30_000;

export function createInProcessQueue(options: InProcessQueueOptions): InProcessQueue {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, not ${concurrency}`);
  }
  const pending: string[] = [];
  const held = new Set<string>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let idleWaiters: Array<() => void> = [];
  let closed = false;
  let completed = 0;

  const start = (key: string, controller = new AbortController()) => {
    const jobId = key.slice(0, key.indexOf('#'));
    const done = options
      .execute(jobId, controller.signal)
      .catch(() => {
        // runJob ends the job itself; an error here is the store failing, which the store reports.
      })
      .finally(() => {
        running.delete(key);
        held.delete(key);
        completed += 1;
        pump();
      });
    running.set(key, { controller, done });
  };

  const pump = () => {
    while (!closed && running.size < concurrency && pending.length > 0) start(pending.shift()!);
    if (running.size === 0 && pending.length === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  return {
    name: options.name ?? 'in-process',
    async enqueue(job: QueuedJobRef): Promise<EnqueueResult> {
      if (closed) return { accepted: false, reason: 'the in-process queue is closed' };
      const key = deliveryKey(job);
      if (held.has(key)) return { accepted: true };
      held.add(key);
      pending.push(key);
      pump();
      return { accepted: true };
    },
    async health(): Promise<QueueHealth> {
      return {
        name: this.name,
        ok: !closed,
        ...(closed ? { message: 'the queue is closed' } : {}),
        workers: closed ? 0 : concurrency,
        counts: { pending: pending.length, running: running.size, completed },
      };
    },
    idle() {
      if (running.size === 0 && pending.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close(closeOptions: CloseOptions = {}) {
      if (!closed) {
        closed = true;
        for (const jobId of pending.splice(0)) {
          const controller = new AbortController();
          controller.abort(new Error('the queue closed before the job started'));
          start(jobId, controller);
        }
      }
      const all = () => Promise.all([...running.values()].map((entry) => entry.done));
      const deadline = closeOptions.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
      // The last third (at most 10 s) is kept for stopping runners and writing their ends.
      const reserve = Math.min(deadline / 3, 10_000);
      if (!(await settlesWithin(all(), deadline - reserve))) {
        const graceMs = Math.floor(reserve * 0.6);
        for (const entry of running.values()) {
          entry.controller.abort(new JobAbortedError(`the queue closed and the job did not finish within ${deadline} ms`, { graceMs }));
        }
        await settlesWithin(all(), reserve);
      }
    },
  };
}

/** True when `work` settled (either way) within `ms`: a bounded wait for a close or shutdown. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
  return settled;
}

/** One delivery of a job: its id, its attempt and its waits (see QueuedJobRef). */
function deliveryKey(job: QueuedJobRef): string {
  return `${job.id}#${job.attempt ?? 0}#${job.waits ?? 0}`;
}
