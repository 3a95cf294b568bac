import { createInProcessQueue } from '@docker-builder/core';
import { createScriptedRunner, jobQueueContract, runnerContract, buildSpec } from '@docker-builder/core/testing';

jobQueueContract('in-process', { makeQueue: (execute) => createInProcessQueue({ execute, concurrency: 4 }) });

runnerContract('scripted', {
  makeRunner: () =>
    createScriptedRunner({
      kind: 'build',
      script: (spec) =>
        spec.service === 'fails'
          ? [{ log: 'about to fail' }, { fail: 'step 2/3 failed: exit code 1' }]
          : spec.service === 'slow'
            ? [{ log: 'working' }, { sleep: 60_000 }]
            : [{ log: ['Step 1/2', 'Step 2/2'] }, { progress: 50 }, { progress: 100 }],
    }),
  cases: { succeeds: buildSpec(), fails: buildSpec({ service: 'fails' }), slow: buildSpec({ service: 'slow' }) },
});
