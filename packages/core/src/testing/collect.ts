/** Small async helpers the suites share. */
import { isTerminal } from '../job-state.js';
import type { Job } from '../job.js';

export async function collect<T>(iterable: AsyncIterable<T>, limit = Number.POSITIVE_INFINITY): Promise<T[]> {
  const items: T[] = [];
  if (limit <= 0) return items;
  for await (const item of iterable) {
    items.push(item);
    if (items.length >= limit) break;
  }
  return items;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

/** Resolves with the job once it has ended (done, error or cancelled). */
export function jobEnded(builder: { get(id: string): Promise<Job> }, id: string, timeoutMs = 10_000): Promise<Job> {
  return eventually(async () => {
    const job = await builder.get(id);
    return isTerminal(job.state) ? job : undefined;
  }, timeoutMs, `job ${id} to end`);
}
