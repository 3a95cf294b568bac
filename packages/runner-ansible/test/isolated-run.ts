/**
 * A deploy kept apart from every other on this machine (other tests, other checkouts' test
 * runs): its own vars directory, and a marker in the playbook's environment by which its
 * processes are found, whatever their command lines say.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killProcessesWithEnv, processesWithEnv, type FoundProcess } from './processes.js';

export interface IsolatedRun {
  /** The runner's `tmpDir`. */
  dir: string;
  /** The runner's `env`: PATH, HOME and the marker. */
  env: Record<string, string>;
  /** `NAME=value`, as in /proc/<pid>/environ. */
  marker: string;
  /** Its processes still alive. */
  processes(): FoundProcess[];
  /** Kills what a failed test left running, and removes the directory. */
  cleanUp(): void;
}

export function isolatedRun(label: string): IsolatedRun {
  const dir = mkdtempSync(path.join(tmpdir(), `ansible-${label}-`));
  const value = path.basename(dir);
  const marker = `DOCKER_BUILDER_TEST_RUN=${value}`;
  return {
    dir,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, DOCKER_BUILDER_TEST_RUN: value },
    marker,
    processes: () => processesWithEnv(marker),
    cleanUp() {
      killProcessesWithEnv(marker);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
