/** What the worker example shares with the server: configuration, backend, runners, logs. */
export { readConfig, type ServerConfig } from './config.js';
export { createBackend, bullPrefix, type Backend } from './backend.js';
export { createRunners } from './runners.js';
export { leaseOptions, builderEventLevel } from './lease-options.js';
export { jsonLogger, type Logger } from './logger.js';
export { startupConfig } from './startup-config.js';
