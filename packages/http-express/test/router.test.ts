import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { Builder } from '@docker-builder/core';
import { SEED_MAPPINGS, eventually } from '@docker-builder/core/testing';
import { getJson, postJson, readEvents, startHarness, type Harness } from './harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

const finished = (id: string) =>
  eventually(async () => {
    const { body } = await getJson(`${harness.url}/build/${id}`);
    return ['done', 'error', 'cancelled'].includes(body.state) ? body : undefined;
  }, 10_000, `job ${id} to end`);

describe('submitting jobs', () => {
  it('runs the seed deploy payload end to end: 202, then done with the playbook lines and progress 100', async () => {
    harness = await startHarness();
    const created = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), enqueued: true });
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ id: created.body.id, kind: 'deploy', state: 'done', progress: 100, error: null, spec: { mappings: SEED_MAPPINGS } });
    expect(job.logs).toContain(
      '    "msg": "rag-service -> image=us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006 ; tag=20251025-111006"',
    );
    expect(job.logs).toContain('    "msg": "PROGRESS 100"');
    expect(job.logs.at(-1)).toBe('    "msg": "Simulation complete"');
    expect(job.logsTotal).toBe(job.logs.length);
    expect(await harness.builder.store.getDeployMetadata(created.body.id)).toEqual({ mappings: SEED_MAPPINGS, user: null });
  });

  it('creates a build with defaults filled in, and returns its result', async () => {
    harness = await startHarness();
    const created = await postJson(`${harness.url}/build`, { service: 'rag-service', push: false });
    expect(created.status).toBe(202);
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ kind: 'build', state: 'done', result: { image: 'r/x:1' } });
    expect(job.spec).toMatchObject({ service: 'rag-service', context: '.', dockerfile: 'Dockerfile', push: false });
    expect(job.spec.tags[0]).toMatch(/^\d{8}-\d{6}$/);
  });

  it('reads a slice of a job\'s log with logsFrom and logsLimit', async () => {
    harness = await startHarness({ build: [{ log: ['a', 'b', 'c', 'd'] }] });
    const { body } = await postJson(`${harness.url}/build`, { service: 'x' });
    await finished(body.id);
    const slice = await getJson(`${harness.url}/build/${body.id}?logsFrom=1&logsLimit=2`);
    expect(slice.body).toMatchObject({ logs: ['b', 'c'], logsNext: 3, logsTotal: 4 });
  });

  it('answers 503 with what to configure when the kind has no runner, creating nothing', async () => {
    harness = await startHarness({ builder: { runners: {} } });
    const response = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('RUNNER_UNAVAILABLE');
    expect(response.body.error.message).toMatch(/no deploy runner configured/);
    expect((await getJson(`${harness.url}/builds`)).body.jobs).toEqual([]);
  });
});

describe('listing jobs', () => {
  it('pages newest first with a cursor and filters by state and kind', async () => {
    harness = await startHarness({ build: [{ gate: 'hold' }] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await postJson(`${harness.url}/deploy-services`, { mappings: { a: 'b:1' } })).body.id);
    await eventually(async () => (await getJson(`${harness.url}/builds?state=done`)).body.jobs.length === 5);
    const buildId = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await harness.build.started();

    const first = await getJson(`${harness.url}/builds?limit=4`);
    expect(first.status).toBe(200);
    expect(first.body.jobs.map((j: any) => j.id)).toEqual([buildId, ...ids.slice(-3).reverse()]);
    expect(first.body.jobs[0]).not.toHaveProperty('logs');
    const second = await getJson(`${harness.url}/builds?limit=4&cursor=${first.body.nextCursor}`);
    expect(second.body.jobs.map((j: any) => j.id)).toEqual(ids.slice(0, 2).reverse());
    expect(second.body.nextCursor).toBeNull();

    expect((await getJson(`${harness.url}/builds?kind=build`)).body.jobs.map((j: any) => j.id)).toEqual([buildId]);
    expect((await getJson(`${harness.url}/builds?state=running`)).body.jobs.map((j: any) => j.id)).toEqual([buildId]);
    expect((await getJson(`${harness.url}/builds?state=running,done&kind=deploy`)).body.jobs).toHaveLength(5);
    expect((await getJson(`${harness.url}/builds?state=running&state=done`)).body.jobs).toHaveLength(6);
    harness.build.open('hold');
  });

  it.each([
    ['limit=0', 'limit', 'at least 1'],
    ['limit=201', 'limit', 'at most 200'],
    ['limit=ten', 'limit', 'whole number'],
    ['state=finished', 'state[0]', 'must be one of'],
    ['kind=image', 'kind', '"build" or "deploy"'],
    ['status=done', 'status', 'not a known field'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor', 'not a cursor'],
  ])('answers 400 for ?%s, naming %s', async (query, path, message) => {
    harness = await startHarness();
    const response = await getJson(`${harness.url}/builds?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(response.body.error.issues[0].path).toBe(path);
    expect(response.body.error.issues[0].message).toContain(message);
  });
});

describe('one job', () => {
  it('answers 404 for an unknown id and 400 for something that is not an id', async () => {
    harness = await startHarness();
    const unknown = await getJson(`${harness.url}/build/0190a000-0000-7000-8000-000000000000`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: 'JOB_NOT_FOUND', message: 'No job with id "0190a000-0000-7000-8000-000000000000".' });
    const malformed = await getJson(`${harness.url}/build/..%2F..%2Fetc`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.issues[0].path).toBe('id');
  });

  it('cancels a queued job at once (200) and a running one on request (202), and refuses a finished one (409)', async () => {
    harness = await startHarness({ build: [{ log: 'RUN sleep 600' }, { hang: true }], builder: { concurrency: 1 } });
    const running = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    const queued = (await postJson(`${harness.url}/build`, { service: 'y' })).body.id;
    await harness.build.started();

    const cancelQueued = await postJson(`${harness.url}/build/${queued}/cancel`, '');
    expect(cancelQueued.status).toBe(200);
    expect(cancelQueued.body).toMatchObject({ id: queued, state: 'cancelled' });

    const cancelRunning = await fetch(`${harness.url}/build/${running}/cancel`, { method: 'POST' });
    expect(cancelRunning.status).toBe(202);
    expect(await cancelRunning.json()).toMatchObject({ id: running, state: 'running', cancelRequestedAt: expect.any(String) });
    const job = await finished(running);
    expect(job).toMatchObject({ state: 'cancelled', error: 'Cancelled on request.' });
    expect(job.logs.at(-1)).toBe('[docker-builder] job cancelled on request');

    const again = await fetch(`${harness.url}/build/${running}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error.code).toBe('INVALID_STATE');
  });

  it('retries a failed job (202) and refuses to retry a running one (409)', async () => {
    harness = await startHarness({ build: [{ gate: 'go' }, { fail: 'step 3/7 failed' }] });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await harness.build.started();
    const early = await fetch(`${harness.url}/build/${id}/retry`, { method: 'POST' });
    expect(early.status).toBe(409);
    harness.build.open('go');
    expect((await finished(id)).error).toBe('step 3/7 failed');
    const retry = await fetch(`${harness.url}/build/${id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    const body = (await retry.json()) as any;
    expect(body).toEqual({ id: expect.any(String), enqueued: true, retryOf: id });
    expect((await getJson(`${harness.url}/build/${body.id}`)).body).toMatchObject({ retryOf: id });
    expect((await fetch(`${harness.url}/build/0190a000-0000-7000-8000-000000000000/retry`, { method: 'POST' })).status).toBe(404);
  });

  it('shows what the service runs on in _debug, without secrets', async () => {
    harness = await startHarness();
    const { status, body } = await getJson(`${harness.url}/_debug`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      version: expect.any(String),
      store: { name: 'memory', ok: true },
      queue: { name: 'in-process', ok: true, workers: 2 },
      runners: { build: { name: 'scripted', ok: true }, deploy: { name: 'scripted', ok: true } },
    });
  });
});

describe('live logs (Server-Sent Events)', () => {
  it('streams every line once, in order, with proxy-proof headers, then an end event', async () => {
    harness = await startHarness({ build: [{ log: ['one', 'two'] }, { gate: 'more' }, { log: ['three'] }] });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await harness.build.reached('more');
    const reading = readEvents(`${harness.url}/build/${id}/logs`);
    setTimeout(() => harness.build.open('more'), 50);
    const { response, events } = await reading;
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    const job = (event: (typeof events)[number]) => JSON.parse(event.data) as { id: string; state: string; progress: number };
    const time = (event: (typeof events)[number]) => JSON.parse(event.data) as { from: number; at: string };
    expect(events.map((e) => (e.event === 'state' ? `state ${job(e).state}` : e.event === 'time' ? `time from ${time(e).from}` : e))).toEqual([
      'state running',
      // One time per batch the runner's lines were stored in: "three" came after the gate.
      'time from 0',
      { id: '0', event: 'message', data: 'one' },
      { id: '1', event: 'message', data: 'two' },
      'time from 2',
      { id: '2', event: 'message', data: 'three' },
      'state done',
      { event: 'end', data: JSON.stringify({ state: 'done', error: null, progress: 100 }) },
    ]);
    expect(job(events[0]!)).toMatchObject({ id, service: 'x', progress: 0 });
  });

  it('resumes from Last-Event-ID without losing or repeating a line', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
    harness = await startHarness({
      build: [{ log: lines.slice(0, 100) }, { gate: 'half' }, { log: lines.slice(100, 200) }, { sleep: 20 }, { log: lines.slice(200) }],
    });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await harness.build.reached('half');
    const first = await readEvents(`${harness.url}/build/${id}/logs`, { maxEvents: 60 });
    const lastId = first.events.at(-1)!.id!;
    expect(lastId).toBe('59');
    harness.build.open('half');
    const second = await readEvents(`${harness.url}/build/${id}/logs`, { lastEventId: lastId, maxEvents: 100 });
    const third = await readEvents(`${harness.url}/build/${id}/logs`, { lastEventId: second.events.at(-1)!.id! });
    const received = [...first.events, ...second.events, ...third.events].filter((e) => e.event === 'message');
    expect(received.map((e) => e.data)).toEqual(lines);
    expect(received.map((e) => Number(e.id))).toEqual(lines.map((_, i) => i));
    expect(third.events.at(-1)!.event).toBe('end');
  });

  it('starts from ?from= when there is no Last-Event-ID, and ends at once for a finished job', async () => {
    harness = await startHarness({ build: [{ log: ['a', 'b', 'c'] }] });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await finished(id);
    const { events } = await readEvents(`${harness.url}/build/${id}/logs?from=2`);
    expect(events.filter((e) => e.event === 'message' || e.event === 'end').map((e) => e.data)).toEqual(['c', JSON.stringify({ state: 'done', error: null, progress: 100 })]);
    // A finished job: its state once, first, as it is now; then the time of the line it starts at.
    expect(events.map((e) => e.event)).toEqual(['state', 'time', 'message', 'end']);
    const { logsTimes } = (await getJson(`${harness.url}/build/${id}`)).body as { logsTimes: Array<{ from: number; at: string }> };
    expect(logsTimes).toEqual([{ from: 0, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) }]);
    expect(JSON.parse(events[1]!.data)).toEqual({ from: 2, at: logsTimes[0]!.at });
  });

  it('sends heartbeat comments while a job is quiet', async () => {
    harness = await startHarness({ build: [{ gate: 'go' }], router: { sseHeartbeatSeconds: 0.05 } });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await harness.build.started();
    setTimeout(() => harness.build.open('go'), 300);
    const { comments } = await readEvents(`${harness.url}/build/${id}/logs`);
    expect(comments.filter((c) => c === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  it('answers 404 before streaming when the job does not exist', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.url}/build/0190a000-0000-7000-8000-000000000000/logs`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/json');
  });

  it('holds back a client that does not read: the server pulls only what the socket takes', async () => {
    const line = 'x'.repeat(1_000);
    const total = 20_000;
    let pulled = 0;
    harness = await startHarness({
      build: [{ log: Array.from({ length: total }, () => line) }],
      builder: { logs: { maxLineLength: 2_000 } },
      wrap: (builder): Builder => ({
        ...builder,
        followLogs: (id, options) => {
          const inner = builder.followLogs(id, options);
          return (async function* () {
            for await (const entry of inner) {
              pulled += 1;
              yield entry;
            }
          })();
        },
      }),
    });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await finished(id);
    const { port, pathname } = new URL(`${harness.url}/build/${id}/logs`);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setNoDelay(true);
    socket.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stalledAt = pulled;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pulled).toBe(stalledAt);
    expect(pulled).toBeLessThan(total / 2);
    socket.destroy();
  });
});

describe('auth hook', () => {
  const auth = (req: { get(name: string): string | undefined }) =>
    req.get('authorization') === 'Bearer good' ? { sub: 'alice@example.com', name: 'Alice' } : null;

  it('answers 401 without valid credentials and creates nothing', async () => {
    harness = await startHarness({ router: { auth } });
    const response = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body.error.code).toBe('UNAUTHORIZED');
    for (const path of ['/builds', '/_debug', '/build/0190a000-0000-7000-8000-000000000000']) {
      expect((await fetch(`${harness.url}${path}`)).status).toBe(401);
    }
    expect((await harness.builder.list({ limit: 10 })).jobs).toEqual([]);
  });

  it('stores the user with the job and hands it to the runner', async () => {
    harness = await startHarness({ router: { auth } });
    const created = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS }, { Authorization: 'Bearer good' });
    expect(created.status).toBe(202);
    await harness.deploy.started();
    expect(harness.deploy.runs[0]!.context.user).toEqual({ sub: 'alice@example.com', name: 'Alice' });
    const job = await getJson(`${harness.url}/build/${created.body.id}`, { Authorization: 'Bearer good' });
    expect(job.body.user).toEqual({ sub: 'alice@example.com', name: 'Alice' });
    expect(await harness.builder.store.getDeployMetadata(created.body.id)).toEqual({
      mappings: SEED_MAPPINGS,
      user: { sub: 'alice@example.com', name: 'Alice' },
    });
  });

  it('refuses a user whose sub would be evaluated by a template', async () => {
    harness = await startHarness({ router: { auth: () => ({ sub: '{{ lookup("pipe","id") }}' }) } });
    const response = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS });
    expect(response.status).toBe(400);
    expect(response.body.error.issues[0].path).toBe('sub');
  });

  it('keeps the OpenAPI document and docs page public', async () => {
    harness = await startHarness({ router: { auth } });
    expect((await fetch(`${harness.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${harness.url}/docs`)).status).toBe(200);
  });
});

describe('the raw log', () => {
  it('streams the whole log as plain text, and as a download on request', async () => {
    const lines = Array.from({ length: 2_500 }, (_, i) => `line ${i} \u001b[32mgreen\u001b[0m`);
    harness = await startHarness({ build: [{ log: lines }] });
    const id = (await postJson(`${harness.url}/build`, { service: 'x' })).body.id;
    await finished(id);
    const text = await fetch(`${harness.url}/build/${id}/logs.txt`);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.headers.get('content-disposition')).toBeNull();
    expect(await text.text()).toBe(`${lines.join('\n')}\n`);
    const download = await fetch(`${harness.url}/build/${id}/logs.txt?download=1`);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="job-${id}.log"`);
    expect((await fetch(`${harness.url}/build/0190a000-0000-7000-8000-000000000000/logs.txt`)).status).toBe(404);
  });
});

describe('read-only users', () => {
  it('refuses changes with 403 to a user the host made read-only, and says so in /session', async () => {
    harness = await startHarness({
      router: {
        auth: (req) => ({ sub: req.get('authorization') === 'Bearer admin' ? 'admin' : 'viewer' }),
        canWrite: (user) => user?.sub === 'admin',
      },
    });
    const viewer = { Authorization: 'Bearer viewer' };
    expect((await getJson(`${harness.url}/session`, viewer)).body).toEqual({ user: { sub: 'viewer' }, role: 'read', canWrite: false });
    const refused = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS }, viewer);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('may only read') });
    expect((await getJson(`${harness.url}/builds`, viewer)).status).toBe(200);
    const admin = { Authorization: 'Bearer admin' };
    expect((await getJson(`${harness.url}/session`, admin)).body).toEqual({ user: { sub: 'admin' }, role: 'admin', canWrite: true });
    const accepted = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS }, admin);
    expect(accepted.status).toBe(202);
    expect((await fetch(`${harness.url}/build/${accepted.body.id}/cancel`, { method: 'POST', headers: viewer })).status).toBe(403);
    expect((await fetch(`${harness.url}/build/${accepted.body.id}/retry`, { method: 'POST', headers: viewer })).status).toBe(403);
  });
});

describe('OpenAPI and docs', () => {
  it('documents every route with schemas generated from zod', async () => {
    harness = await startHarness();
    const { body } = await getJson(`${harness.url}/openapi.json`);
    expect(body.openapi).toBe('3.1.0');
    expect(body.servers).toEqual([{ url: '.' }]);
    expect(Object.keys(body.paths).sort()).toEqual(
      [
        '/_debug',
        '/build',
        '/build/{id}',
        '/build/{id}/cancel',
        '/build/{id}/logs',
        '/build/{id}/logs.txt',
        '/build/{id}/retry',
        '/builds',
        '/builds/counts',
        '/deploy-services',
        '/events',
        '/runners',
        '/session',
        '/openapi.json',
        '/docs',
      ].sort(),
    );
    const deploy = body.paths['/deploy-services'].post;
    expect(deploy.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['mappings'],
      properties: { mappings: { type: 'object' } },
    });
    expect(deploy.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Submitted' });
    expect(body.components.schemas.Submitted.properties).toHaveProperty('enqueued');
    const list = body.paths['/builds'].get;
    expect(list.parameters.map((p: any) => p.name).sort()).toEqual(['cursor', 'kind', 'limit', 'q', 'retryOf', 'state']);
    expect(body.paths['/build/{id}'].get.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
  });

  it('serves the docs page with its assets relative to the mount point', async () => {
    harness = await startHarness();
    const page = await fetch(`${harness.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('docs/docs.js');
    for (const asset of ['docs/docs.js', 'docs/docs.css', 'openapi.json']) {
      expect((await fetch(new URL(asset, `${harness.url}/docs`))).status).toBe(200);
    }
    const slash = await fetch(`${harness.url}/docs/`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
  });
});

describe('errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    harness = await startHarness();
    const response = await getJson(`${harness.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('never sends a stack trace or an internal message', async () => {
    harness = await startHarness({
      wrap: (builder) => ({
        ...builder,
        list: async () => {
          throw new TypeError('secret detail: redis://:hunter2@10.0.0.1');
        },
      }),
    });
    const response = await fetch(`${harness.url}/builds`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'INTERNAL', message: 'Something went wrong on the server; its log has the details.' },
    });
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/\bat\s+\S+\s+\(/);
  });
});
