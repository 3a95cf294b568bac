/**
 * Numbers clients send (the Last-Event-ID header and every numeric query) are range-checked at
 * the edge: a value that is not a safe whole number in range is a 400 naming the field, sent
 * before any 200 header, never a number like 1e23 handed to the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { postJson, startHarness, type Harness } from './harness.js';

let harness: Harness;
let jobId: string;
beforeAll(async () => {
  harness = await startHarness({ build: [{ log: ['a', 'b'] }, { gate: 'never' }] });
  jobId = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
  await harness.build.reached('never');
});
afterAll(async () => {
  harness.build.open('never');
  await harness.close();
});

interface OutOfRange {
  name: string;
  path: (id: string) => string;
  headers?: Record<string, string>;
  field: string;
}

const HUGE = '99999999999999999999999';
const cases: OutOfRange[] = [
  { name: 'Last-Event-ID beyond any safe integer', path: (id) => `/build/${id}/logs`, headers: { 'Last-Event-ID': HUGE }, field: 'Last-Event-ID' },
  { name: 'Last-Event-ID at the largest safe integer (its next line is not one)', path: (id) => `/build/${id}/logs`, headers: { 'Last-Event-ID': String(Number.MAX_SAFE_INTEGER) }, field: 'Last-Event-ID' },
  { name: 'Last-Event-ID in exponent notation', path: (id) => `/build/${id}/logs`, headers: { 'Last-Event-ID': '1e23' }, field: 'Last-Event-ID' },
  { name: 'Last-Event-ID negative', path: (id) => `/build/${id}/logs`, headers: { 'Last-Event-ID': '-1' }, field: 'Last-Event-ID' },
  { name: 'Last-Event-ID not a number', path: (id) => `/build/${id}/logs`, headers: { 'Last-Event-ID': 'abc' }, field: 'Last-Event-ID' },
  { name: 'from beyond any safe integer', path: (id) => `/build/${id}/logs?from=${HUGE}`, field: 'from' },
  { name: 'from in exponent notation', path: (id) => `/build/${id}/logs?from=1e23`, field: 'from' },
  { name: 'from fractional', path: (id) => `/build/${id}/logs?from=1.5`, field: 'from' },
  { name: 'logsFrom beyond any safe integer', path: (id) => `/build/${id}?logsFrom=${HUGE}`, field: 'logsFrom' },
  { name: 'logsFrom in exponent notation', path: (id) => `/build/${id}?logsFrom=1e23`, field: 'logsFrom' },
  { name: 'logsLimit beyond any safe integer', path: (id) => `/build/${id}?logsLimit=${HUGE}`, field: 'logsLimit' },
  { name: 'logsLimit negative', path: (id) => `/build/${id}?logsLimit=-1`, field: 'logsLimit' },
  { name: 'limit beyond any safe integer', path: () => `/builds?limit=${HUGE}`, field: 'limit' },
  { name: 'limit in exponent notation', path: () => `/builds?limit=1e2`, field: 'limit' },
  { name: 'limit zero', path: () => `/builds?limit=0`, field: 'limit' },
];

describe('numbers out of range', () => {
  it.each(cases)('$name → 400 naming $field', async (bad) => {
    const response = await fetch(`${harness.url}${bad.path(jobId)}`, { headers: bad.headers });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as { error: { code: string; message: string; issues?: Array<{ path: string }> } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.issues?.map((issue) => issue.path)).toContain(bad.field);
    expect(body.error.message).toContain(bad.field);
  });

  it('documents Last-Event-ID as a header of the log stream, with its range', async () => {
    const document = (await (await fetch(`${harness.url}/openapi.json`)).json()) as any;
    expect(document.paths['/build/{id}/logs'].get.parameters).toContainEqual(
      expect.objectContaining({ name: 'Last-Event-ID', in: 'header', required: false, description: expect.stringContaining(String(Number.MAX_SAFE_INTEGER - 1)) }),
    );
  });

  it('still resumes from the largest Last-Event-ID it accepts, and ignores an empty one', async () => {
    const highest = String(Number.MAX_SAFE_INTEGER - 1);
    const resumed = await fetch(`${harness.url}/build/${jobId}/logs`, { headers: { 'Last-Event-ID': highest } });
    expect(resumed.status).toBe(200);
    await resumed.body?.cancel();
    const empty = await fetch(`${harness.url}/build/${jobId}/logs`, { headers: { 'Last-Event-ID': '' } });
    expect(empty.status).toBe(200);
    const reader = empty.body!.getReader();
    let text = '';
    await eventually(async () => {
      text += new TextDecoder().decode((await reader.read()).value);
      return text.includes('data: b');
    });
    await reader.cancel();
    expect(text).toContain('id: 0\ndata: a');
  });
});
