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

/**
 * A subscribed channel: who listens, and the SUBSCRIBE every listener waits for. A listener
 * joins the set before that wait, so a neighbour that leaves meanwhile never finds the set
 * empty and unsubscribes it (job-notifications.test.ts produces that interleaving).
 */
interface ChannelState {
  wakes: Set<() => void>;
  subscribed: Promise<void>;
}

export function createJobNotifications(connect: () => Redis): JobNotifications {
  let subscriber: Redis | undefined;
  const channels = new Map<string, ChannelState>();

  const connection = () => {
    if (!subscriber) {
      subscriber = connect();
      subscriber.on('message', (channel: string) => {
        for (const wake of channels.get(channel)?.wakes ?? []) wake();
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
      let state = channels.get(channel);
      if (!state) {
        // After an UNSUBSCRIBE of this channel this SUBSCRIBE follows it on the same connection,
        // and Redis answers commands on one connection in order, so the channel ends subscribed.
        const subscribed = connection()
          .subscribe(channel)
          .then(() => undefined, () => undefined);
        state = { wakes: new Set(), subscribed };
        channels.set(channel, state);
      }
      const joined = state;
      joined.wakes.add(wake);
      await joined.subscribed;
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
          joined.wakes.delete(wake);
          // Only the state still current may unsubscribe: a later listen may have replaced it.
          if (joined.wakes.size === 0 && channels.get(channel) === joined) {
            channels.delete(channel);
            void subscriber?.unsubscribe(channel).catch(() => undefined);
          }
        },
      };
    },
    async close() {
      channels.clear();
      if (subscriber) {
        subscriber.disconnect();
        subscriber = undefined;
      }
    },
  };
}
