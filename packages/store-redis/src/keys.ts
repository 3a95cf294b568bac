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
  /** Hash: the job's fields. */
  job(id: string): string;
  /** List: the job's log, one line per element. */
  logs(id: string): string;
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
    job: (id) => `${prefix}job:${id}`,
    logs: (id) => `${prefix}job:${id}:logs`,
    deploy: (id) => `${prefix}deploy:${id}`,
    events: (id) => `${prefix}job:${id}:events`,
  };
}
