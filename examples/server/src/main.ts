/**
 * The smallest Docker Builder service an SDK user writes: a builder on the in-memory store,
 * the Docker and Ansible runners, and the router mounted in an Express app. Everything the
 * standalone server (packages/server, `docker-builder serve`) adds — configuration from the
 * environment, Redis, authentication, metrics — is optional wiring around these lines.
 *
 *   pnpm --filter @docker-builder/example-server start   # http://127.0.0.1:8001/api
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBuilder } from '@docker-builder/core';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createAnsibleRunner } from '@docker-builder/runner-ansible';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { createMemoryJobStore } from '@docker-builder/store-memory';

const builder = createBuilder({
  store: createMemoryJobStore(),
  runners: {
    // The local engine; pushes only under this prefix.
    build: createDockerRunner({ registryPrefix: 'registry.example.com/team' }),
    // PLAYBOOK, else ./deploy/playbook.yml or ./playbook.yml, as the seed looked for it.
    deploy: createAnsibleRunner({ playbook: process.env.PLAYBOOK }),
  },
});

const app = express();
app.use(
  '/api',
  createBuilderRouter(builder, {
    // Who is calling: put your own session or token check here (see @docker-builder/auth).
    auth: (req) => (req.get('x-user') ? { sub: req.get('x-user')!, role: 'write' } : null),
  }),
);
const server = app.listen(Number(process.env.PORT ?? 8001), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`docker-builder example on http://127.0.0.1:${port}/api/docs\n`);
});

process.on('SIGTERM', () => {
  server.close();
  void builder.close({ deadlineMs: 20_000 }).then(() => process.exit(0));
});
