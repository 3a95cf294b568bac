import { jobStoreContract } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';

jobStoreContract('memory', { makeStore: (overrides) => createMemoryJobStore(overrides) });
