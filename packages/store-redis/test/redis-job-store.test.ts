import { inject } from 'vitest';
import { jobStoreContract } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

jobStoreContract('redis', {
  makeStore: (overrides) => createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('contract'), pollIntervalMs: 200, ...overrides }),
  // Another process's store: its own connections, the same Redis and prefix.
  makePeer: (store) => createRedisJobStore({ redis: inject('redisUrl'), prefix: (store as ReturnType<typeof createRedisJobStore>).prefix, pollIntervalMs: 200 }),
});
