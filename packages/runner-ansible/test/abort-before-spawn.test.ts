/**
 * The narrowest gap of all, hit on purpose rather than by a sweep of timings: an abort that lands
 * in the runner's last await before the spawn (writing the vars file). No listener exists yet
 * to see it, so only a check of the signal after that await keeps the playbook from starting.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished, vi } from 'vitest';
import { delay, deploySpec, recordingContext } from '@docker-builder/core/testing';
import { createAnsibleRunner } from '@docker-builder/runner-ansible';
import type * as VarsFile from '../src/vars-file.js';
import { isolatedRun } from './isolated-run.js';

const whileWritingVars = vi.hoisted(() => ({ hook: (): void => undefined }));
vi.mock('../src/vars-file.ts', async (importOriginal) => {
  const original = await importOriginal<typeof VarsFile>();
  return {
    ...original,
    writeVarsFile: async (...args: Parameters<typeof original.writeVarsFile>) => {
      const vars = await original.writeVarsFile(...args);
      whileWritingVars.hook();
      return vars;
    },
  };
});

it('starts no playbook when the abort lands while the vars file is written, just before the spawn', async () => {
  const run = isolatedRun('abort-before-spawn');
  onTestFinished(run.cleanUp);
  const runner = createAnsibleRunner({ playbook: fileURLToPath(new URL('./playbooks/scripted.yml', import.meta.url)), tmpDir: run.dir, env: run.env });
  const controller = new AbortController();
  whileWritingVars.hook = () => controller.abort(new Error('cancelled just before the spawn'));
  const context = recordingContext(controller.signal);

  const outcome = await Promise.race([
    runner.run(deploySpec({ hang: 'x:1' }), context).then(() => 'resolved', (e: Error) => e.message),
    delay(5_000).then(() => 'still running 5 s after the abort'),
  ]);
  expect(outcome).toBe('cancelled just before the spawn');
  // The runner logs its command line once the playbook is started: it never was.
  expect(context.lines).toEqual([]);
  expect(run.processes()).toEqual([]);
  expect(readdirSync(run.dir)).toEqual([]);
}, 30_000);
