/**
 * Log followers wait out a short Redis outage (a restart, a failover) instead of failing: a
 * read that found Redis unreachable is tried again every poll until Redis answers or the
 * outage has lasted `outageMs`. A command Redis refused (WRONGTYPE, …) fails at once: trying
 * again would not change the answer. Positions are line indexes, so a read tried again reads
 * exactly the lines the failed one would have: none is lost or repeated.
 */
import { isBuilderError } from '@docker-builder/core';

export interface OutageWaitOptions {
  pollMs: number;
  outageMs: number;
  /** Any of these aborting ends the wait. */
  signals: ReadonlyArray<AbortSignal | undefined>;
}

/** The result of `read` (which throws StoreUnavailableError, as the store's guard does), or undefined once a signal aborts. */
export async function readWaitingOutOutage<T>(read: () => Promise<T>, options: OutageWaitOptions): Promise<T | undefined> {
  const signals = options.signals.filter((signal): signal is AbortSignal => signal !== undefined);
  let since: number | undefined;
  for (;;) {
    if (signals.some((signal) => signal.aborted)) return undefined;
    try {
      return await read();
    } catch (error) {
      if (!isOutage(error)) throw error;
      since ??= Date.now();
      if (Date.now() - since >= options.outageMs) throw error;
      await sleep(options.pollMs, signals);
    }
  }
}

function isOutage(error: unknown): boolean {
  return isBuilderError(error, 'STORE_UNAVAILABLE') && (error.cause as Error | undefined)?.name !== 'ReplyError';
}

function sleep(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const signal of signals) signal.addEventListener('abort', done, { once: true });
  });
}
