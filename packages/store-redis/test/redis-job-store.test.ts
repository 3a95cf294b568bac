import { inject } from 'vitest';
import { jobStoreContract } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

jobStoreContract('redis', {
  makeStore: () => createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('contract'), pollIntervalMs: 200 }),
});
