/**
 * Reads the configuration at start; on a bad value, logs which variable and why, and exits 2.
 * Also makes sure the uploads directory is this process's own (created 0700), since the server
 * writes build contexts there and workers build from them.
 */
import { isValidationError, type RunnerMap } from '@docker-builder/core';
import { isUploadsDirError, prepareUploadsDir } from '@docker-builder/http-express';
import { readConfig, type ServerConfig } from './config.js';
import type { Logger } from './logger.js';
import { createRunners, uploadsDir } from './runners.js';

export function startupConfig(log: Logger): ServerConfig {
  try {
    const config = readConfig(process.env);
    prepareUploadsDir(uploadsDir(config));
    return config;
  } catch (error) {
    // By brand and code, not class: the errors may come from another copy of core or http-express.
    if (isUploadsDirError(error)) {
      log('error', error.message);
    } else if (isValidationError(error)) {
      for (const issue of error.issues) log('error', `invalid environment variable ${issue.path}: ${issue.message}`);
    } else {
      throw error;
    }
    process.exit(2);
  }
}

/** The runners, made at start: a file they need and cannot read (DOCKER_CERT_PATH's certificates) is a setting to fix, not a crash. */
export function startupRunners(config: ServerConfig, log: Logger): RunnerMap {
  try {
    return createRunners(config);
  } catch (error) {
    log('error', `cannot start: ${(error as Error).message}`);
    process.exit(2);
  }
}
