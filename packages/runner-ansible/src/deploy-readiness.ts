/**
 * What the Ansible runner tells every user before they deploy (`Runner.readiness`): whether
 * ansible-playbook and the playbook are there. Causes and fixes name the standalone server's
 * settings, never a path; the paths go in `detail`, for admins.
 */
import type { RunnerProblem, RunnerReadiness } from '@docker-builder/core';
import { missingPlaybookMessage } from './playbook-location.js';

export interface DeployReadinessInputs {
  binary: string;
  /** ansible-playbook --version answered. */
  binaryFound: boolean;
  /** The playbook found, or null. */
  playbook: string | null;
  location: { playbook?: string; cwd: string };
}

export function deployReadiness({ binary, binaryFound, playbook, location }: DeployReadinessInputs): RunnerReadiness {
  const problems: RunnerProblem[] = [];
  if (!binaryFound) {
    problems.push({
      cause: 'ansible-playbook is not installed on this server, so every deploy fails.',
      fix: 'Install ansible-core (apt-get install ansible-core, or pip install ansible-core), or set ANSIBLE_PLAYBOOK to its path.',
      settings: ['ANSIBLE_PLAYBOOK'],
      detail: `${binary} was not found (it did not answer --version).`,
    });
  }
  if (!playbook) {
    problems.push({
      cause: 'The deploy playbook is missing on this server, so every deploy fails.',
      fix: 'Set PLAYBOOK to the deploy playbook, or put one at ./deploy/playbook.yml in the server\'s directory.',
      settings: ['PLAYBOOK'],
      detail: missingPlaybookMessage(location),
    });
  }
  return { problems };
}
