/**
 * Through the HTTP API with the real Ansible runner behind it: every way of smuggling a
 * template into mappings is answered 400, no job is created, and nothing runs.
 */
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createAnsibleRunner } from '@docker-builder/runner-ansible';

const marker = path.join(mkdtempSync(path.join(tmpdir(), 'inject-')), 'ran');
let builder: Builder;
let api: string;
let close: () => void;
beforeAll(async () => {
  builder = createBuilder({
    store: createMemoryJobStore(),
    runners: { deploy: createAnsibleRunner({ playbook: fileURLToPath(new URL('../../server/deploy/playbook.yml', import.meta.url)) }) },
  });
  const server = express().use('/api', createBuilderRouter(builder)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  close = () => (server.closeAllConnections(), server.close());
});
afterAll(async () => {
  close();
  await builder.close();
});

const pipe = `lookup('pipe','touch ${marker}')`;
const cases: Array<[string, Record<string, unknown>]> = [
  ['the lookup that ran `id` on these machines', { x: "img:{{ lookup('pipe','id') }}" }],
  ['a lookup that would leave a file', { x: `img:{{ ${pipe} }}` }],
  ['a statement', { x: `img:{% for i in range(3) %}{{ ${pipe} }}{% endfor %}` }],
  ['a comment', { x: 'img:1{# hidden #}' }],
  ['a template in a key', { [`{{ ${pipe} }}`]: 'img:1' }],
  ['a statement in a key', { '{% set x = 1 %}': 'img:1' }],
  ['fullwidth braces', { x: `img:\uFF5B\uFF5B ${pipe} \uFF5D\uFF5D` }],
  ['small-form braces', { x: `img:\uFE5B\uFE5B ${pipe} \uFE5C\uFE5C` }],
  ['a very long value', { x: `registry.example.com/${'a'.repeat(100_000)}:1` }],
  ['a nested object', { x: { image: `{{ ${pipe} }}` } }],
  ['a newline that would add YAML', { x: 'img:1\n  y: !!python/object/apply:os.system ["id"]' }],
];

describe('template injection through the API, with ansible behind it', () => {
  it.each(cases)('refuses %s with 400 and creates no job', async (_name, mappings) => {
    const response = await fetch(`${api}/deploy-services`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mappings }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: Array<{ path: string }> } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.issues[0]!.path).toMatch(/^mappings/);
    expect((await builder.list({ limit: 10 })).jobs).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });
});
