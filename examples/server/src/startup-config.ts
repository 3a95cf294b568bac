/** Reads the configuration at start; on a bad value, logs which variable and why, and exits 2. */
import { ValidationError } from '@docker-builder/core';
import { readConfig, type ServerConfig } from './config.js';
import type { Logger } from './logger.js';

export function startupConfig(log: Logger): ServerConfig {
  try {
    return readConfig(process.env);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const issue of error.issues) log('error', `invalid environment variable ${issue.path}: ${issue.message}`);
    process.exit(2);
  }
}
