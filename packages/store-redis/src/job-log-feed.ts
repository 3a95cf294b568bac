/**
 * One job's log as one store instance reads it for all of that instance's followers: a single
 * reader that reads each new line once, and a window of the lines it read last, from which
 * every follower takes the same entries. The window is bounded: a follower that is further
 * behind than the window reaches reads the lines it missed itself (log-follow-hub.ts), so a
 * client that stops reading holds back no one and holds no memory but its position.
 */
import { isTerminal, type JobState, type LogEntry, type LogTime } from '@docker-builder/core';
import type { ChangeListener } from './job-notifications.js';
import { lineTimes } from './log-times.js';

/** One read of the reader: lines from a position, when they were stored, and the job's state seen in the same transaction. */
export interface FeedRead {
  lines: string[];
  /** The runs over these lines (log-times.ts's `logTimesOf`). */
  times: LogTime[];
  /** Null when the job is gone (expired or deleted). */
  state: string | null;
}

export interface JobLogFeedOptions {
  /** The index the reader reads first: never past the log's end, so every index below it exists. */
  start: number;
  /** Reads up to `pageLines` lines from `from`; undefined when `signal` aborted first. */
  read(from: number, signal: AbortSignal): Promise<FeedRead | undefined>;
  /** Subscribes to the job's changes; the subscription is in place when it resolves. */
  listen(): Promise<ChangeListener>;
  toEntry(index: number, line: string, at: number | undefined): LogEntry;
  pollMs: number;
  pageLines: number;
  /** The most lines kept for followers that have not taken them yet. */
  windowLines: number;
  /** Called once, when the reader has stopped for good (no follower left, the job ended, a failure). */
  onStopped(): void;
}

/** A follower's place: the index of the next line it wants. */
export interface FeedFollower {
  cursor: number;
}

export interface JobLogFeed {
  /** The first index still in the window; a follower below it reads its lines itself. */
  readonly start: number;
  /** The index after the last line read so far. */
  readonly end: number;
  /** True once the job has ended and every line of its log was read. */
  readonly done: boolean;
  /** Why the reader stopped, if it failed; every follower of this feed fails with it. */
  readonly failure: unknown;
  /** True once the reader has stopped (done, failed, closed, or no follower left). */
  readonly stopped: boolean;
  /** The entry at `index`, when the window holds it. */
  entry(index: number): LogEntry | undefined;
  join(cursor: number): FeedFollower;
  leave(follower: FeedFollower): void;
  /** Resolves when the feed changes (lines, the end, a failure) or `signal` aborts. */
  waitForChange(signal: AbortSignal | undefined): Promise<void>;
  /** Stops the reader; followers then fail with `failure`. */
  stop(failure: unknown): void;
  /** Entries held now: bounded by windowLines plus one read. */
  readonly held: number;
  readonly followers: number;
}

export function createJobLogFeed(options: JobLogFeedOptions): JobLogFeed {
  const { pageLines, windowLines } = options;
  let start = options.start;
  let entries: LogEntry[] = [];
  let done = false;
  let failure: unknown;
  let stopped = false;
  const followers = new Set<FeedFollower>();
  const halt = new AbortController();

  // Everyone waiting shares one promise, replaced at each change: waking 100 followers is one resolve.
  let changed = deferred();
  const notify = () => {
    const current = changed;
    changed = deferred();
    current.resolve();
  };

  // The reader reads only while a follower waits for lines it does not have: a log with a long
  // backlog is read at the pace of its fastest follower, never ahead of every one of them.
  let waiting = 0;
  let wakeReader: (() => void) | undefined;
  const demand = () =>
    waiting > 0 || stopped
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          wakeReader = () => {
            wakeReader = undefined;
            resolve();
          };
        });

  const end = () => start + entries.length;

  /** Drops what no follower in the window still needs, and anything past the window's size. */
  const trim = () => {
    let keepFrom = end();
    for (const follower of followers) {
      if (follower.cursor >= start && follower.cursor < keepFrom) keepFrom = follower.cursor;
    }
    keepFrom = Math.max(keepFrom, end() - windowLines);
    if (keepFrom > start) {
      entries = entries.slice(keepFrom - start);
      start = keepFrom;
    }
  };

  const append = ({ lines, times }: FeedRead) => {
    if (lines.length === 0) return;
    const from = end();
    const at = lineTimes(times, from, lines.length);
    for (let i = 0; i < lines.length; i += 1) entries.push(options.toEntry(from + i, lines[i]!, at[i]));
    trim();
    notify();
  };

  const finish = () => {
    if (halt.signal.aborted) return;
    stopped = true;
    halt.abort();
    wakeReader?.();
    notify();
  };

  const run = async () => {
    let listener: ChangeListener | undefined;
    try {
      // Subscribed before the first read, so no change between that read and the wait is missed.
      listener = await options.listen();
      while (!stopped) {
        await demand();
        if (stopped) break;
        const read = await options.read(end(), halt.signal);
        if (read === undefined || stopped) break;
        append(read);
        if (read.lines.length === pageLines) continue;
        // The lines and the state come from one transaction, so "ended" here means "and these were the last".
        if (read.state === null || isTerminal(read.state as JobState)) {
          done = true;
          break;
        }
        await listener.next(halt.signal, options.pollMs);
      }
    } catch (error) {
      if (!stopped) failure = error;
    } finally {
      listener?.close();
      finish();
      options.onStopped();
    }
  };
  void run();

  return {
    get start() {
      return start;
    },
    get end() {
      return end();
    },
    get done() {
      return done;
    },
    get failure() {
      return failure;
    },
    get stopped() {
      return stopped;
    },
    get held() {
      return entries.length;
    },
    get followers() {
      return followers.size;
    },
    entry(index) {
      return index >= start ? entries[index - start] : undefined;
    },
    join(cursor) {
      const follower = { cursor };
      followers.add(follower);
      return follower;
    },
    leave(follower) {
      followers.delete(follower);
      if (followers.size === 0) finish();
    },
    async waitForChange(signal) {
      if (stopped || signal?.aborted) return;
      waiting += 1;
      wakeReader?.();
      let onAbort: (() => void) | undefined;
      try {
        await new Promise<void>((resolve) => {
          onAbort = resolve;
          signal?.addEventListener('abort', onAbort, { once: true });
          void changed.promise.then(resolve);
        });
      } finally {
        waiting -= 1;
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
    stop(reason) {
      if (stopped) return;
      failure = reason;
      finish();
    },
  };
}

/** Promise.withResolvers, which Node 20 lacks. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
