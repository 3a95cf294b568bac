/**
 * The runners this deployment has, shared by the server and the worker so both run jobs the
 * same way. None are registered yet: the Docker and Ansible runners are the next capabilities,
 * and until then both kinds are refused with a clear 503.
 */
import type { RunnerMap } from '@docker-builder/core';
import type { ServerConfig } from './config.js';

export function createRunners(_config: ServerConfig): RunnerMap {
  return {};
}
