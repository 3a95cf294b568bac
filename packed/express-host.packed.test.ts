/**
 * The router in an existing Express 4 app and in an Express 5 app (separate fresh projects),
 * each with the host's own `express.json()` in front: the routes answer as documented and
 * every error in our JSON format.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isErrorBody, request, waitForEnd } from './support/http.js';
import { HOST_WITH_OWN_JSON } from './support/host-programs.js';
import { startProgram, type RunningProgram } from './support/program.js';
import { freshProject } from './support/projects.js';

const MAPPINGS = { 'rag-service': 'us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006' };
const UNKNOWN_JOB = '019a1b2c-3d4e-7f00-8a00-0123456789ab';

describe.each([
  ['express4', 4],
  ['express5', 5],
] as const)('the router in the %s project, behind the host\'s express.json()', (name, major) => {
  let running: RunningProgram;
  let api: string;

  beforeAll(async () => {
    const dir = freshProject(name);
    await writeFile(path.join(dir, 'host-own-json.mjs'), HOST_WITH_OWN_JSON);
    running = await startProgram(dir, 'host-own-json.mjs');
    api = `${running.url}/api`;
  });
  afterAll(async () => {
    await running?.stop();
  });

  test(`runs on Express ${major}`, () => {
    expect(running.stdout()).toMatch(new RegExp(`^EXPRESS ${major}\\.`, 'm'));
  });

  test('submits, gets, lists and streams a job', async () => {
    const submitted = await request(`${api}/deploy-services`, { body: { mappings: MAPPINGS } });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toEqual({ id: expect.any(String), enqueued: true });
    const job = await waitForEnd(`${api}/build/${submitted.body.id}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ id: submitted.body.id, kind: 'deploy', state: 'done', progress: 100, result: { deployed: ['rag-service'] }, spec: { mappings: MAPPINGS } });
    expect(job.body.logs).toEqual([`rag-service -> ${MAPPINGS['rag-service']}`]);

    const list = await request(`${api}/builds?limit=1&kind=deploy&state=done,error`);
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual([submitted.body.id]);

    const stream = await fetch(`${api}/build/${submitted.body.id}/logs`);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await stream.text();
    expect(events).toContain(`data: rag-service -> ${MAPPINGS['rag-service']}`);
    expect(events).toMatch(/event: end\ndata: \{"state":"done"/);

    const text = await fetch(`${api}/build/${submitted.body.id}/logs.txt`);
    expect(await text.text()).toBe(`rag-service -> ${MAPPINGS['rag-service']}\n`);
  });

  test('answers errors in its JSON format', async () => {
    const invalid = await request(`${api}/deploy-services`, { body: { mappings: { x: "img:{{ lookup('pipe','id') }}" } } });
    expect(invalid.status).toBe(400);
    expect(isErrorBody(invalid.body, 'VALIDATION_FAILED'), JSON.stringify(invalid.body)).toBe(true);
    expect(invalid.body.error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'mappings.x', message: expect.any(String) }] });

    const unknownJob = await request(`${api}/build/${UNKNOWN_JOB}`);
    expect(unknownJob.status).toBe(404);
    expect(isErrorBody(unknownJob.body, 'JOB_NOT_FOUND'), JSON.stringify(unknownJob.body)).toBe(true);

    const badId = await request(`${api}/build/not-a-job-id`);
    expect(badId.status).toBe(400);
    expect(badId.body.error.code).toBe('VALIDATION_FAILED');

    const noRoute = await request(`${api}/no-such-route`);
    expect(noRoute.status).toBe(404);
    expect(isErrorBody(noRoute.body, 'NOT_FOUND'), JSON.stringify(noRoute.body)).toBe(true);

    const noRunner = await request(`${api}/build`, { body: { service: 'rag-service' } });
    expect(noRunner.status).toBe(503);
    expect(isErrorBody(noRunner.body, 'RUNNER_UNAVAILABLE'), JSON.stringify(noRunner.body)).toBe(true);

    const notJson = await request(`${api}/deploy-services`, { body: JSON.stringify({ mappings: MAPPINGS }), headers: { 'content-type': 'text/plain' } });
    expect(notJson.status).toBe(415);
    expect(isErrorBody(notJson.body, 'UNSUPPORTED_MEDIA_TYPE'), JSON.stringify(notJson.body)).toBe(true);

    const done = await request(`${api}/deploy-services`, { body: { mappings: MAPPINGS } });
    await waitForEnd(`${api}/build/${done.body.id}`);
    const cancelDone = await request(`${api}/build/${done.body.id}/cancel`, { method: 'POST' });
    expect(cancelDone.status).toBe(409);
    expect(isErrorBody(cancelDone.body, 'INVALID_STATE'), JSON.stringify(cancelDone.body)).toBe(true);

    const badLimit = await request(`${api}/builds?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'limit' }] });

    expect(running.stderr()).toBe('');
  });
});
