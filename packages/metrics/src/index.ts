/** @docker-builder/metrics: Prometheus metrics (prom-client) from the builder's events and health. */
export {
  createBuilderMetrics,
  DEFAULT_PREFIX,
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_QUEUE_WAIT_BUCKETS,
  type BuilderMetrics,
  type BuilderMetricsOptions,
  type LogStreamChange,
} from './builder-metrics.js';
export type { HealthSource, ObserveOptions } from './health-gauges.js';
