/**
 * The JobQueue contract: a queue delivers each job id to an executor exactly once, reports
 * its health, and closes without leaving jobs stuck. The harness wires the queue to the
 * executor the suite supplies (in-process directly; BullMQ through a worker).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobExecutor, JobQueue } from '../ports/job-queue.js';
import { createJobId } from '../job-id.js';
import { delay, eventually } from './collect.js';

export interface JobQueueContractOptions {
  makeQueue: (execute: JobExecutor) => Promise<JobQueue> | JobQueue;
  /** Extra time a real broker needs to hand over a job; default 5 000 ms. */
  deliveryTimeoutMs?: number;
}

export function jobQueueContract(name: string, options: JobQueueContractOptions): void {
  describe(`JobQueue contract: ${name}`, () => {
    const timeout = options.deliveryTimeoutMs ?? 5_000;
    const open: JobQueue[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((queue) => queue.close({ deadlineMs: 100 })));
    });
    const make = async (execute: JobExecutor) => {
      const queue = await options.makeQueue(execute);
      open.push(queue);
      return queue;
    };
    const ref = () => ({ id: createJobId(), kind: 'build' as const });

    it('delivers an enqueued job to the executor', async () => {
      const seen: string[] = [];
      const queue = await make(async (id) => void seen.push(id));
      const job = ref();
      expect(await queue.enqueue(job)).toEqual({ accepted: true });
      await eventually(() => seen.length === 1, timeout, 'the job to run');
      expect(seen).toEqual([job.id]);
    });

    it('runs each of many jobs exactly once', async () => {
      const seen: string[] = [];
      const queue = await make(async (id) => {
        await delay(1);
        seen.push(id);
      });
      const jobs = Array.from({ length: 50 }, ref);
      await Promise.all(jobs.map((job) => queue.enqueue(job)));
      await eventually(() => seen.length >= 50, timeout * 2, 'all jobs to run');
      await delay(100);
      expect([...seen].sort()).toEqual(jobs.map((j) => j.id).sort());
    });

    it('delivers a job handed over again after it was found waiting, even while that delivery is still running', async () => {
      // The delivery that found the job waiting for a concurrency group has not returned yet
      // when the slot frees and the job is handed over with one more wait: that must not be
      // taken for the same delivery, or the job would wait for its lease instead of its turn.
      const deliveries: string[] = [];
      let release!: () => void;
      const firstDeliveryHeld = new Promise<void>((resolve) => (release = resolve));
      const queue = await make(async (id) => {
        deliveries.push(id);
        if (deliveries.length === 1) await firstDeliveryHeld;
      });
      const job = ref();
      await queue.enqueue(job);
      await eventually(() => deliveries.length === 1, timeout, 'the first delivery');
      // The same hand-over again is the same delivery…
      await queue.enqueue(job);
      // …but one after a wait is a new one.
      await queue.enqueue({ ...job, waits: 1 });
      await eventually(() => deliveries.length === 2, timeout, 'the delivery after the wait');
      release();
      await delay(100);
      expect(deliveries).toEqual([job.id, job.id]);
    });

    it('on close, lets a running job finish within the deadline', async () => {
      let finished = false;
      let started = false;
      const queue = await make(async () => {
        started = true;
        await delay(150);
        finished = true;
      });
      await queue.enqueue(ref());
      await eventually(() => started, timeout, 'the job to start');
      await queue.close({ deadlineMs: 5_000 });
      expect(finished).toBe(true);
    });

    it('on close, aborts a running job that outlives the deadline', async () => {
      let started = false;
      let abortedWith: unknown;
      const queue = await make(
        (_id, signal) =>
          new Promise<void>((resolve) => {
            started = true;
            signal.addEventListener('abort', () => {
              abortedWith = signal.reason;
              resolve();
            });
          }),
      );
      await queue.enqueue(ref());
      await eventually(() => started, timeout, 'the job to start');
      await queue.close({ deadlineMs: 100 });
      expect(abortedWith).toBeDefined();
    });

    it('refuses jobs once closed', async () => {
      const queue = await make(async () => undefined);
      await queue.close();
      const result = await queue.enqueue(ref()).catch((error: unknown) => ({ accepted: false, reason: String(error) }));
      expect(result.accepted).toBe(false);
    });

    it('reports its health with its name', async () => {
      const queue = await make(async () => undefined);
      const health = await queue.health();
      expect(health).toMatchObject({ name: queue.name, ok: true });
    });
  });
}
