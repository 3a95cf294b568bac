/**
 * The job event feed: every store records an event in the same step as the change it reports
 * (a job created, started, finished, queued again, asked to stop, its progress, found waiting
 * for a concurrency group), so whoever
 * writes (the server, any worker process) publishes it, and anyone can follow it from a position.
 */
import type { JobHeadline } from '../job-headline.js';

export const JOB_EVENT_TYPES = ['created', 'started', 'progress', 'finished', 'requeued', 'cancel-requested', 'waiting'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

export interface JobEvent {
  /** Opaque and ordered within one store: pass it as `after` to follow on from here. */
  id: string;
  type: JobEventType;
  /** The job right after the change. */
  job: JobHeadline;
  /** How many lines the job's log held right after the change: a log follower shows the event after that line. */
  logLength: number;
  /** On `created` and `requeued`: the job's place in line as it joined (1 for the next to start; see JobStore.placesInLine). */
  placeInLine?: number;
}

/**
 * Where a feed starts, and where it starts again. `ready`: from `after` (nothing was missed) or,
 * without one, from now. `reset`: events after `after` are no longer kept (or `after` was never
 * an id of this store), or this follower fell too far behind; the feed goes on from now, and
 * whoever shows jobs should read them again.
 */
export interface JobFeedMark {
  type: 'ready' | 'reset';
  /** The position the feed goes on from: pass it as `after` to resume from here. */
  id: string;
  /**
   * Only when following one job and the feed starts from now (no `after`, or a reset): that job
   * as it is at this position (null when there is no such job), read in the same step.
   */
  job?: JobHeadline | null;
  /** With `job`: its log's length at this position. */
  logLength?: number;
}

export type JobFeedItem = JobEvent | JobFeedMark;

export interface FollowEventsOptions {
  /** Follow on from just after this event id; absent: from now. */
  after?: string | null;
  /** Only this job's events. */
  jobId?: string;
  signal?: AbortSignal;
}

export function isFeedMark(item: JobFeedItem): item is JobFeedMark {
  return item.type === 'ready' || item.type === 'reset';
}

/** Events a store keeps to follow on from, unless told otherwise. */
export const DEFAULT_MAX_EVENTS = 10_000;
