/**
 * The runners this deployment has, shared by the server and the worker so both run jobs the
 * same way: builds on a Docker engine, deploys with ansible-playbook.
 */
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { RunnerMap } from '@docker-builder/core';
import type { UploadOptions } from '@docker-builder/http-express';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { PLAYBOOK_CANDIDATES, createAnsibleRunner } from '@docker-builder/runner-ansible';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from './config.js';

/** The runners of the kinds JOB_KINDS names; a kind left out has none, so it is refused and hidden. */
export function createRunners(config: ServerConfig): RunnerMap {
  const runs = (kind: 'build' | 'deploy') => config.JOB_KINDS.includes(kind);
  return {
    ...(runs('build') ? { build: buildRunner(config) } : {}),
    ...(runs('deploy') ? { deploy: deployRunner(config) } : {}),
  };
}

function buildRunner(config: ServerConfig) {
  return createDockerRunner({
    dockerHost: config.DOCKER_HOST,
    dockerTls: dockerTls(config),
    contextRoot: config.BUILD_CONTEXT_ROOT,
    uploadsDir: uploadsDir(config),
    registryPrefix: config.REGISTRY_PREFIX,
    pushAllow: config.PUSH_ALLOW,
    gitHosts: config.GIT_HOSTS,
    allowSshGit: config.GIT_ALLOW_SSH,
    secretsKey: config.SECRETS_KEY,
    dockerConfigPath: dockerConfigPath(config),
  });
}

function deployRunner(config: ServerConfig) {
  return createAnsibleRunner({
    playbook: config.PLAYBOOK ?? bundledPlaybookUnlessLocal(),
    inventory: config.ANSIBLE_INVENTORY,
    limit: config.ANSIBLE_LIMIT,
    ansiblePlaybook: config.ANSIBLE_PLAYBOOK,
    timeoutMs: config.DEPLOY_TIMEOUT_SECONDS * 1000,
    // Read once, as the runner is made at start: its ANSIBLE_* variables and the listed names
    // reach the playbook, but not this server's own settings that only look like ansible's.
    serverEnv: { ...process.env, ANSIBLE_PLAYBOOK: undefined, ANSIBLE_LIMIT: undefined, ANSIBLE_EXTRA_ARGS: undefined },
    passthroughEnv: config.DEPLOY_ENV_PASSTHROUGH,
    extraArgs: config.ANSIBLE_EXTRA_ARGS,
  });
}

/**
 * The seed looked for ./deploy/playbook.yml and ./playbook.yml; so do we. When neither exists,
 * the example playbook shipped beside this server runs, so the seed's curl works out of the box.
 */
function bundledPlaybookUnlessLocal(): string | undefined {
  if (PLAYBOOK_CANDIDATES.some((candidate) => existsSync(path.resolve(candidate)))) return undefined;
  // deploy/ sits beside src/ and dist/ alike, so this holds from sources and from the build.
  return fileURLToPath(new URL('../deploy/playbook.yml', import.meta.url));
}

export function uploadsDir(config: ServerConfig): string {
  return config.UPLOADS_DIR ?? path.join(tmpdir(), 'docker-builder-uploads');
}

/** The router's limits for uploaded contexts (the runner reads the same directory). */
export function uploadOptions(config: ServerConfig): UploadOptions {
  return {
    dir: uploadsDir(config),
    maxBytes: config.UPLOAD_MAX_BYTES,
    maxUnpackedBytes: config.UPLOAD_MAX_UNPACKED_BYTES,
    maxEntries: config.UPLOAD_MAX_ENTRIES,
    maxConcurrent: config.UPLOAD_MAX_CONCURRENT,
  };
}

/** DOCKER_CONFIG/config.json, else ~/.docker/config.json when it exists: where the docker CLI keeps logins. */
function dockerConfigPath(config: ServerConfig): string | undefined {
  const file = path.join(config.DOCKER_CONFIG ?? path.join(homedir(), '.docker'), 'config.json');
  return existsSync(file) ? file : undefined;
}

/** DOCKER_TLS_VERIFY for a tcp:// engine, with DOCKER_CERT_PATH or ~/.docker as the docker CLI has them; unix:// and ssh:// need none. */
function dockerTls(config: ServerConfig): { certPath: string } | undefined {
  if (!config.DOCKER_TLS_VERIFY || !/^(tcp|https?):/.test(config.DOCKER_HOST ?? '')) return undefined;
  return { certPath: config.DOCKER_CERT_PATH ?? path.join(homedir(), '.docker') };
}
