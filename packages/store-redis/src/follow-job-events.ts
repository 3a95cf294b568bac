/**
 * One follower of the event feed: joins the store's shared reader (job-event-fan.ts), reads
 * where the stream stands, catches up from `after` with XRANGE if it starts behind, then takes
 * what the reader hands it. Ids make the seam exact: an event is yielded only if it comes after
 * the last one yielded, so the catch-up and the reader may overlap without repeating anything.
 */
import type { FollowEventsOptions, JobEvent, JobFeedItem, JobFeedMark, JobHeadline } from '@docker-builder/core';
import { compareStreamIds } from './job-event-entry.js';
import type { EventFan, FanInbox } from './job-event-fan.js';

export interface FeedStart {
  head: string;
  /** Following on from `after` would miss events. */
  missed: boolean;
  /** With a job id: that job now, read with `head` in one step. */
  job?: JobHeadline | null;
  logLength?: number;
}

export interface FollowDeps {
  fan: Pick<EventFan, 'join'>;
  /** Where the stream stands, and (with `jobId`) the job, in one step. */
  start(after: string | undefined, jobId: string | undefined): Promise<FeedStart>;
  /** Events after `after` up to and including `until`, oldest first, a page at a time. */
  range(after: string, until: string): AsyncIterable<JobEvent[]>;
  /** Events a follower may have waiting before it counts as too far behind. */
  maxQueued: number;
}

interface Inbox extends FanInbox {
  /** Events up to this id are not wanted any more (the follower went on from it): never queued, never counted. */
  skipThrough(id: string): void;
  /** Everything delivered since the last take, or a note that some was lost; waits for either (or the end, or an abort). */
  take(signal: AbortSignal | undefined): Promise<{ events: JobEvent[]; lost: boolean; ended: boolean }>;
}

function createInbox(jobId: string | undefined, maxQueued: number): Inbox {
  let queue: JobEvent[] = [];
  let lost = false;
  let ended = false;
  let skip: string | undefined;
  /**
   * While the follower reads where the stream stands (at its start, after a reset), it cannot
   * yet tell what it needs: everything is kept, for one round trip, and sorted out by skipThrough.
   */
  let placing = true;
  let wake: (() => void) | undefined;
  return {
    jobId,
    skipThrough(id) {
      skip = id;
      placing = false;
      queue = queue.filter((event) => compareStreamIds(event.id, id) > 0);
    },
    deliver(delivered) {
      if (lost) return;
      const events = skip === undefined ? delivered : delivered.filter((event) => compareStreamIds(event.id, skip!) > 0);
      if (events.length === 0) return;
      if (!placing && queue.length + events.length > maxQueued) {
        // Too far behind: what it missed is dropped, and it is told so (a reset) when it next takes.
        queue = [];
        lost = true;
      } else {
        for (const event of events) queue.push(event);
      }
      wake?.();
    },
    lost() {
      queue = [];
      lost = true;
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async take(signal) {
      if (queue.length === 0 && !lost && !ended && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            signal?.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          };
          wake = done;
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      const taken = { events: queue, lost, ended };
      queue = [];
      if (lost) placing = true;
      lost = false;
      return taken;
    },
  };
}

export async function* followJobEvents(deps: FollowDeps, options: FollowEventsOptions): AsyncGenerator<JobFeedItem> {
  const { jobId, signal } = options;
  const after = options.after ?? undefined;
  if (signal?.aborted) return;
  const inbox = createInbox(jobId, deps.maxQueued);
  const leave = await deps.fan.join(inbox);
  try {
    const mark = (type: JobFeedMark['type'], start: FeedStart): JobFeedMark =>
      jobId === undefined ? { type, id: start.head } : { type, id: start.head, job: start.job ?? null, logLength: start.logLength ?? 0 };

    let start = await deps.start(after, jobId);
    if (signal?.aborted) return;
    // Up to the head, events come from the catch-up read (or are not wanted): the reader's copies would only repeat them.
    inbox.skipThrough(start.head);
    let last: string;
    if (after === undefined) {
      last = start.head;
      yield mark('ready', start);
    } else if (start.missed) {
      // It goes on from now, with the job as it is now (read in the same step as `head`).
      last = start.head;
      yield mark('reset', start);
    } else {
      last = after;
      yield { type: 'ready', id: after };
      for await (const page of deps.range(after, start.head)) {
        for (const event of page) {
          last = event.id;
          if (jobId !== undefined && event.job.id !== jobId) continue;
          yield event;
          if (signal?.aborted) return;
        }
      }
      if (compareStreamIds(start.head, last) > 0) last = start.head;
    }

    while (!signal?.aborted) {
      const taken = await inbox.take(signal);
      if (taken.ended || signal?.aborted) return;
      if (taken.lost) {
        start = await deps.start(undefined, jobId);
        last = start.head;
        // What the reader still has to hand over up to here is not wanted: it must not count as falling behind again.
        inbox.skipThrough(last);
        yield mark('reset', start);
        continue;
      }
      for (const event of taken.events) {
        if (compareStreamIds(event.id, last) <= 0) continue;
        last = event.id;
        yield event;
        if (signal?.aborted) return;
      }
    }
  } finally {
    leave();
  }
}
