/**
 * The dual-package hazard: a builder made with require('@docker-builder/core') (CommonJS),
 * mounted by the router imported as an ES module. Core is then loaded twice, as two builds with
 * two copies of each error class; the router must still tell a missing job (404), a kind with
 * no runner (503), bad input (400) and a finished job (409) apart: never 500.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isErrorBody, request, waitForEnd } from './support/http.js';
import { MIXED_CJS_ESM } from './support/host-programs.js';
import { startProgram, type RunningProgram } from './support/program.js';
import { freshProject } from './support/projects.js';

describe.each(['express5', 'express4'] as const)('a CommonJS builder under the ES module router, in the %s project', (name) => {
  let running: RunningProgram;
  let api: string;

  beforeAll(async () => {
    const dir = freshProject(name);
    await writeFile(path.join(dir, 'mixed.mjs'), MIXED_CJS_ESM);
    running = await startProgram(dir, 'mixed.mjs');
    api = `${running.url}/api`;
  });
  afterAll(async () => {
    await running?.stop();
  });

  test('loads two builds of core (the case under test)', () => {
    const line = /^CORE (.*)$/m.exec(running.stdout());
    const { required, imported } = JSON.parse(line![1]!) as { required: string; imported: string };
    expect(required).toMatch(/\.cjs$/);
    expect(imported).toMatch(/\.js$/);
  });

  test('answers 404 for an unknown job', async () => {
    const answer = await request(`${api}/build/019a1b2c-3d4e-7f00-8a00-0123456789ab`);
    expect(answer.status).toBe(404);
    expect(isErrorBody(answer.body, 'JOB_NOT_FOUND'), JSON.stringify(answer.body)).toBe(true);
  });

  test('answers 503 for a kind without a runner', async () => {
    const answer = await request(`${api}/build`, { body: { service: 'rag-service' } });
    expect(answer.status).toBe(503);
    expect(isErrorBody(answer.body, 'RUNNER_UNAVAILABLE'), JSON.stringify(answer.body)).toBe(true);
  });

  test('answers 400 naming the field for bad input, and 409 for cancelling a finished job', async () => {
    const invalid = await request(`${api}/deploy-services`, { body: { mappings: { 'rag-service': '-oops' } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'mappings.rag-service' }] });

    const submitted = await request(`${api}/deploy-services`, { body: { mappings: { 'rag-service': 'registry.example.com/rag-service:1' } } });
    expect(submitted.status).toBe(202);
    await waitForEnd(`${api}/build/${submitted.body.id}`);
    const cancel = await request(`${api}/build/${submitted.body.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    expect(isErrorBody(cancel.body, 'INVALID_STATE'), JSON.stringify(cancel.body)).toBe(true);
  });

  test('logs no stack trace: none of these was unexpected', () => {
    expect(running.stderr()).toBe('');
  });
});
