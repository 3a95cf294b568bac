/**
 * Redis connections with the settings each role needs. BullMQ workers block and must retry
 * forever (`maxRetriesPerRequest: null`); producers and the API server must fail fast, so a
 * request is answered 503 instead of hanging while Redis is down.
 */
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'worker' | 'producer' | 'store';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
  store: { maxRetriesPerRequest: 2 },
};

export function createRedisConnection(url: string, role: RedisRole, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...ROLE_OPTIONS[role],
    ...options,
  });
}

/** The URL with any password replaced, for logs and `_debug`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparseable URL)';
  }
}

/**
 * BullMQ loses jobs when Redis evicts keys under memory pressure. Returns a warning to show
 * at start when the policy is not `noeviction`, or null when it is (or cannot be read, as on
 * managed Redis that forbids CONFIG).
 */
export async function evictionPolicyWarning(redis: Redis): Promise<string | null> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy && policy !== 'noeviction') {
      return `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict queued jobs. Set it to "noeviction".`;
    }
  } catch {
    // CONFIG is often disabled on managed Redis; nothing to check then.
  }
  return null;
}

/**
 * Resolves once the connection is ready; rejects after `ms`, and with `failOnError` at its
 * next error too. Commands on a connection that is not ready would wait out their retries
 * (or fail at once with the offline queue off); this gives a fresh one a moment instead.
 */
export function whenReady(redis: Redis, ms: number, options: { failOnError?: boolean } = {}): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new Error(`not connected (${redis.status})`)), ms);
    redis.once('ready', onReady);
    if (options.failOnError) redis.once('error', done);
  });
}
