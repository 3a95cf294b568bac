import { jobLogTimesContract, jobStoreContract } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { memoryLogRunsExamined } from '../src/memory-job-log.js';

jobStoreContract('memory', { makeStore: (overrides) => createMemoryJobStore(overrides) });
jobLogTimesContract('memory', {
  makeStore: () => createMemoryJobStore(),
  countWork: async (_store, call) => {
    const before = memoryLogRunsExamined();
    await call();
    return memoryLogRunsExamined() - before;
  },
});
