/**
 * Every Redis key and channel the store uses, in one place. The names keep the seed's
 * (`jobs:ids`, `job:<id>`, `deploy:<id>`) under a configurable prefix, so operators can
 * still look with redis-cli. A prefix with a hash tag (`{builder}:`) keeps every key in one
 * Redis Cluster slot, which the Lua scripts need.
 */
import { JOB_KINDS, JOB_STATES, type JobKind, type JobState } from '@docker-builder/core';

export interface StoreKeys {
  /** Sorted set of every job id (all scores 0, so members sort by id, which is creation time). */
  ids: string;
  /** Sorted set of unfinished jobs by when their lease runs out (ms, by Redis's clock). */
  leases: string;
  /** Stream: the job event feed (created, started, progress, finished…), the newest entries only. */
  jobEvents: string;
  /** The same, one set per kind and state: the filters of `list`. */
  index(kind: JobKind, state: JobState): string;
  /** All index sets, in the order the Lua scripts expect (kind-major, then state). */
  allIndexes: string[];
  /** Sorted set per search term (see core's jobSearchTerms), all scores 0: the jobs a search finds. */
  term(term: string): string;
  /** Sorted set, all scores 0: the jobs that retry this one. */
  retries(id: string): string;
  /**
   * Sorted set of finished jobs by when retention removes them (ms, by Redis's clock), and a hash
   * of the sets each is indexed in: what the sweep takes them out of once they are gone.
   */
  expiring: string;
  expiringIndexes: string;
  /** Hash: concurrency group name → its limit and policy (JSON), as the newest job of the group set them. */
  groups: string;
  /** Set: the running jobs that hold a slot of the group. */
  groupHolders(name: string): string;
  /** Sorted set, all scores 0: the group's queued jobs, in submission order. */
  groupWaiting(name: string): string;
  /** Hash: the job's fields. */
  job(id: string): string;
  /** List: the job's log, one line per element. */
  logs(id: string): string;
  /**
   * Sorted set: when the log's lines were stored, one member per append (`<from>:<ms>`, scored by
   * `from`, the index of its first line; the time by Redis's clock). A line's time is the run at
   * or before it: one ZREVRANGEBYSCORE, as cheap at line 100,000 as at line 100.
   */
  logTimes(id: string): string;
  /** Hash: `mappings` (JSON) and `user` of a deploy, as the seed stored them. */
  deploy(id: string): string;
  /** Pub/sub channel: "logs", "state", "progress" or "cancel" when the job changes. */
  events(id: string): string;
}

export function storeKeys(prefix: string): StoreKeys {
  const index = (kind: JobKind, state: JobState) => `${prefix}jobs:kind:${kind}:state:${state}`;
  return {
    ids: `${prefix}jobs:ids`,
    leases: `${prefix}jobs:leases`,
    jobEvents: `${prefix}jobs:events`,
    index,
    allIndexes: JOB_KINDS.flatMap((kind) => JOB_STATES.map((state) => index(kind, state))),
    term: (term) => `${prefix}jobs:term:${term}`,
    retries: (id) => `${prefix}job:${id}:retries`,
    expiring: `${prefix}jobs:expiring`,
    expiringIndexes: `${prefix}jobs:expiring:indexes`,
    groups: `${prefix}groups`,
    groupHolders: (name) => `${prefix}group:${name}:holders`,
    groupWaiting: (name) => `${prefix}group:${name}:waiting`,
    job: (id) => `${prefix}job:${id}`,
    logs: (id) => `${prefix}job:${id}:logs`,
    logTimes: (id) => `${prefix}job:${id}:logtimes`,
    deploy: (id) => `${prefix}deploy:${id}`,
    events: (id) => `${prefix}job:${id}:events`,
  };
}
