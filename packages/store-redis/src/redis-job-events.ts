/**
 * The Redis store's job event feed: the scripts record each event in the stream `jobs:events`
 * (XADD, trimmed to about `maxEvents` entries) in the step that makes the change; this reads it
 * back. One shared reader per store instance (job-event-fan.ts) feeds every follower.
 */
import { DEFAULT_MAX_EVENTS, jobSubject, type FollowEventsOptions, type Job, type JobEvent, type JobFeedItem, type JobSubject } from '@docker-builder/core';
import type { Redis } from 'ioredis';
import { createEventFan } from './job-event-fan.js';
import { entryFields, missesEvents, storedSubject, toHeadline, toJobEvent, type HeadlineFields, type StreamEntry } from './job-event-entry.js';
import { followJobEvents, type FeedStart } from './follow-job-events.js';
import { pairsToObject } from './job-hash.js';
import type { StoreKeys } from './keys.js';
import type { StoreScripts } from './scripts.js';

export interface RedisJobEventsOptions {
  redis: Redis;
  keys: StoreKeys;
  scripts: StoreScripts;
  /** The store's guard: turns Redis failures into StoreUnavailableError. */
  guard: <T>(work: () => Promise<T>) => Promise<T>;
  maxEvents?: number;
}

export interface RedisJobEvents {
  readonly maxEvents: number;
  follow(options: FollowEventsOptions): AsyncGenerator<JobFeedItem>;
  lastEventId(): Promise<string>;
  /** Followers in this process, and whether the shared reader (with its connection) runs. */
  usage(): { followers: number; reading: boolean };
  close(): void;
}

const PAGE = 1_000;
/** Subjects of jobs made before jobs stored one, read from their spec once: a few, briefly. */
const SUBJECT_CACHE = 1_000;

export function createRedisJobEvents(options: RedisJobEventsOptions): RedisJobEvents {
  const { redis, keys, scripts, guard } = options;
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new RangeError(`maxEvents must be a whole number of at least 1, not ${maxEvents}`);
  const stream = keys.jobEvents;
  const subjects = new Map<string, JobSubject>();

  /** The subject of each job these fields name: stored with the job, or (for an older job) made from its spec. */
  const subjectsOf = async (jobs: HeadlineFields[]): Promise<Array<JobSubject>> => {
    const missing = [...new Set(jobs.filter((fields) => !storedSubject(fields) && !subjects.has(fields.job!)).map((fields) => fields.job!))];
    if (missing.length > 0) {
      const pipeline = redis.pipeline();
      for (const id of missing) pipeline.hmget(keys.job(id), 'kind', 'spec');
      const replies = (await pipeline.exec()) ?? [];
      missing.forEach((id, i) => {
        const [error, value] = replies[i] ?? [];
        const [kind, spec] = (error ? [null, null] : value) as [string | null, string | null];
        subjects.set(id, subjectFromSpec(kind, spec));
        if (subjects.size > SUBJECT_CACHE) subjects.delete(subjects.keys().next().value!);
      });
    }
    return jobs.map((fields) => storedSubject(fields) ?? subjects.get(fields.job!) ?? subjectFromSpec(fields.kind ?? null, null));
  };

  const toEvents = async (entries: StreamEntry[]): Promise<JobEvent[]> => {
    const fields = entries.map(entryFields);
    const known = await subjectsOf(fields.filter((f) => f.job));
    let next = 0;
    const events: JobEvent[] = [];
    entries.forEach(([id], i) => {
      if (!fields[i]!.job) return;
      const event = toJobEvent(id, fields[i]!, known[next++]!);
      if (event) events.push(event);
    });
    return events;
  };

  const head = async (after: string | undefined, jobId: string | undefined): Promise<FeedStart> => {
    const streamKeys = jobId === undefined ? [stream] : [stream, keys.job(jobId), keys.logs(jobId)];
    const [headId, first, added, length, job] = await guard(() => scripts.feedHead(streamKeys, []));
    const start: FeedStart = { head: headId, missed: after !== undefined && missesEvents(after, { head: headId, first, added: Number(added), length: Number(length) }) };
    if (jobId !== undefined) {
      const fields = job ? pairsToObject(job) : null;
      start.job = fields ? toHeadline(fields, (await guard(() => subjectsOf([fields])))[0]!) : null;
      start.logLength = fields ? Number(fields.logs ?? 0) : 0;
    }
    return start;
  };

  async function* range(after: string, until: string): AsyncGenerator<JobEvent[]> {
    let from = after;
    for (;;) {
      const entries = (await guard(() => redis.xrange(stream, `(${from}`, until, 'COUNT', PAGE))) as StreamEntry[];
      if (entries.length === 0) return;
      yield await guard(() => toEvents(entries));
      if (entries.length < PAGE) return;
      from = entries[entries.length - 1]![0];
    }
  }

  const fan = createEventFan({
    // A blocking read waits out a Redis restart rather than failing.
    connect: () => redis.duplicate({ maxRetriesPerRequest: null }),
    stream,
    position: async (after) => {
      const start = await head(after, undefined);
      return { head: start.head, missed: start.missed };
    },
    toEvents,
  });

  return {
    maxEvents,
    follow: (followOptions) =>
      followJobEvents(
        {
          fan: { join: (inbox) => guard(() => fan.join(inbox)) },
          start: head,
          range,
          maxQueued: maxEvents,
        },
        followOptions,
      ),
    lastEventId: async () => (await head(undefined, undefined)).head,
    usage: () => ({ followers: fan.followers, reading: fan.reading }),
    close: () => fan.close(),
  };
}

function subjectFromSpec(kind: string | null, spec: string | null): JobSubject {
  try {
    if (kind && spec) return jobSubject({ kind, spec: JSON.parse(spec) } as Job);
  } catch {
    // A spec that cannot be read names nothing; the event still says what happened to the job.
  }
  return kind === 'deploy' ? { services: [], images: [] } : { service: '', image: null, tags: [] };
}
