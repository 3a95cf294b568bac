/** @docker-builder/store-redis: the Redis JobStore, the BullMQ queue and worker, and the log doctor. */
export { createRedisJobStore, type RedisJobStoreOptions } from './redis-job-store.js';
export { storeKeys, type StoreKeys } from './keys.js';
export { createRedisConnection, redactRedisUrl, evictionPolicyWarning, type RedisRole } from './connection.js';
