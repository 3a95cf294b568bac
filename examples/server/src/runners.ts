/**
 * The runners this deployment has, shared by the server and the worker so both run jobs the
 * same way: builds on a Docker engine, deploys with ansible-playbook.
 */
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { RunnerMap } from '@docker-builder/core';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { PLAYBOOK_CANDIDATES, createAnsibleRunner } from '@docker-builder/runner-ansible';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from './config.js';

export function createRunners(config: ServerConfig): RunnerMap {
  return {
    build: createDockerRunner({
      dockerHost: config.DOCKER_HOST,
      contextRoot: config.BUILD_CONTEXT_ROOT,
      uploadsDir: uploadsDir(config),
      registryPrefix: config.REGISTRY_PREFIX,
      dockerConfigPath: dockerConfigPath(config),
    }),
    deploy: createAnsibleRunner({
      playbook: config.PLAYBOOK ?? bundledPlaybookUnlessLocal(),
      inventory: config.ANSIBLE_INVENTORY,
      limit: config.ANSIBLE_LIMIT,
      ansiblePlaybook: config.ANSIBLE_PLAYBOOK,
      timeoutMs: config.DEPLOY_TIMEOUT_SECONDS * 1000,
    }),
  };
}

/**
 * The seed looked for ./deploy/playbook.yml and ./playbook.yml; so do we. When neither exists,
 * the example playbook shipped beside this server runs, so the seed's curl works out of the box.
 */
function bundledPlaybookUnlessLocal(): string | undefined {
  if (PLAYBOOK_CANDIDATES.some((candidate) => existsSync(path.resolve(candidate)))) return undefined;
  return fileURLToPath(new URL('../../deploy/playbook.yml', import.meta.url));
}

export function uploadsDir(config: ServerConfig): string {
  return config.UPLOADS_DIR ?? path.join(tmpdir(), 'docker-builder-uploads');
}

/** DOCKER_CONFIG/config.json, else ~/.docker/config.json when it exists: where the docker CLI keeps logins. */
function dockerConfigPath(config: ServerConfig): string | undefined {
  const file = path.join(config.DOCKER_CONFIG ?? path.join(homedir(), '.docker'), 'config.json');
  return existsSync(file) ? file : undefined;
}
