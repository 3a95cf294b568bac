/**
 * The memory store's lists, counts and places in line. Jobs are kept in id order (ids sort by
 * creation time), so a page of the newest jobs is a binary search and a short walk; a filter
 * that matches few jobs walks further, and a count walks them all (this store holds one
 * process's jobs, in memory).
 */
import {
  JOB_STATES,
  decodeJobCursor,
  encodeJobCursor,
  jobSearchTerms,
  normalizeSearch,
  type Job,
  type JobCountQuery,
  type JobCounts,
  type JobListQuery,
  type JobPage,
  type NewJob,
} from '@docker-builder/core';

export interface MemoryJobQueries {
  /** Call once per new job, after it is stored. */
  add(job: NewJob): void;
  /** Call after every change of a job's state. */
  moved(job: Job): void;
  list(query: JobListQuery): JobPage;
  count(query: JobCountQuery): JobCounts;
  placesInLine(ids: readonly string[]): Map<string, number>;
}

export function createMemoryJobQueries(jobOf: (id: string) => Job): MemoryJobQueries {
  /** Ids in ascending order, which is creation order. */
  const order: string[] = [];
  /** A job's search terms never change: computed once. */
  const terms = new Map<string, ReadonlySet<string>>();
  /** Queued ids in ascending order: a place in line is a binary search. */
  const queued: string[] = [];

  const matcher = (query: Omit<JobListQuery, 'limit' | 'cursor'>) => {
    const search = query.search === undefined ? undefined : normalizeSearch(query.search);
    return (job: Job) =>
      (!query.kind || job.kind === query.kind) &&
      (!query.states?.length || query.states.includes(job.state)) &&
      (query.retryOf === undefined || job.retryOf === query.retryOf) &&
      (search === undefined || terms.get(job.id)!.has(search));
  };

  return {
    add(job) {
      order.splice(bound(order, job.id, true), 0, job.id);
      terms.set(job.id, new Set(jobSearchTerms(job)));
      queued.splice(bound(queued, job.id, true), 0, job.id);
    },

    moved(job) {
      const at = bound(queued, job.id);
      const present = queued[at] === job.id;
      if (job.state === 'queued' && !present) queued.splice(at, 0, job.id);
      else if (job.state !== 'queued' && present) queued.splice(at, 1);
    },

    list(query) {
      const limit = Math.max(1, Math.floor(query.limit));
      let position = order.length - 1;
      if (query.cursor) position = bound(order, decodeJobCursor(query.cursor)) - 1;
      const matches = matcher(query);
      const jobs: Job[] = [];
      let more = false;
      for (; position >= 0; position -= 1) {
        const job = jobOf(order[position]!);
        if (!matches(job)) continue;
        if (jobs.length === limit) {
          more = true;
          break;
        }
        jobs.push(structuredClone(job));
      }
      return { jobs, nextCursor: more ? encodeJobCursor(jobs[jobs.length - 1]!.id) : null };
    },

    count(query) {
      const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as JobCounts;
      const matches = matcher(query);
      for (const id of order) {
        const job = jobOf(id);
        if (matches(job)) counts[job.state] += 1;
      }
      return counts;
    },

    placesInLine(ids) {
      const places = new Map<string, number>();
      for (const id of ids) {
        const at = bound(queued, id);
        if (queued[at] === id) places.set(id, at + 1);
      }
      return places;
    },
  };
}

/** First index whose value is >= `value` (or > `value` when `after`): binary search. */
function bound(sorted: readonly string[], value: string, after = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value || (after && sorted[mid] === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
