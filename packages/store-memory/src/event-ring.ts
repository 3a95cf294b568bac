/**
 * The memory store's event feed: the newest events in a ring buffer, followed by position.
 * Ids are `<epoch>-<sequence>`: the epoch is this ring's own, so an id from another store (or
 * from before a restart) is recognised as not one of ours rather than taken for a position.
 */
import {
  DEFAULT_MAX_EVENTS,
  jobHeadline,
  type FollowEventsOptions,
  type Job,
  type JobEvent,
  type JobEventType,
  type JobFeedItem,
  type JobFeedMark,
} from '@docker-builder/core';

export interface EventRing {
  record(type: JobEventType, job: Job, logLength: number, placeInLine?: number): void;
  follow(options: FollowEventsOptions, snapshot: (jobId: string) => { job: Job; logLength: number } | null): AsyncGenerator<JobFeedItem>;
  lastId(): string;
  /** Followers now: for health details, and for tests to see that none were left behind. */
  readonly followers: number;
  /** Ends every follower. */
  close(): void;
}

export function createEventRing(maxEvents = DEFAULT_MAX_EVENTS): EventRing {
  if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new RangeError(`maxEvents must be a whole number of at least 1, not ${maxEvents}`);
  const epoch = Math.random().toString(36).slice(2, 8);
  const ring: JobEvent[] = new Array(maxEvents);
  /** Sequence number of the newest event; events are numbered from 1. */
  let newest = 0;
  const oldest = () => Math.max(1, newest - maxEvents + 1);
  const idOf = (seq: number) => `${epoch}-${seq}`;
  /** Woken at each event: all followers of the whole feed, and those of one job, by job id. */
  const everyJob = new Set<() => void>();
  const oneJob = new Map<string, Set<() => void>>();
  let followers = 0;
  let closed = false;

  /** The sequence number an id names, or null when it is not one of this ring's ids (or names an event not yet made). */
  const sequenceOf = (id: string): number | null => {
    const match = /^([0-9a-z]+)-(\d+)$/.exec(id);
    if (!match || match[1] !== epoch) return null;
    const seq = Number(match[2]);
    return Number.isSafeInteger(seq) && seq <= newest ? seq : null;
  };

  const wake = (listeners: Set<() => void> | undefined) => {
    for (const listener of [...(listeners ?? [])]) listener();
  };

  const listen = (jobId: string | undefined, listener: () => void) => {
    let set = everyJob;
    if (jobId !== undefined) {
      set = oneJob.get(jobId) ?? new Set();
      oneJob.set(jobId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (jobId !== undefined && set.size === 0) oneJob.delete(jobId);
    };
  };

  return {
    record(type, job, logLength, placeInLine) {
      newest += 1;
      ring[newest % maxEvents] = { id: idOf(newest), type, job: jobHeadline(job), logLength, ...(placeInLine !== undefined ? { placeInLine } : {}) };
      wake(everyJob);
      wake(oneJob.get(job.id));
    },

    lastId: () => idOf(newest),

    get followers() {
      return followers;
    },

    async *follow({ after, jobId, signal }, snapshot) {
      followers += 1;
      let changed = false;
      let waiting: (() => void) | undefined;
      const onChange = () => {
        changed = true;
        waiting?.();
      };
      const unlisten = listen(jobId, onChange);
      const onAbort = () => waiting?.();
      signal?.addEventListener('abort', onAbort);
      try {
        const mark = (type: JobFeedMark['type']): JobFeedMark => {
          if (jobId === undefined) return { type, id: idOf(newest) };
          const now = snapshot(jobId);
          return { type, id: idOf(newest), job: now ? jobHeadline(now.job) : null, logLength: now?.logLength ?? 0 };
        };
        const start = after === undefined || after === null ? newest : sequenceOf(after);
        // Missing nothing means the event just after `start` is still kept.
        let position = start !== null && start + 1 >= oldest() ? start : null;
        if (signal?.aborted || closed) return;
        if (position === null) {
          position = newest;
          yield mark('reset');
        } else {
          yield after === undefined || after === null ? mark('ready') : { type: 'ready', id: idOf(position) };
        }
        while (!signal?.aborted && !closed) {
          changed = false;
          while (position < newest) {
            if (position + 1 < oldest()) {
              // Overtaken: the events this follower has not read yet are gone.
              position = newest;
              yield mark('reset');
              if (signal?.aborted || closed) return;
              continue;
            }
            position += 1;
            const event = ring[position % maxEvents]!;
            if (jobId !== undefined && event.job.id !== jobId) continue;
            yield event;
            if (signal?.aborted || closed) return;
          }
          if (!changed) {
            await new Promise<void>((resolve) => {
              waiting = resolve;
              if (changed || signal?.aborted || closed) resolve();
            });
            waiting = undefined;
          }
        }
      } finally {
        unlisten();
        signal?.removeEventListener('abort', onAbort);
        followers -= 1;
      }
    },

    close() {
      closed = true;
      wake(everyJob);
      for (const set of [...oneJob.values()]) wake(set);
    },
  };
}
