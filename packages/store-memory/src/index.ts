/** @docker-builder/store-memory: the in-memory JobStore (the embedded default). */
export { createMemoryJobStore, type MemoryJobStoreOptions } from './memory-job-store.js';
