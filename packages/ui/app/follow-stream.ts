/**
 * Keeps an event stream open while the tab is visible: closed when the tab is hidden, opened
 * again with the last event id once it is visible, and after a dropped connection (backing off).
 * The caller's handler says when the stream is finished for good.
 */
import { readSse, type SseMessage } from './sse';
import { pause, untilHidden, whenVisible } from './visibility';

export interface FollowOptions {
  path: () => string;
  /** Sent as `Last-Event-ID` when the stream opens again. */
  lastEventId: () => string | null;
  onEvent(message: SseMessage): 'stop' | void;
  /** True while the connection is lost and being tried again; false once it is back. */
  onReconnecting?(waiting: boolean): void;
  signal: AbortSignal;
}

export async function followStream({ path, lastEventId, onEvent, onReconnecting, signal }: FollowOptions): Promise<void> {
  for (let attempt = 0; !signal.aborted; ) {
    await whenVisible(signal);
    if (signal.aborted) return;
    const watch = untilHidden(signal);
    try {
      const how = await readSse(path(), lastEventId(), watch.signal, onEvent, () => {
        attempt = 0;
        onReconnecting?.(false);
      });
      if (how === 'stopped') return;
    } catch {
      // Aborted (hidden, or the page left) or failed: both are decided below.
    } finally {
      watch.release();
    }
    if (signal.aborted) return;
    if (watch.hiddenNow()) continue;
    onReconnecting?.(true);
    await pause(Math.min(500 * 2 ** attempt, 5_000), signal);
    attempt += 1;
  }
}
