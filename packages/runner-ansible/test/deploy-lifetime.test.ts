/**
 * A deploy never outlives its job unnoticed: not when the worker running it is SIGKILLed, not
 * when ansible-playbook itself is killed, and what a killed worker left in the temp directory
 * (its mappings) is removed when the next runner starts. Real processes, killed for real.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { delay, deploySpec, eventually, recordingContext } from '@docker-builder/core/testing';
import { createAnsibleRunner, type AnsibleRunnerOptions } from '@docker-builder/runner-ansible';
import { runFromSource } from '../../../test-support/from-source.js';
import { isolatedRun as makeIsolatedRun } from './isolated-run.js';
import { describeProcesses } from './processes.js';

const scripted = fileURLToPath(new URL('./playbooks/scripted.yml', import.meta.url));
const deployingWorker = fileURLToPath(new URL('./fixtures/deploying-worker.ts', import.meta.url));

/** A run of this test's own; what it left (only a failed test leaves anything) goes when the test ends. */
function isolatedRun(label: string) {
  const run = makeIsolatedRun(label);
  onTestFinished(run.cleanUp);
  const runner = (options: AnsibleRunnerOptions = {}) => createAnsibleRunner({ playbook: scripted, tmpDir: run.dir, env: run.env, color: false, ...options });
  const hanging = () => run.processes().some((p) => p.command === 'sleep 600') || undefined;
  return { ...run, runner, hanging };
}

describe('the life of a deploy', () => {
  it('stops the playbook and removes its vars directory when the worker running it is SIGKILLed', async () => {
    const run = isolatedRun('killed-worker');
    const worker = runFromSource(deployingWorker, { args: [scripted, run.dir, run.marker] });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes('deploying\n'), 30_000, 'the worker to be deploying');
    await eventually(run.hanging, 10_000, 'the playbook to be in its hanging task');
    expect(readdirSync(run.dir)).toHaveLength(1);

    worker.kill('SIGKILL');
    const stopped = await eventually(() => run.processes().length === 0, 5_000, 'every process of the deploy to be gone').catch(() =>
      describeProcesses(run.processes()),
    );
    expect(stopped, 'still running after the worker was killed').toBe(true);
    expect(readdirSync(run.dir)).toEqual([]);
  }, 60_000);

  it('names the signal when ansible-playbook is killed (the OOM killer sends SIGKILL), and leaves nothing running', async () => {
    const run = isolatedRun('killed-playbook');
    const running = run.runner().run(deploySpec({ hang: 'x:1' }), recordingContext());
    await eventually(run.hanging, 30_000, 'the playbook to be in its hanging task');
    const ansible = run.processes().filter((p) => p.command.includes('/ansible-playbook '));
    // The main one, not one of its forks.
    const main = ansible.find((p) => !ansible.some((parent) => parent.pid === p.ppid))!;
    process.kill(main.pid, 'SIGKILL');

    const outcome = await Promise.race([running.then(() => 'resolved', (e: Error) => e.message), delay(10_000).then(() => 'still running 10 s later')]);
    expect(outcome).toBe('ansible-playbook was killed by SIGKILL (out of memory?)');
    await eventually(() => run.processes().length === 0, 2_000, 'what the playbook started to be gone');
  }, 60_000);

  it("removes the vars directories of dead workers when it starts, and leaves a live worker's alone", async () => {
    const run = isolatedRun('stale-vars');
    const deadPid = spawnSync('true').pid;
    const stale = `docker-builder-vars-${deadPid}-AbC123`;
    const live = `docker-builder-vars-${process.pid}-XyZ789`;
    const notOurs = 'docker-builder-vars-notes';
    for (const sub of [stale, live, notOurs]) {
      mkdirSync(path.join(run.dir, sub));
      writeFileSync(path.join(run.dir, sub, 'vars.yml'), 'mappings: {}\n');
    }
    await run.runner().run(deploySpec({ web: 'registry/web:1' }), recordingContext());
    expect(readdirSync(run.dir).sort()).toEqual([live, notOurs]);
  }, 60_000);

  it('sends no SIGKILL once the stopped playbook has exited: by then its process id may belong to another process', async () => {
    const run = isolatedRun('late-kill');
    const killGraceMs = 3_000;
    const controller = new AbortController();
    const running = run.runner({ killGraceMs }).run(deploySpec({ hang: 'x:1' }), recordingContext(controller.signal));
    await eventually(run.hanging, 30_000, 'the playbook to be in its hanging task');
    const kill = vi.spyOn(process, 'kill');
    try {
      controller.abort(new Error('cancelled'));
      await expect(running).rejects.toThrow('cancelled');
      const groupSignals = () => kill.mock.calls.filter(([pid]) => pid < 0).map(([pid, signal]) => `${signal} to ${pid}`);
      const whenEnded = groupSignals();
      await delay(killGraceMs + 500);
      expect(groupSignals()).toEqual(whenEnded);
    } finally {
      kill.mockRestore();
    }
  }, 60_000);
});
