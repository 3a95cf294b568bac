/**
 * The Redis store's lists, counts and places in line. A list walks one sorted set from the top
 * (all scores 0, so members sort by id, which is creation time): every job, the index set of a
 * kind and state, a search term's set or a job's retries; filters the set does not answer are
 * checked on the jobs read. Counts are set sizes, or for a search the size of its set's
 * intersection with each index set. Jobs removed by retention are swept out of every set first,
 * so a count never includes them.
 */
import {
  JOB_KINDS,
  JOB_STATES,
  decodeJobCursor,
  encodeJobCursor,
  jobSearchTerms,
  normalizeSearch,
  type Job,
  type JobCountQuery,
  type JobCounts,
  type JobKind,
  type JobListQuery,
  type JobPage,
  type JobState,
  type NewJob,
} from '@docker-builder/core';
import type { Redis } from 'ioredis';
import { execChecked } from './checked-replies.js';
import { fromHash } from './job-hash.js';
import type { StoreKeys } from './keys.js';
import type { StoreScripts } from './scripts.js';

/** Jobs read per round when a filter is checked on the jobs themselves. */
const FILTERED_BATCH = 200;
/** Finished jobs looked at per sweep: a sweep is one short script. */
const SWEEP_BATCH = 1_000;

export interface RedisJobQueries {
  /** The sets a new job is found by (its retries set first when it retries one), for the create script. */
  indexesOf(job: NewJob): string[];
  list(query: JobListQuery): Promise<JobPage>;
  count(query: JobCountQuery): Promise<JobCounts>;
  placesInLine(ids: readonly string[]): Promise<Map<string, number>>;
}

export function createRedisJobQueries(deps: { redis: Redis; keys: StoreKeys; scripts: StoreScripts; prefix: string }): RedisJobQueries {
  const { redis, keys, scripts, prefix } = deps;

  const sweep = async () => {
    // Until one sweep finds fewer than a batch: normally one round.
    while ((await scripts.sweep([keys.expiring, keys.expiringIndexes, keys.ids, ...keys.allIndexes], [SWEEP_BATCH, prefix])) >= SWEEP_BATCH);
  };

  const forgetExpired = async (sets: string[], ids: string[]) => {
    const pipeline = redis.pipeline();
    for (const set of sets) pipeline.zrem(set, ...ids);
    await execChecked(pipeline);
  };

  return {
    indexesOf(job) {
      return [...(job.retryOf ? [keys.retries(job.retryOf)] : []), ...jobSearchTerms(job).map((term) => keys.term(term))];
    },

    async list(query) {
      const limit = Math.max(1, Math.floor(query.limit));
      const search = query.search === undefined ? undefined : normalizeSearch(query.search);
      // The set that answers the most of the query; whatever it does not answer is checked on each job.
      const walked = query.retryOf !== undefined ? [keys.retries(query.retryOf)] : search !== undefined ? [keys.term(search)] : indexSets(keys, query.kind, query.states);
      const filtered = query.retryOf !== undefined || search !== undefined;
      const matches = (job: Job) =>
        (!query.kind || job.kind === query.kind) &&
        (!query.states?.length || query.states.includes(job.state)) &&
        (query.retryOf === undefined || job.retryOf === query.retryOf) &&
        (search === undefined || jobSearchTerms(job).includes(search));

      let upper = query.cursor ? `(${decodeJobCursor(query.cursor)}` : '+';
      const jobs: Job[] = [];
      // Normally one round: ids whose job has expired (retention) are dropped and the walk goes on.
      while (jobs.length <= limit) {
        const want = filtered ? Math.max(FILTERED_BATCH, limit + 1 - jobs.length) : limit + 1 - jobs.length;
        const batches = await Promise.all(walked.map((set) => redis.zrevrangebylex(set, upper, '-', 'LIMIT', 0, want)));
        const ids = [...new Set(batches.flat())].sort().reverse().slice(0, want);
        if (ids.length === 0) break;
        const pipeline = redis.pipeline();
        for (const id of ids) pipeline.hgetall(keys.job(id));
        const hashes = (await execChecked(pipeline)) as Array<Record<string, string>>;
        const gone: string[] = [];
        ids.forEach((id, i) => {
          const job = fromHash(hashes[i] ?? {});
          if (!job) gone.push(id);
          else if (jobs.length <= limit && matches(job)) jobs.push(job);
        });
        if (gone.length > 0) await forgetExpired([...new Set([keys.ids, ...keys.allIndexes, ...walked])], gone);
        upper = `(${ids[ids.length - 1]}`;
        if (ids.length < want) break;
      }
      const more = jobs.length > limit;
      if (more) jobs.length = limit;
      return { jobs, nextCursor: more ? encodeJobCursor(jobs[jobs.length - 1]!.id) : null };
    },

    async count(query) {
      await sweep();
      const kinds: readonly JobKind[] = query.kind ? [query.kind] : JOB_KINDS;
      const sets = kinds.flatMap((kind) => JOB_STATES.map((state) => keys.index(kind, state)));
      let sizes: number[];
      if (query.search === undefined) {
        const pipeline = redis.pipeline();
        for (const set of sets) pipeline.zcard(set);
        sizes = (await execChecked(pipeline)) as number[];
      } else {
        const scratch = `${prefix}jobs:scratch:${process.pid}:${Math.random().toString(36).slice(2)}`;
        sizes = await scripts.countMatches([scratch, keys.term(normalizeSearch(query.search)), ...sets], []);
      }
      const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as JobCounts;
      sizes.forEach((size, i) => (counts[JOB_STATES[i % JOB_STATES.length]!] += Number(size)));
      return counts;
    },

    async placesInLine(ids) {
      const places = new Map<string, number>();
      if (ids.length === 0) return places;
      const queued = JOB_KINDS.map((kind) => keys.index(kind, 'queued'));
      const pipeline = redis.pipeline();
      for (const id of ids) {
        for (const set of queued) pipeline.zscore(set, id);
        // Queued jobs never expire (only finished ones do), so the queued sets hold only live jobs.
        for (const set of queued) pipeline.zlexcount(set, '-', `(${id}`);
      }
      const replies = (await execChecked(pipeline)) as Array<string | number | null>;
      const per = queued.length * 2;
      ids.forEach((id, i) => {
        const reply = replies.slice(i * per, (i + 1) * per);
        if (reply.slice(0, queued.length).every((score) => score === null)) return;
        places.set(id, 1 + reply.slice(queued.length).reduce<number>((sum, count) => sum + Number(count), 0));
      });
      return places;
    },
  };
}

/** The sorted sets to walk: all jobs, or the index sets that match the filters. */
function indexSets(keys: StoreKeys, kind: JobKind | undefined, states: readonly JobState[] | undefined): string[] {
  if (!kind && !states?.length) return [keys.ids];
  const kinds: readonly JobKind[] = kind ? [kind] : JOB_KINDS;
  const wanted: readonly JobState[] = states?.length ? states : JOB_STATES;
  return kinds.flatMap((k) => wanted.map((state) => keys.index(k, state)));
}
