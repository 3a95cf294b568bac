/** @docker-builder/core/testing: the contract suites every adapter runs, and test doubles. */
export { jobStoreContract, type JobStoreContractOptions } from './job-store-contract.js';
export { jobLogTimesContract, type JobLogTimesContractOptions } from './job-log-times-contract.js';
export { jobQueueContract, type JobQueueContractOptions } from './job-queue-contract.js';
export { runnerContract, recordingContext, type RunnerContractOptions, type RecordedContext } from './runner-contract.js';
export { expectReadinessShape } from './readiness-shape.js';
export { createScriptedRunner, type ScriptStep, type ScriptedRunner, type ScriptedRunnerOptions, type ScriptedRun } from './scripted-runner.js';
export { buildSpec, deploySpec, newJob, SEED_MAPPINGS } from './fixtures.js';
export { collect, delay, eventually, jobEnded } from './collect.js';
export { stripAnsi } from '../ansi.js';
export { createFaultyStore, type Fault, type FaultyStore } from './faulty-store.js';
