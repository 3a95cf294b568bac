/**
 * One subscriber connection per store, shared by every follower and cancel watcher in the
 * process: a channel is subscribed while someone listens to it. Notifications only say "look
 * again"; readers always re-read Redis, and also poll now and then, so a missed message (a
 * reconnect, a dropped pub/sub) can delay a reader but never stall it.
 */
import type { Redis } from 'ioredis';

export interface ChangeListener {
  /** Resolves at the next change after the last call (at once if one came since), after `pollMs`, or on abort. */
  next(signal: AbortSignal | undefined, pollMs: number): Promise<void>;
  close(): void;
}

export interface JobNotifications {
  listen(channel: string): Promise<ChangeListener>;
  close(): Promise<void>;
}

export function createJobNotifications(connect: () => Redis): JobNotifications {
  let subscriber: Redis | undefined;
  const listeners = new Map<string, Set<() => void>>();

  const connection = () => {
    if (!subscriber) {
      subscriber = connect();
      subscriber.on('message', (channel: string) => {
        for (const wake of listeners.get(channel) ?? []) wake();
      });
      // Errors surface through polling; without a handler ioredis would print each one.
      subscriber.on('error', () => undefined);
    }
    return subscriber;
  };

  return {
    async listen(channel) {
      let changed = false;
      let waiting: (() => void) | undefined;
      const wake = () => {
        changed = true;
        waiting?.();
      };
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await connection().subscribe(channel).catch(() => undefined);
      }
      set.add(wake);
      return {
        next(signal, pollMs) {
          if (changed || signal?.aborted) {
            changed = false;
            return Promise.resolve();
          }
          return new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', done);
              waiting = undefined;
              changed = false;
              resolve();
            };
            const timer = setTimeout(done, pollMs);
            waiting = done;
            signal?.addEventListener('abort', done, { once: true });
          });
        },
        close() {
          set.delete(wake);
          if (set.size === 0 && listeners.get(channel) === set) {
            listeners.delete(channel);
            void subscriber?.unsubscribe(channel).catch(() => undefined);
          }
        },
      };
    },
    async close() {
      listeners.clear();
      if (subscriber) {
        subscriber.disconnect();
        subscriber = undefined;
      }
    },
  };
}
