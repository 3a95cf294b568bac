/**
 * Bad input never reaches a runner: each request below gets a 4xx with a JSON error that
 * names what is wrong, and no job is created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';
import { startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ router: { bodyLimit: '16kb' } });
});
afterAll(async () => {
  await harness.close();
});

interface BadRequest {
  name: string;
  path: '/build' | '/deploy-services';
  body: string;
  contentType?: string | null;
  status: number;
  code: string;
  /** The field the error must name, when it is about one field. */
  field?: string;
}

const json = (value: unknown) => JSON.stringify(value);
const deploy = (mappings: unknown) => json({ mappings });
const mapping = (value: string) => deploy({ 'rag-service': value });
const build = (fields: Record<string, unknown>) => json({ service: 'rag-service', ...fields });

const cases: BadRequest[] = [
  // Wrong shapes and types
  { name: 'deploy: empty object', path: '/deploy-services', body: '{}', status: 400, code: 'VALIDATION_FAILED', field: 'mappings' },
  { name: 'deploy: mappings is a string', path: '/deploy-services', body: deploy('rag-service=img:1'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings' },
  { name: 'deploy: mappings is an array', path: '/deploy-services', body: deploy([['a', 'b:1']]), status: 400, code: 'VALIDATION_FAILED', field: 'mappings' },
  { name: 'deploy: mappings is null', path: '/deploy-services', body: deploy(null), status: 400, code: 'VALIDATION_FAILED', field: 'mappings' },
  { name: 'deploy: empty mappings', path: '/deploy-services', body: deploy({}), status: 400, code: 'VALIDATION_FAILED', field: 'mappings' },
  { name: 'deploy: image is a number', path: '/deploy-services', body: deploy({ a: 7 }), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.a' },
  { name: 'deploy: image is an object', path: '/deploy-services', body: deploy({ a: { image: 'x' } }), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.a' },
  { name: 'deploy: unknown top-level field', path: '/deploy-services', body: json({ mappings: SEED_MAPPINGS, inventory: 'all' }), status: 400, code: 'VALIDATION_FAILED', field: 'inventory' },
  { name: 'deploy: body is an array', path: '/deploy-services', body: json([SEED_MAPPINGS]), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'deploy: too many services', path: '/deploy-services', body: deploy(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`s${i}`, 'i:1']))), status: 400, code: 'VALIDATION_FAILED', field: 'mappings' },
  { name: 'build: missing service', path: '/build', body: '{}', status: 400, code: 'VALIDATION_FAILED', field: 'service' },
  { name: 'build: service is a number', path: '/build', body: json({ service: 42 }), status: 400, code: 'VALIDATION_FAILED', field: 'service' },
  { name: 'build: tags is a string', path: '/build', body: build({ tags: 'latest' }), status: 400, code: 'VALIDATION_FAILED', field: 'tags' },
  { name: 'build: push is a string', path: '/build', body: build({ push: 'true' }), status: 400, code: 'VALIDATION_FAILED', field: 'push' },
  { name: 'build: buildArgs value is a number', path: '/build', body: build({ buildArgs: { N: 1 } }), status: 400, code: 'VALIDATION_FAILED', field: 'buildArgs.N' },
  { name: 'build: unknown field (snake_case typo)', path: '/build', body: build({ no_cache: true }), status: 400, code: 'VALIDATION_FAILED', field: 'no_cache' },
  { name: 'build: uppercase service', path: '/build', body: json({ service: 'RagService' }), status: 400, code: 'VALIDATION_FAILED', field: 'service' },
  { name: 'build: image with a tag', path: '/build', body: build({ image: 'registry.example.com/rag:1' }), status: 400, code: 'VALIDATION_FAILED', field: 'image' },
  { name: 'build: 21 tags', path: '/build', body: build({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), status: 400, code: 'VALIDATION_FAILED', field: 'tags' },
  // Injection: Jinja, shell, option syntax
  { name: 'deploy: Jinja lookup in image', path: '/deploy-services', body: mapping("img:{{ lookup('pipe','id') }}"), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: Jinja statement in image', path: '/deploy-services', body: mapping('img:{% raw %}'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: Jinja comment in image', path: '/deploy-services', body: mapping('img:{# x #}'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: Jinja in a key', path: '/deploy-services', body: deploy({ "{{ lookup('pipe','id') }}": 'img:1' }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'deploy: fullwidth braces', path: '/deploy-services', body: mapping('img:\uFF5B\uFF5B 7*7 \uFF5D\uFF5D'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: small-form braces', path: '/deploy-services', body: mapping('img:\uFE5B\uFE5B 7*7 \uFE5C\uFE5C'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: shell substitution', path: '/deploy-services', body: mapping('img:$(id)'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: backticks', path: '/deploy-services', body: mapping('img:`id`'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: newline (YAML injection)', path: '/deploy-services', body: mapping('img:1\nhosts: all'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: option syntax', path: '/deploy-services', body: mapping('--extra-vars=@/etc/shadow'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: very long image', path: '/deploy-services', body: mapping(`registry.example.com/${'a'.repeat(5_000)}:1`), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'deploy: NUL byte', path: '/deploy-services', body: mapping('img:1\u0000'), status: 400, code: 'VALIDATION_FAILED', field: 'mappings.rag-service' },
  { name: 'build: Jinja in a build arg', path: '/build', body: build({ buildArgs: { V: '{{ 7*7 }}' } }), status: 400, code: 'VALIDATION_FAILED', field: 'buildArgs.V' },
  { name: 'build: shell in a label', path: '/build', body: build({ labels: { a: '${PATH}' } }), status: 400, code: 'VALIDATION_FAILED', field: 'labels.a' },
  { name: 'build: option as dockerfile', path: '/build', body: build({ dockerfile: '-f/etc/passwd' }), status: 400, code: 'VALIDATION_FAILED', field: 'dockerfile' },
  { name: 'build: option as target', path: '/build', body: build({ target: '--network=host' }), status: 400, code: 'VALIDATION_FAILED', field: 'target' },
  { name: 'build: context escapes its root', path: '/build', body: build({ context: '../../etc' }), status: 400, code: 'VALIDATION_FAILED', field: 'context' },
  { name: 'build: absolute context', path: '/build', body: build({ context: '/var/run' }), status: 400, code: 'VALIDATION_FAILED', field: 'context' },
  { name: 'build: git URL with shell', path: '/build', body: build({ context: 'https://git.example.com/$(id).git' }), status: 400, code: 'VALIDATION_FAILED', field: 'context' },
  { name: 'build: tag starting with a dash', path: '/build', body: build({ tags: ['--push'] }), status: 400, code: 'VALIDATION_FAILED', field: 'tags[0]' },
  { name: 'build: build arg name with a dash', path: '/build', body: build({ buildArgs: { 'A-B': '1' } }), status: 400, code: 'VALIDATION_FAILED', field: 'buildArgs.A-B' },
  // Not JSON, too big, wrong content type
  { name: 'invalid JSON', path: '/deploy-services', body: '{"mappings": {', status: 400, code: 'INVALID_JSON' },
  { name: 'a JSON string, not an object', path: '/deploy-services', body: '"mappings"', status: 400, code: 'INVALID_JSON' },
  { name: 'empty body', path: '/build', body: '', status: 400, code: 'VALIDATION_FAILED', field: 'service' },
  { name: 'oversized body', path: '/deploy-services', body: deploy({ a: `i:${'1'.repeat(20_000)}` }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'oversized build body', path: '/build', body: build({ labels: { a: 'x'.repeat(20_000) } }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'form-encoded body', path: '/deploy-services', body: 'mappings[a]=b:1', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'text/plain body', path: '/build', body: build({}), contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type', path: '/deploy-services', body: deploy(SEED_MAPPINGS), contentType: null, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'JSON in a non-UTF-8 charset', path: '/deploy-services', body: deploy(SEED_MAPPINGS), contentType: 'application/json; charset=latin1', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
];

describe('bad requests', () => {
  it('covers at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$name → $status $code', async (bad) => {
    const headers: Record<string, string> = {};
    if (bad.contentType !== null) headers['Content-Type'] = bad.contentType ?? 'application/json';
    const response = await fetch(`${harness.url}${bad.path}`, { method: 'POST', headers, body: bad.body });
    const body = (await response.json()) as { error: { code: string; message: string; issues?: Array<{ path: string; message: string }> } };
    expect(response.status).toBe(bad.status);
    expect(body.error.code).toBe(bad.code);
    expect(body.error.message.length).toBeGreaterThan(10);
    if (bad.field !== undefined) {
      expect(body.error.issues?.map((issue) => issue.path)).toContain(bad.field);
      expect(body.error.message).toContain(bad.field);
    }
    expect((await harness.builder.list({ limit: 1 })).jobs).toEqual([]);
    expect(harness.build.runs).toHaveLength(0);
    expect(harness.deploy.runs).toHaveLength(0);
  });
});
