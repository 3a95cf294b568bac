/**
 * The programs the packed tests write into a fresh project: plain JavaScript, as a host's own
 * code would be, using only the packages' public entry points.
 */

/** A deploy runner like the README's: logs each mapping and returns the services deployed. */
const ECHO_DEPLOY = `{
  name: 'echo-deploy',
  kind: 'deploy',
  async run(spec, { log, progress }) {
    const services = Object.keys(spec.mappings);
    services.forEach((service, i) => { log(service + ' -> ' + spec.mappings[service]); progress(((i + 1) / services.length) * 100); });
    return { deployed: services };
  },
  async health() { return { name: 'echo-deploy', ok: true }; },
}`;

/**
 * An Express service with its own `express.json()` in front of everything, as many hosts have,
 * and the router at /api. Prints the Express version it runs on.
 */
export const HOST_WITH_OWN_JSON = `import { createRequire } from 'node:module';
import express from 'express';
import { createBuilder } from '@docker-builder/core';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter } from '@docker-builder/http-express';

const builder = createBuilder({ store: createMemoryJobStore(), runners: { deploy: ${ECHO_DEPLOY} } });
const app = express();
app.use(express.json());
app.use('/api', createBuilderRouter(builder));
console.log('EXPRESS ' + createRequire(import.meta.url)('express/package.json').version);
app.listen(0, '127.0.0.1');
`;

/**
 * The dual-package case: the builder (and its store) made from core's CommonJS build, the
 * router imported as an ES module, which holds core's ESM build: two copies of every class.
 * Prints where each side's core was loaded from.
 */
export const MIXED_CJS_ESM = `import { createRequire } from 'node:module';
import express from 'express';
import { createBuilderRouter } from '@docker-builder/http-express';

const require = createRequire(import.meta.url);
const { createBuilder } = require('@docker-builder/core');
const { createMemoryJobStore } = require('@docker-builder/store-memory');

const builder = createBuilder({ store: createMemoryJobStore(), runners: { deploy: ${ECHO_DEPLOY} } });
const app = express();
app.use('/api', createBuilderRouter(builder));
console.log('CORE ' + JSON.stringify({ required: require.resolve('@docker-builder/core'), imported: import.meta.resolve('@docker-builder/core') }));
app.listen(0, '127.0.0.1');
`;
