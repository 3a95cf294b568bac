/**
 * The Redis JobStore. Appending log lines is one RPUSH, and one ZADD for when (the same cost at
 * line 1 or line 1,000,000);
 * listing the newest jobs walks a sorted set from the top (the same cost with 100 or
 * 1,000,000 jobs); every state change is an atomic Lua script. Logs are followed live from
 * any process through pub/sub notifications, with polling as the safety net.
 */
import {
  JobNotFoundError,
  StoreUnavailableError,
  ValidationError,
  assertTransition,
  describeGroup,
  initialJob,
  isBuilderError,
  isTerminal,
  type ComponentHealth,
  type DeployMetadata,
  type ExpiredLease,
  type GroupState,
  type Job,
  type JobState,
  type JobStore,
  type JobTransition,
  type NewJob,
} from '@docker-builder/core';
import type { Redis } from 'ioredis';
import { createRedisConnection, evictionPolicyWarning, whenReady } from './connection.js';
import { fromHash, pairsToObject, toHashFields } from './job-hash.js';
import { createJobNotifications } from './job-notifications.js';
import { createRedisJobEvents } from './redis-job-events.js';
import { createLogFollowHub } from './log-follow-hub.js';
import { storeKeys } from './keys.js';
import { storeScripts } from './scripts.js';
import { createRedisJobQueries } from './redis-job-queries.js';
import { execChecked } from './checked-replies.js';
import { logTimesOf, readLogTimes } from './log-times.js';

export interface RedisJobStoreOptions {
  /** A Redis URL (the store opens and closes its own connection) or an ioredis instance (yours to close). */
  redis: string | Redis;
  /** Prepended to every key; default "docker-builder:". Use a hash tag ("{builder}:") on Redis Cluster. */
  prefix?: string;
  /** Finished jobs, their logs and deploy metadata expire after this many seconds; default: never. */
  retentionSeconds?: number;
  /** How often followers and cancel watchers re-read even without a notification; default 1000 ms. */
  pollIntervalMs?: number;
  /** About how many job events the stream `jobs:events` keeps for followers to resume from (trimmed approximately); default 10 000. */
  maxEvents?: number;
  /** How long log followers wait out Redis being unreachable before they fail with StoreUnavailableError; default 10,000 ms. */
  followOutageMs?: number;
  name?: string;
}

const LOG_PAGE = 1_000;

export function createRedisJobStore(options: RedisJobStoreOptions): JobStore & { readonly redis: Redis; readonly prefix: string } {
  const ownsConnection = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? createRedisConnection(options.redis, 'store') : options.redis;
  // The last connection error is the useful part of "unreachable" (ECONNREFUSED, auth…).
  let connectionError: string | undefined;
  redis.on('error', (error: Error) => (connectionError = error.message));
  redis.on('ready', () => (connectionError = undefined));
  const unreachable = () => `Redis is unreachable${connectionError ? ` (${connectionError})` : ''}`;
  const prefix = options.prefix ?? 'docker-builder:';
  const keys = storeKeys(prefix);
  const scripts = storeScripts(redis);
  // Subscribers retry forever: a follower waits out a Redis restart rather than failing.
  const notifications = createJobNotifications(() => redis.duplicate({ maxRetriesPerRequest: null }));
  const pollMs = options.pollIntervalMs ?? 1_000;
  const retention = options.retentionSeconds ?? 0;

  /**
   * Redis being unreachable, or refusing a command (out of memory, a key of the wrong type),
   * becomes a StoreUnavailableError (503) that says which; our own errors pass through.
   */
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isBuilderError(error)) throw error;
      if ((error as Error | undefined)?.name === 'ReplyError') {
        throw new StoreUnavailableError(`Redis refused a command: ${(error as Error).message}`, { cause: error });
      }
      throw new StoreUnavailableError(`${unreachable()}.`, { cause: error });
    }
  };

  const followers = createLogFollowHub({
    redis,
    keys,
    notifications,
    guard,
    pollMs,
    outageMs: options.followOutageMs ?? 10_000,
    pageLines: LOG_PAGE,
  });

  const queries = createRedisJobQueries({ redis, keys, scripts, prefix });

  /** One run of the transition script; `mode` '1': only if the lease expired; 'claim': see JobStore.claim. */
  const move = async (id: string, change: JobTransition, mode: '0' | '1' | 'claim'): Promise<{ job: Job; waiting: boolean } | null> => {
    for (const from of change.from) assertTransition(from, change.to);
    const result = await scripts.transition(
      [keys.job(id), keys.logs(id), keys.deploy(id), keys.leases, ...keys.allIndexes, keys.jobEvents, keys.expiring, keys.expiringIndexes, keys.logTimes(id)],
      [
        change.to,
        change.at,
        change.attempt === undefined ? '' : String(change.attempt),
        change.error ?? '',
        change.error === undefined ? '0' : '1',
        change.result === undefined ? '' : JSON.stringify(change.result),
        change.progress === undefined ? '' : String(change.progress),
        String(retention),
        keys.events(id),
        change.from.join(','),
        leaseArg(change.leaseMs),
        mode,
        change.cancelledBy === undefined ? '' : JSON.stringify(change.cancelledBy),
        maxEvents,
        ...(change.logs ?? []),
      ],
    );
    if (result === -1) throw new JobNotFoundError(id);
    if (result === 0 || !Array.isArray(result)) return null;
    const waiting = result[0] === 'waiting';
    return { job: fromHash(pairsToObject(waiting ? result.slice(1) : result))!, waiting };
  };

  const readGroupStates = async (names?: readonly string[]): Promise<GroupState[]> => {
    const registry = await redis.hgetall(keys.groups);
    const wanted = [...(names ?? Object.keys(registry))].filter((name) => registry[name] !== undefined).sort();
    if (wanted.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const name of wanted) pipeline.smembers(keys.groupHolders(name)).zrangebylex(keys.groupWaiting(name), '-', '+');
    const replies = (await execChecked(pipeline)) as string[][];
    return wanted
      .map((name, i) => {
        const { limit, policy } = JSON.parse(registry[name]!) as Pick<GroupState, 'limit' | 'policy'>;
        return { name, limit, policy, holders: replies[i * 2]!.sort(), waiting: replies[i * 2 + 1]! };
      })
      .filter((group) => names !== undefined || group.holders.length > 0 || group.waiting.length > 0);
  };

  const readJob = async (id: string) => fromHash(await redis.hgetall(keys.job(id)));
  const mustExist = async (id: string) => {
    if (!(await redis.exists(keys.job(id)))) throw new JobNotFoundError(id);
  };
  // The job event feed: recorded by the scripts below, read back by one shared reader (redis-job-events.ts).
  const events = createRedisJobEvents({ redis, keys, scripts, guard, maxEvents: options.maxEvents });
  const maxEvents = String(events.maxEvents);

  return {
    name: options.name ?? 'redis',
    redis,
    prefix,

    create: (input: NewJob, createOptions = {}) =>
      guard(async () => {
        const job = initialJob(input);
        const deploy = job.kind === 'deploy' ? JSON.stringify(job.spec.mappings) : '';
        const indexes = queries.indexesOf(job);
        const created = await scripts.create(
          [
            keys.job(job.id), keys.ids, keys.index(job.kind, 'queued'), keys.deploy(job.id), keys.leases, keys.jobEvents,
            keys.index(job.kind === 'build' ? 'deploy' : 'build', 'queued'), keys.job(job.retryOf ?? job.id), keys.groups, ...indexes,
            // It joins its groups' lines as it is created: nobody submitted later can start ahead of it.
            ...job.groups.map(({ name }) => keys.groupWaiting(name)),
          ],
          [
            job.id, deploy, JSON.stringify(job.user), leaseArg(createOptions.leaseMs), maxEvents, job.retryOf ? '1' : '0',
            ...toHashFields(job),
            // The sets it is found by, one per line: what the sweep takes it out of once retention removes it.
            'indexedIn', indexes.join('\n'),
            // Where the scripts find its groups (scripts.ts, GROUPS).
            'groupKeys', JSON.stringify(job.groups.map(({ name }) => [keys.groupHolders(name), keys.groupWaiting(name), describeGroup(name)])),
          ],
        );
        if (created !== 1) throw new ValidationError([{ path: 'id', message: `job ${job.id} already exists` }]);
        return job;
      }),

    get: (id) => guard(() => readJob(id)),

    list: (query) => guard(() => queries.list(query)),
    count: (query) => guard(() => queries.count(query)),
    placesInLine: (ids) => guard(() => queries.placesInLine(ids)),

    transition: (id, change: JobTransition) => guard(async () => (await move(id, change, change.ifLeaseExpired ? '1' : '0'))?.job ?? null),

    claim: (id, claim) =>
      guard(async () => {
        const moved = await move(id, { from: ['queued'], to: 'running', at: claim.at, leaseMs: claim.leaseMs }, 'claim');
        return moved && { job: moved.job, started: !moved.waiting };
      }),

    groupStates: (names) => guard(() => readGroupStates(names)),


    setProgress: (id, progress, fence) =>
      guard(
        async () =>
          (await scripts.setProgress([keys.job(id), keys.logs(id), keys.jobEvents], [String(fence.attempt), String(progress), keys.events(id), maxEvents])) === 1,
      ),

    renewLease: (id, leaseMs, fence) =>
      guard(async () => {
        const result = await scripts.renewLease([keys.job(id), keys.leases], [id, String(fence.attempt), leaseArg(leaseMs)]);
        if (result === -1) throw new JobNotFoundError(id);
        return result === 1;
      }),

    expiredLeases: (limit) =>
      guard(async (): Promise<ExpiredLease[]> => {
        const [, pairs] = await scripts.expiredLeases([keys.leases], [String(Math.max(0, Math.floor(limit)))]);
        if (pairs.length === 0) return [];
        const pipeline = redis.pipeline();
        for (let i = 0; i < pairs.length; i += 2) pipeline.hmget(keys.job(pairs[i]!), 'state', 'attempt');
        const fields = (await execChecked(pipeline)) as Array<[string | null, string | null]>;
        const expired: ExpiredLease[] = [];
        const gone: string[] = [];
        fields.forEach(([state, attempt], i) => {
          const id = pairs[i * 2]!;
          if (state === null || isTerminal(state as JobState)) gone.push(id);
          else expired.push({ id, state: state as JobState, attempt: Number(attempt), expiredAt: new Date(Number(pairs[i * 2 + 1])).toISOString() });
        });
        // A job deleted by hand (or expired by retention) holds no lease any more.
        if (gone.length > 0) await redis.zrem(keys.leases, ...gone);
        return expired;
      }),

    requestCancel: (id, at, by) =>
      guard(async () => {
        const result = await scripts.requestCancel([keys.job(id), keys.logs(id), keys.jobEvents], [at, keys.events(id), JSON.stringify(by ?? null), maxEvents]);
        if (result === -1) throw new JobNotFoundError(id);
        return Array.isArray(result) ? fromHash(pairsToObject(result)) : null;
      }),

    async watchCancel(id, signal) {
      const listener = await notifications.listen(keys.events(id));
      try {
        for (;;) {
          signal.throwIfAborted();
          const requested = await redis.hget(keys.job(id), 'cancelRequestedAt').catch(() => null);
          if (requested) return;
          await listener.next(signal, pollMs);
        }
      } finally {
        listener.close();
      }
    },

    appendLogs: (id, lines, fence) =>
      guard(async () => {
        const length = await scripts.appendLogs(
          [keys.job(id), keys.logs(id), keys.logTimes(id)],
          [fence === undefined ? '' : String(fence.attempt), keys.events(id), ...lines],
        );
        if (length === -1) throw new JobNotFoundError(id);
        return length === -2 ? null : length;
      }),

    readLogs: (id, { from, limit }) =>
      guard(async () => {
        await mustExist(id);
        const start = logIndex(from);
        const take = limit === undefined ? -1 : logIndex(limit);
        // Only a length was asked for: LLEN, not a read of the whole log.
        if (take === 0) return { lines: [], next: start, total: await redis.llen(keys.logs(id)), times: [] };
        const [lines, total, atOrBefore, inside] = (await execChecked(
          readLogTimes(
            redis
              .multi()
              .lrange(keys.logs(id), start, take === -1 ? -1 : start + take - 1)
              .llen(keys.logs(id)),
            keys.logTimes(id),
            start,
            take === -1 ? null : take,
          ),
        )) as [string[], number, string[], string[]];
        return { lines, next: start + lines.length, total, times: logTimesOf(atOrBefore, inside, start, lines.length) };
      }),

    // One reader per job for all of this store's followers (log-follow-hub.ts).
    followLogs: (id, { from, signal }) => followers.follow(id, logIndex(from), signal),

    followEvents: (followOptions = {}) => events.follow(followOptions),
    lastEventId: () => events.lastEventId(),

    getDeployMetadata: (id) =>
      guard(async (): Promise<DeployMetadata | null> => {
        const hash = await redis.hgetall(keys.deploy(id));
        if (!hash.mappings) return null;
        return { mappings: JSON.parse(hash.mappings) as Record<string, string>, user: JSON.parse(hash.user || 'null') as DeployMetadata['user'] };
      }),

    async health(): Promise<ComponentHealth> {
      const started = Date.now();
      try {
        // While disconnected a command would wait out its retries; give the connection a moment instead.
        await whenReady(redis, 1_000, { failOnError: true });
        await redis.ping();
        const latencyMs = Date.now() - started;
        const info = await redis.info('server');
        const version = /redis_version:(\S+)/.exec(info)?.[1];
        const jobs = await redis.zcard(keys.ids);
        const warning = await evictionPolicyWarning(redis);
        return {
          name: this.name,
          ok: true,
          ...(warning ? { message: warning } : {}),
          details: { reachable: true, version, latencyMs, prefix, jobs, retentionSeconds: retention || null, eventFollowers: events.usage().followers },
        };
      } catch {
        return {
          name: this.name,
          ok: false,
          message: `${unreachable()}. Check REDIS_URL and that Redis is running.`,
          details: { reachable: false, prefix },
        };
      }
    },

    async close() {
      events.close();
      followers.close();
      await notifications.close();
      if (ownsConnection) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function leaseArg(ms: number | undefined): string {
  return ms === undefined ? '' : String(Math.max(0, Math.ceil(ms)));
}

/** A log position Redis accepts: a whole number from 0 to 2^53 − 1 (LRANGE would refuse 1e23). */
function logIndex(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER);
}
