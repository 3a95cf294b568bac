/** The builder settings every server and worker must share: leases, what happens to lost jobs, how much log a job keeps. */
import type { BuilderEvent, BuilderOptions } from '@docker-builder/core';
import type { ServerConfig } from './config.js';

export function leaseOptions(config: ServerConfig): Pick<BuilderOptions, 'leaseMs' | 'retryLostJobs'> {
  return { leaseMs: config.LEASE_SECONDS * 1000, retryLostJobs: config.RETRY_LOST_JOBS };
}

/** A job's log budget, wherever it runs (the line cap stays core's default). */
export function logOptions(config: ServerConfig): Pick<BuilderOptions, 'logs'> {
  return { logs: { maxBytes: config.LOG_MAX_BYTES } };
}

/** Jobs that fail and lost workers are worth a warning in the log; the rest is information. */
export function builderEventLevel(event: BuilderEvent): 'info' | 'warn' | 'error' {
  if (event.type === 'reaper.error') return 'error';
  if (event.type === 'job.lease_expired' || (event.type === 'job.finished' && event.state === 'error')) return 'warn';
  return 'info';
}
