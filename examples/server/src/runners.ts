/**
 * The runners this deployment has, shared by the server and the worker so both run jobs the
 * same way: builds on a Docker engine. Deploys have no runner yet (the Ansible runner is the
 * next capability), so they are refused with a clear 503.
 */
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { RunnerMap } from '@docker-builder/core';
import { createDockerRunner } from '@docker-builder/runner-docker';
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
  };
}

export function uploadsDir(config: ServerConfig): string {
  return config.UPLOADS_DIR ?? path.join(tmpdir(), 'docker-builder-uploads');
}

/** DOCKER_CONFIG/config.json, else ~/.docker/config.json when it exists: where the docker CLI keeps logins. */
function dockerConfigPath(config: ServerConfig): string | undefined {
  const file = path.join(config.DOCKER_CONFIG ?? path.join(homedir(), '.docker'), 'config.json');
  return existsSync(file) ? file : undefined;
}
