/** What the worker example shares with the server: configuration, backend, runners, logs. */
export { readConfig, type ServerConfig } from './config.js';
export { createBackend, bullPrefix, type Backend } from './backend.js';
export { createRunners } from './runners.js';
export { leaseOptions, logOptions, builderEventLevel } from './lease-options.js';
export { jsonLogger, type Logger } from './logger.js';
export { builderEventListener } from './builder-event-listener.js';
export { opsHandler, type OpsHandler, type OpsOptions } from './ops-routes.js';
export { startupConfig } from './startup-config.js';
