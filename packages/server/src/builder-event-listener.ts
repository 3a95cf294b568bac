/** Where the server's and the worker's builder events go: the metrics, and the JSON log. */
import type { BuilderEvent } from '@docker-builder/core';
import type { BuilderMetrics } from '@docker-builder/metrics';
import { builderEventLevel } from './lease-options.js';
import type { Logger } from './logger.js';

export function builderEventListener(log: Logger, metrics: BuilderMetrics): (event: BuilderEvent) => void {
  return (event) => {
    metrics.onEvent(event);
    // One per stored batch of log lines: the job's log says it better; the metrics count them.
    if (event.type !== 'job.logged') log(builderEventLevel(event), event.type, { ...event });
  };
}
