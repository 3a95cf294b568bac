/** @docker-builder/runner-docker: builds, tags and pushes images on a Docker engine. */
export { createDockerRunner, type DockerRunnerOptions, type BuildResult } from './docker-runner.js';
export { dockerFromHost, type DockerTls } from './docker-host.js';
export { uploadPath } from './build-context.js';
export { registryHost, type RegistryCredentials } from './registry-auth.js';
export { gitHostRuleProblem, pushAllowRuleProblem, normalizeRepository } from './build-policy.js';
