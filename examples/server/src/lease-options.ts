/** The builder settings every server and worker must share: leases and what happens to lost jobs. */
import type { BuilderEvent, BuilderOptions } from '@docker-builder/core';
import type { ServerConfig } from './config.js';

export function leaseOptions(config: ServerConfig): Pick<BuilderOptions, 'leaseMs' | 'retryLostJobs'> {
  return { leaseMs: config.LEASE_SECONDS * 1000, retryLostJobs: config.RETRY_LOST_JOBS };
}

/** Jobs that fail and lost workers are worth a warning in the log; the rest is information. */
export function builderEventLevel(event: BuilderEvent): 'info' | 'warn' | 'error' {
  if (event.type === 'reaper.error') return 'error';
  if (event.type === 'job.lease_expired' || (event.type === 'job.finished' && event.state === 'error')) return 'warn';
  return 'info';
}
