/**
 * Following logs, shared: within one store instance, every follower of a job takes its lines
 * from one reader (job-log-feed.ts) instead of reading Redis on its own, so a hundred browsers
 * on one running job cost one read per change, not a hundred. A follower that starts behind
 * that reader, or falls further behind it than its window reaches, reads the lines it lacks
 * itself, a page at a time, then takes the rest from the reader again; indexes make the seam
 * exact (log-follow-hub.test.ts follows from many offsets at once and compares). Every read
 * takes the lines' times in the same transaction (log-times.ts), so entries carry them at no
 * extra round trip, for the reader's followers and for one reading on its own alike.
 */
import { JobNotFoundError, StoreUnavailableError, type LogEntry } from '@docker-builder/core';
import type { Redis } from 'ioredis';
import { execChecked } from './checked-replies.js';
import { createJobLogFeed, type FeedRead, type JobLogFeed } from './job-log-feed.js';
import type { JobNotifications } from './job-notifications.js';
import type { StoreKeys } from './keys.js';
import { readWaitingOutOutage } from './outage-wait.js';
import { lineTimes, logTimesOf, readLogTimes } from './log-times.js';

export interface LogFollowHubOptions {
  redis: Redis;
  keys: StoreKeys;
  notifications: JobNotifications;
  /** The store's guard: turns Redis failures into StoreUnavailableError. */
  guard: <T>(work: () => Promise<T>) => Promise<T>;
  /** How often a reader reads again without a notification. */
  pollMs: number;
  /** How long followers wait out Redis being unreachable before they fail. */
  outageMs: number;
  /** Lines per read; default 1,000. */
  pageLines?: number;
  /** Lines a reader keeps for followers that have not taken them yet; default 1,000. */
  windowLines?: number;
  /** Lines a follower hands on before it lets the event loop turn; default 100. */
  turnLines?: number;
}

export interface LogFollowHub {
  /** `from` is a valid list index (the store clamps it). */
  follow(id: string, from: number, signal: AbortSignal | undefined): AsyncGenerator<LogEntry>;
  /** Readers that run or still have followers, and the log entries they hold: what tests check stays bounded. */
  usage(): { readers: number; heldEntries: number };
  /** Stops every reader; their followers fail with StoreUnavailableError. */
  close(): void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createLogFollowHub(options: LogFollowHubOptions): LogFollowHub {
  const { redis, keys, guard, pollMs, outageMs } = options;
  const pageLines = options.pageLines ?? 1_000;
  const windowLines = options.windowLines ?? 1_000;
  const turnLines = options.turnLines ?? 100;
  /** The current reader of each job that has one. */
  const feeds = new Map<string, JobLogFeed>();
  /** Every reader that runs or still has followers taking what it read. */
  const live = new Set<JobLogFeed>();
  const forget = (feed: JobLogFeed) => {
    if (feed.stopped && feed.followers === 0) live.delete(feed);
  };
  // An entry is read once and handed to every follower: frozen, so no consumer can change another's.
  const toEntry = (index: number, line: string, at: number | undefined): LogEntry => Object.freeze(at === undefined ? { index, line } : { index, line, at });

  /** Up to `count` lines from `from`, their times, and (with `state`) the job's state, in one transaction. */
  const readLines = async (id: string, from: number, count: number, state: boolean): Promise<FeedRead> => {
    const transaction = readLogTimes(redis.multi().lrange(keys.logs(id), from, from + count - 1), keys.logTimes(id), from, count);
    if (state) transaction.hget(keys.job(id), 'state');
    const [lines, atOrBefore, inside, jobState] = (await guard(() => execChecked(transaction))) as [string[], string[], string[], (string | null)?];
    return { lines, times: logTimesOf(atOrBefore, inside, from, lines.length), state: jobState ?? null };
  };

  const feedFor = (id: string, start: number): JobLogFeed => {
    const current = feeds.get(id);
    // A stopped reader (its last follower left, its job ended) is replaced, never restarted.
    if (current && !current.stopped) return current;
    const feed: JobLogFeed = createJobLogFeed({
      start,
      pollMs,
      pageLines,
      windowLines,
      toEntry,
      listen: () => options.notifications.listen(keys.events(id)),
      read: (from, signal) =>
        readWaitingOutOutage(() => readLines(id, from, pageLines, true), { pollMs, outageMs, signals: [signal] }),
      onStopped: () => {
        if (feeds.get(id) === feed) feeds.delete(id);
        forget(feed);
      },
    });
    feeds.set(id, feed);
    live.add(feed);
    return feed;
  };

  // Closing the store ends the waits of followers reading on their own, as it stops the readers.
  const closing = new AbortController();
  const closed = new StoreUnavailableError('The store was closed while the log was followed; follow it again from the last line seen.');

  /** Lines [from, from + count) for a follower behind the reader; they exist, since the reader passed them. */
  const readPage = async (id: string, from: number, count: number, signal: AbortSignal | undefined) => {
    const read = await readWaitingOutOutage(() => readLines(id, from, count, false), {
      pollMs,
      outageMs,
      signals: [signal, closing.signal],
    });
    if (closing.signal.aborted && !signal?.aborted) throw closed;
    return read;
  };

  return {
    async *follow(id, from, signal) {
      if (closing.signal.aborted) throw closed;
      const [exists, length] = (await guard(() => execChecked(redis.multi().exists(keys.job(id)).llen(keys.logs(id))))) as [number, number];
      if (!exists) throw new JobNotFoundError(id);
      if (closing.signal.aborted) throw closed;
      const feed = feedFor(id, Math.min(from, length));
      const follower = feed.join(from);
      // A follower hands on at most `turnLines` lines per turn of the event loop. Every follower of
      // a job wakes at once; were each to hand on all it has in one go, a busy server would spend
      // seconds in one turn, with no socket written and no Redis reply read meanwhile, fall further
      // behind, and have still more to hand on next time (log-followers.bench.ts found it so).
      let handed = 0;
      try {
        while (!signal?.aborted) {
          if (follower.cursor < feed.start) {
            const read = await readPage(id, follower.cursor, Math.min(pageLines, feed.start - follower.cursor), signal);
            // Nothing where the reader already read: the log was deleted (retention), as the reader will find.
            if (read === undefined || read.lines.length === 0) return;
            const at = lineTimes(read.times, follower.cursor, read.lines.length);
            for (const [i, line] of read.lines.entries()) {
              if (handed >= turnLines) {
                handed = 0;
                await nextTurn();
              }
              const index = follower.cursor;
              follower.cursor += 1;
              handed += 1;
              yield toEntry(index, line, at[i]);
              if (signal?.aborted) return;
            }
            continue;
          }
          if (handed >= turnLines) {
            handed = 0;
            await nextTurn();
          }
          const entry = feed.entry(follower.cursor);
          if (entry) {
            follower.cursor += 1;
            handed += 1;
            yield entry;
            continue;
          }
          if (feed.done) return;
          if (feed.stopped) throw feed.failure ?? new StoreUnavailableError('The log reader stopped unexpectedly; follow the log again.');
          await feed.waitForChange(signal);
          // Woken with every other follower of the job: each starts in a turn of its own.
          handed = 0;
          await nextTurn();
        }
      } finally {
        feed.leave(follower);
        forget(feed);
      }
    },

    usage() {
      let heldEntries = 0;
      for (const feed of live) heldEntries += feed.held;
      return { readers: live.size, heldEntries };
    },

    close() {
      closing.abort();
      for (const feed of [...live]) feed.stop(closed);
      feeds.clear();
    },
  };
}
