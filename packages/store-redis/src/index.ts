/** @docker-builder/store-redis: the Redis JobStore, the BullMQ queue and worker, and the log doctor. */
export { createRedisJobStore, type RedisJobStoreOptions } from './redis-job-store.js';
export { storeKeys, type StoreKeys } from './keys.js';
export { createRedisConnection, redactRedisUrl, evictionPolicyWarning, type RedisRole } from './connection.js';
export { createBullMQJobQueue, DEFAULT_QUEUE_NAME, DEFAULT_BULL_PREFIX, type BullMQOptions, type QueuePayload } from './bullmq-job-queue.js';
export { createRedisWorker, DEFAULT_SHUTDOWN_DEADLINE_MS, type RedisWorker, type RedisWorkerOptions, type WorkerBuilder, type WorkerEvent } from './redis-worker.js';
export { runLogDoctor, type DoctorOptions, type DoctorReport, type DoctorFinding } from './log-doctor/doctor.js';
