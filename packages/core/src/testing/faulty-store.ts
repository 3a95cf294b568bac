/**
 * A JobStore wrapper that fails or stalls chosen calls on demand. It is a fake on purpose:
 * a real Redis cannot be made to refuse exactly "the first log append" or "the terminal
 * write" of one job at the moment a test needs, so the fault suites inject those here and
 * use real outages (a stopped Redis) where timing does not matter.
 */
import { StoreUnavailableError } from '../errors.js';
import type { JobStore } from '../ports/job-store.js';

type Method = Exclude<keyof JobStore, 'name' | 'followLogs' | 'followEvents'>;

export interface Fault {
  /** The call to fail, or 'any' for every call but `close` (an outage). */
  method: Method | 'any';
  /** Which calls: all of that method by default. */
  when?: (...args: never[]) => boolean;
  /** Fail this many matching calls (default: every one until `heal`). */
  times?: number;
  /** Wait this long before answering (and then fail, or pass the call through with `thenPass`). */
  delayMs?: number;
  /** After the delay, let the call through instead of failing it. */
  thenPass?: boolean;
}

export interface FaultyStore extends JobStore {
  /** Adds a fault; returns a function that removes it. */
  inject(fault: Fault): () => void;
  /** Removes every fault: the store is healthy again. */
  heal(): void;
  /** Fails every call for `ms` from now, then lets them through again. */
  outage(ms: number): void;
  /** Calls that a fault failed, by method. */
  readonly failures: Partial<Record<Method, number>>;
}

export function createFaultyStore(inner: JobStore): FaultyStore {
  const faults = new Set<Fault & { left: number }>();
  const failures: Partial<Record<Method, number>> = {};

  const guarded =
    <M extends Method>(method: M) =>
    async (...args: unknown[]): Promise<unknown> => {
      const fault = [...faults].find(
        (f) => (f.method === method || (f.method === 'any' && method !== 'close')) && f.left > 0 && (!f.when || (f.when as (...a: unknown[]) => boolean)(...args)),
      );
      if (fault) {
        fault.left -= 1;
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (!fault.thenPass) {
          failures[method] = (failures[method] ?? 0) + 1;
          throw new StoreUnavailableError(`injected fault: ${method} failed`);
        }
      }
      return (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };

  // A record, not a list: a method added to the port and forgotten here fails to compile.
  const wrapped: Record<Method, true> = {
    create: true, get: true, list: true, count: true, placesInLine: true, transition: true, setProgress: true, renewLease: true,
    expiredLeases: true, requestCancel: true, watchCancel: true, appendLogs: true, readLogs: true, getDeployMetadata: true,
    lastEventId: true, health: true, close: true, claim: true, groupStates: true,
  };
  const methods = Object.keys(wrapped) as Method[];
  const store = Object.fromEntries(methods.map((method) => [method, guarded(method)])) as unknown as JobStore;
  const inject = (fault: Fault) => {
    const entry = { ...fault, left: fault.times ?? Number.POSITIVE_INFINITY };
    faults.add(entry);
    return () => void faults.delete(entry);
  };
  return {
    ...store,
    name: inner.name,
    followLogs: (id, options) => inner.followLogs(id, options),
    followEvents: (options) => inner.followEvents(options),
    failures,
    inject,
    heal() {
      faults.clear();
    },
    outage(ms) {
      setTimeout(inject({ method: 'any' }), ms);
    },
  };
}
