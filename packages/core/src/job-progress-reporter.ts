/**
 * Writes a runner's progress to the store without a write per call: whole percents only,
 * only when changed, at most one write per `minIntervalMs`, and the last value always lands.
 */
import type { JobStore } from './ports/job-store.js';

export interface JobProgressReporter {
  report(percent: number): void;
  flush(): Promise<void>;
}

export function createJobProgressReporter(options: {
  store: JobStore;
  jobId: string;
  attempt: number;
  minIntervalMs: number;
}): JobProgressReporter {
  const { store, jobId, attempt, minIntervalMs } = options;
  let stored = 0;
  let wanted = 0;
  let lastWriteAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const write = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    inFlight = inFlight.then(async () => {
      if (wanted === stored) return;
      const value = wanted;
      lastWriteAt = Date.now();
      try {
        await store.setProgress(jobId, value, { attempt });
        stored = value;
      } catch {
        // Progress is advisory; the next report or the final flush tries again.
      }
    });
    return inFlight;
  };

  return {
    report(percent) {
      if (!Number.isFinite(percent)) return;
      wanted = Math.round(Math.min(100, Math.max(0, percent)));
      if (wanted === stored || timer) return;
      const wait = minIntervalMs - (Date.now() - lastWriteAt);
      if (wait <= 0) void write();
      else timer = setTimeout(() => void write(), wait);
    },
    flush: write,
  };
}
