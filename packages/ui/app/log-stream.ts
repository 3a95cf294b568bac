/**
 * Follows a job's log, its state and its progress over one Server-Sent Events stream. After a
 * dropped connection, or once a hidden tab is visible again, it reconnects with Last-Event-ID,
 * so no line is lost or repeated; lines are handed over by index, and the caller stores them by
 * index too. The job's changes (`state`, `progress`) arrive in order with the lines, and so do
 * the lines' times (`time`: the lines from `from` on were stored at `at`).
 */
import type { JobHeadline } from './headline';
import { followStream } from './follow-stream';

export interface FollowHandlers {
  onLines(first: number, lines: string[]): void;
  /** The lines from `from` on were stored at `at` (ms), until the next call: before those lines are handed over. */
  onTime?(from: number, at: number): void;
  /** The job as it is now (first), then at each change of its state or progress. */
  onJob?(job: JobHeadline): void;
  onEnd(end: { state: string; error: string | null; progress: number }): void;
  onReconnecting?(waiting: boolean): void;
}

export async function followLog(jobId: string, handlers: FollowHandlers, signal: AbortSignal): Promise<void> {
  let next = 0;
  let batch: string[] = [];
  let batchStart = 0;
  const flush = () => {
    if (batch.length > 0) handlers.onLines(batchStart, batch);
    batch = [];
    batchStart = next;
  };
  // Lines of one network chunk go over together: a 100,000-line log is not 100,000 renders.
  let scheduled = false;
  const flushSoon = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      flush();
    });
  };
  await followStream({
    path: () => `build/${jobId}/logs`,
    lastEventId: () => (next > 0 ? String(next - 1) : null),
    onReconnecting: handlers.onReconnecting,
    signal,
    onEvent(message) {
      if (message.event === 'message' && message.id !== undefined) {
        if (Number(message.id) === next) {
          if (batch.length === 0) batchStart = next;
          batch.push(message.data);
          next += 1;
          flushSoon();
        }
        return;
      }
      if (message.event === 'time') {
        const time = JSON.parse(message.data) as { from: number; at: string };
        handlers.onTime?.(time.from, Date.parse(time.at));
        return;
      }
      // Anything else comes after the lines before it: show those first.
      flush();
      if (message.event === 'state' || message.event === 'progress') handlers.onJob?.(JSON.parse(message.data) as JobHeadline);
      else if (message.event === 'end') {
        handlers.onEnd(JSON.parse(message.data) as { state: string; error: string | null; progress: number });
        return 'stop';
      }
    },
  });
  flush();
}
