/**
 * Reads the configuration at start; on a bad value, logs which variable and why, and exits 2.
 * Also makes sure the uploads directory is this process's own (created 0700), since the server
 * writes build contexts there and workers build from them.
 */
import { ValidationError } from '@docker-builder/core';
import { UploadsDirError, prepareUploadsDir } from '@docker-builder/http-express';
import { readConfig, type ServerConfig } from './config.js';
import type { Logger } from './logger.js';
import { uploadsDir } from './runners.js';

export function startupConfig(log: Logger): ServerConfig {
  try {
    const config = readConfig(process.env);
    prepareUploadsDir(uploadsDir(config));
    return config;
  } catch (error) {
    if (error instanceof UploadsDirError) {
      log('error', error.message);
    } else if (error instanceof ValidationError) {
      for (const issue of error.issues) log('error', `invalid environment variable ${issue.path}: ${issue.message}`);
    } else {
      throw error;
    }
    process.exit(2);
  }
}
