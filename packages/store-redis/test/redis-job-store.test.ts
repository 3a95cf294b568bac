import { inject } from 'vitest';
import { jobLogTimesContract, jobStoreContract } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

jobStoreContract('redis', {
  makeStore: (overrides) => createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('contract'), pollIntervalMs: 200, ...overrides }),
  // Another process's store: its own connections, the same Redis and prefix.
  makePeer: (store) => createRedisJobStore({ redis: inject('redisUrl'), prefix: (store as ReturnType<typeof createRedisJobStore>).prefix, pollIntervalMs: 200 }),
});

type RedisStore = ReturnType<typeof createRedisJobStore>;
jobLogTimesContract('redis', {
  makeStore: () => createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('log-times'), pollIntervalMs: 200 }),
  // The bytes the store's connection sent and received: what a read costs Redis and the network.
  countWork: async (store, call) => {
    const { stream } = (store as RedisStore).redis;
    const before = stream.bytesRead + stream.bytesWritten;
    await call();
    return stream.bytesRead + stream.bytesWritten - before;
  },
});
