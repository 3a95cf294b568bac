/**
 * What `npm install` users get: the built ESM and CommonJS files, loaded without the
 * workspace's source condition. Needs `pnpm build` first (the test command runs it).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = (load: string) => `
${load}
const app = express();
const builder = core.createBuilder({ store: memory.createMemoryJobStore() });
app.use('/api', http.createBuilderRouter(builder));
const server = app.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port + '/api';
  const doc = await (await fetch(base + '/openapi.json')).json();
  const docs = await fetch(base + '/docs/docs.js');
  const bad = await fetch(base + '/deploy-services', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"mappings":{"a":"{{x}}"}}' });
  console.log(JSON.stringify({ version: doc.info.version, docs: docs.status, bad: bad.status, testing: testing.split('/').slice(-3).join('/') }));
  server.close();
  await builder.close();
});
`;

const run = (code: string, type: 'module' | 'commonjs') =>
  JSON.parse(execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { encoding: 'utf8' }).trim()) as Record<string, unknown>;

describe('the built packages', () => {
  const expected = { version: '0.0.0', docs: 200, bad: 400 };

  it('load as ES modules', () => {
    const load = `
      import express from 'express';
      import * as core from '@docker-builder/core';
      import * as memory from '@docker-builder/store-memory';
      import * as http from '@docker-builder/http-express';
      const testing = import.meta.resolve('@docker-builder/core/testing');`;
    expect(run(script(load), 'module')).toEqual({ ...expected, testing: 'dist/testing/index.js' });
  });

  it('load as CommonJS', () => {
    const load = `
      const express = require('express');
      const core = require('@docker-builder/core');
      const memory = require('@docker-builder/store-memory');
      const http = require('@docker-builder/http-express');
      const testing = require.resolve('@docker-builder/core/testing');`;
    expect(run(`(async () => {${script(load)}})()`, 'commonjs')).toEqual({ ...expected, testing: 'dist/testing/index.cjs' });
  });
});
