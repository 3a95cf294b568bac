/**
 * The published OpenAPI document is a promise to every generated client: each answer the API
 * gives (success or error, JSON, text or event stream) must be one the document lists for that
 * operation, with a body its schema accepts. This drives every route of a real router, with
 * auth, roles and uploads, through builds from JSON and from an archive, a deploy, failures,
 * cancels, retries, lists, log pages, an unavailable store and unexpected errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, type AuthenticatedUser, type BuildSpec, type Builder, type Runner, type RunnerReadiness } from '@docker-builder/core';
import { createFaultyStore, createScriptedRunner, jobEnded, type FaultyStore } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { tarArchive } from '../../../test-support/tar-fixtures.js';
import { startHarness, type Harness } from './harness.js';
import { createConformance, type Conformance } from './openapi-conformance.js';

const USERS: Record<string, AuthenticatedUser> = {
  admin: { sub: 'root@example.com', role: 'admin' },
  alice: { sub: 'alice@example.com', name: 'Alice', role: 'write' },
  bob: { sub: 'bob@example.com', role: 'write' },
  rita: { sub: 'rita@example.com', role: 'read' },
};
const as = (who: string) => ({ Authorization: `Bearer ${who}` });

function auth(req: Request): AuthenticatedUser | null {
  const token = req.get('authorization')?.replace(/^Bearer /, '') ?? '';
  if (token === 'explode') throw new Error('the auth hook broke');
  return USERS[token] ?? null;
}

/** The Docker runner's way of storing secrets (its format, not its cipher): sealed values are never taken back. */
function sealSecrets(spec: BuildSpec): BuildSpec {
  if (!spec.secretBuildArgs) return spec;
  const sealed: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.secretBuildArgs)) {
    if (value.startsWith('sealed:')) throw new ValidationError([{ path: `secretBuildArgs.${name}`, message: 'is sealed: send the secret itself' }]);
    sealed[name] = `sealed:v1:0badc0de:${Buffer.from(value).toString('base64url')}`;
  }
  return { ...spec, secretBuildArgs: sealed };
}

const README_BUILD = { service: 'rag-service', context: 'rag', tags: ['20251025-111006', 'latest'], buildArgs: { GREETING: 'bonjour' }, target: 'runtime' };
const README_DEPLOY = {
  mappings: {
    'rag-service': 'us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006',
    'agent-service': 'us-central1-docker.pkg.dev/PROJECT/REPO/agent-service:20251025-184200',
  },
};
/** 4 096 characters, the most a secret may have: sealed, it is longer. */
const LONG_SECRET = `npm_${'x'.repeat(4092)}`;
const UNKNOWN_JOB = '019a1b2c-3d4e-7f00-8a00-0123456789ab';
/** What a Docker runner says with a context root that is not there, two git hosts and no registry. */
const BUILD_READINESS: RunnerReadiness = {
  problems: [
    {
      cause: 'The context root is not a directory on this server, so builds from a directory fail.',
      fix: 'Point BUILD_CONTEXT_ROOT at the directory that holds the build contexts.',
      settings: ['BUILD_CONTEXT_ROOT'],
      detail: 'BUILD_CONTEXT_ROOT is /srv/contexts, which is not a directory here.',
    },
  ],
  contexts: {
    directory: { ok: false, problem: { cause: 'The context root is not a directory on this server.', fix: 'Point BUILD_CONTEXT_ROOT at it.', settings: ['BUILD_CONTEXT_ROOT'], detail: '/srv/contexts' } },
    git: { ok: true, hosts: ['github.com', '*.example.com'], ssh: true },
    upload: { ok: true },
  },
  push: { ok: false, problem: { cause: 'Pushing is off.', fix: 'Set REGISTRY_PREFIX or PUSH_ALLOW.', settings: ['REGISTRY_PREFIX', 'PUSH_ALLOW'] } },
};

let harness: Harness;
let api: Conformance;
let store: FaultyStore;
let slowBuilds: ReturnType<typeof createScriptedRunner<'build'>>;
const uploadsDir = mkdtempSync(path.join(tmpdir(), 'openapi-uploads-'));
const broken = new Set<string>();
const jobs: Record<string, string> = {};

beforeAll(async () => {
  store = createFaultyStore(createMemoryJobStore());
  slowBuilds = createScriptedRunner({
    kind: 'build',
    script: (spec) => {
      if (spec.service === 'broken') return [{ log: 'Step 1/1 : FROM nowhere' }, { fail: 'pull access denied for nowhere' }];
      const steps = [{ log: 'Step 1/2 : FROM scratch' }, { progress: 50 }, { log: 'Step 2/2 : COPY . /' }, { result: { imageId: 'sha256:30629c00', references: spec.tags } }];
      if (spec.service === 'slow' || spec.service === 'watched' || spec.service === 'grouped') return [{ log: 'Step 1/2 : FROM scratch' }, { gate: spec.service }, ...steps.slice(1)];
      return steps;
    },
  });
  const build: Runner<'build'> = { ...slowBuilds, validate: sealSecrets, readiness: async () => BUILD_READINESS };
  const deploy = createScriptedRunner({
    kind: 'deploy',
    script: (spec, context) => [
      ...Object.entries(spec.mappings).map(([service, image]) => ({ log: `${service} -> ${image} (for ${context.user?.sub ?? 'nobody'})` })),
      { result: { deployed: Object.keys(spec.mappings) } },
    ],
  });
  harness = await startHarness({
    builder: { store, runners: { build, deploy }, concurrency: 1 },
    router: { auth, bodyLimit: '16kb', uploads: { dir: uploadsDir, maxBytes: 64 * 1024, maxConcurrent: 1 } },
    // Methods named here throw an Error nobody expected: the router must answer its documented 500.
    wrap: (builder) =>
      new Proxy(builder, {
        get: (target, name, receiver) =>
          broken.has(String(name))
            ? async () => {
                throw new Error(`${String(name)} broke`);
              }
            : Reflect.get(target, name, receiver),
      }) as Builder,
  });
  const document = await (await fetch(`${harness.url}/openapi.json`)).json();
  api = createConformance(harness.url, document);
});
afterAll(async () => {
  slowBuilds?.open('slow');
  await harness?.close();
});

const ended = (id: string) => jobEnded(harness.builder, id);
/** Every documented operation but the document itself and its page. */
const operationsNeedingCredentials = () =>
  Object.entries(api.document.paths as Record<string, Record<string, unknown>>)
    .filter(([template]) => template !== '/openapi.json' && template !== '/docs')
    .reduce((sum, [, item]) => sum + Object.keys(item).length, 0);
const tar = tarArchive([{ name: 'Dockerfile', body: 'FROM scratch\nCOPY greeting.txt /\n' }, { name: 'greeting.txt', body: 'hello\n' }]);

describe('the OpenAPI document against the live API', () => {
  it('serves the document and the docs page as the document says', async () => {
    const document = await api.request('get', '/openapi.json');
    expect(document.status).toBe(200);
    expect(document.body.openapi).toMatch(/^3\.1\./);
    expect((await api.request('get', '/docs')).status).toBe(200);
  });

  it('builds from JSON and from an uploaded archive, deploys, and fails, as documented', async () => {
    const fromJson = await api.request('post', '/build', { headers: as('alice'), json: { ...README_BUILD, secretBuildArgs: { NPM_TOKEN: LONG_SECRET } } });
    expect(fromJson.status).toBe(202);
    const uploaded = await api.request('post', '/build', {
      headers: { ...as('alice'), 'Content-Type': 'application/x-tar' },
      query: { service: 'hello', tag: ['1.0', 'latest'], buildArg: 'GREETING=bonjour', push: 'false' },
      body: tar,
    });
    expect(uploaded.status).toBe(202);
    const deploy = await api.request('post', '/deploy-services', { headers: as('alice'), json: README_DEPLOY });
    expect(deploy.status).toBe(202);
    const failing = await api.request('post', '/build', { headers: as('admin'), json: { service: 'broken', push: false } });
    expect(failing.status).toBe(202);
    Object.assign(jobs, { json: fromJson.body.id, upload: uploaded.body.id, deploy: deploy.body.id, failed: failing.body.id });
    for (const id of Object.values(jobs)) await ended(id);

    const read = async (id: string) => (await api.request('get', '/build/{id}', { params: { id }, headers: as('rita') })).body;
    const json = await read(jobs.json!);
    expect(json.spec.secretBuildArgs.NPM_TOKEN).toMatch(/^sealed:v1:/);
    expect(json.spec.secretBuildArgs.NPM_TOKEN.length).toBeGreaterThan(4096);
    expect((await read(jobs.upload!)).spec.upload).toEqual(expect.any(String));
    expect((await read(jobs.deploy!)).kind).toBe('deploy');
    expect((await read(jobs.failed!)).state).toBe('error');

    const page = await api.request('get', '/build/{id}', { params: { id: jobs.json! }, query: { logsFrom: '1', logsLimit: '1' }, headers: as('rita') });
    // The page's times start at its first line: "Step 2/2" was stored in a batch of its own, after progress.
    expect(page.body).toMatchObject({ logs: ['Step 2/2 : COPY . /'], logsNext: 2, logsTotal: 2, logsTimes: [{ from: 1, at: expect.any(String) }] });
    expect((await api.request('get', '/build/{id}', { params: { id: jobs.json! }, query: { logsLimit: '0' }, headers: as('rita') })).body).toMatchObject({ logs: [], logsTimes: [] });
    const deployed = (await api.request('get', '/build/{id}', { params: { id: jobs.deploy! }, headers: as('rita') })).body;
    const stamped = await api.request('get', '/build/{id}/logs.txt', { params: { id: jobs.deploy! }, query: { timestamps: '1' }, headers: as('rita') });
    // Like `docker logs -t`: each line after its time and a space.
    expect(stamped.text).toBe(deployed.logs.map((line: string) => `${deployed.logsTimes[0].at} ${line}\n`).join(''));
    expect((await api.request('get', '/build/{id}/logs.txt', { params: { id: jobs.deploy! }, query: { timestamps: 'yes' }, headers: as('rita') })).status).toBe(400);
    expect((await api.request('get', '/build/{id}/logs.txt', { params: { id: jobs.deploy! }, headers: as('rita') })).text).toMatch(/^rag-service -> /);
    const download = await api.request('get', '/build/{id}/logs.txt', { params: { id: jobs.failed! }, query: { download: '1' }, headers: as('rita') });
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    const stream = await api.request('get', '/build/{id}/logs', { params: { id: jobs.deploy! }, headers: as('rita') });
    expect(stream.body.map((event: any) => event.event)).toEqual(['state', 'time', 'message', 'message', 'end']);
    expect(JSON.parse(stream.body[1].data)).toEqual(deployed.logsTimes[0]);
    const resumed = await api.request('get', '/build/{id}/logs', { params: { id: jobs.deploy! }, headers: { ...as('rita'), 'Last-Event-ID': '0' } });
    // A resumed stream says first when the line it resumes at was stored.
    expect(resumed.body.map((event: any) => event.id ?? event.event)).toEqual(['state', 'time', '1', 'end']);
    expect(JSON.parse(resumed.body[1].data)).toEqual({ from: 1, at: deployed.logsTimes[0].at });
    expect((await api.request('get', '/build/{id}/logs', { params: { id: jobs.json! }, query: { from: '1' }, headers: as('rita') })).body.map((event: any) => event.event)).toEqual(['state', 'time', 'message', 'end']);
  });

  it('lists jobs with filters and pages, as documented', async () => {
    const all = await api.request('get', '/builds', { headers: as('rita') });
    expect(all.body.jobs.length).toBeGreaterThanOrEqual(4);
    const first = await api.request('get', '/builds', { query: { limit: '2' }, headers: as('rita') });
    expect(first.body.jobs).toHaveLength(2);
    const second = await api.request('get', '/builds', { query: { limit: '2', cursor: first.body.nextCursor }, headers: as('rita') });
    expect(second.body.jobs.length).toBeGreaterThan(0);
    const builds = await api.request('get', '/builds', { query: { state: 'done,error', kind: 'build' }, headers: as('rita') });
    expect(builds.body.jobs.every((job: any) => job.kind === 'build')).toBe(true);
    const failed = await api.request('get', '/builds', { query: { state: ['error', 'cancelled'] }, headers: as('rita') });
    expect(failed.body.jobs.map((job: any) => job.id)).toContain(jobs.failed);
    expect((await api.request('get', '/builds', { query: { kind: 'deploy', limit: '200' }, headers: as('rita') })).body.jobs).toHaveLength(1);
    const found = await api.request('get', '/builds', { query: { q: 'Agent-Service' }, headers: as('rita') });
    expect(found.body.jobs.map((job: any) => job.id)).toEqual([jobs.deploy]);
    const retries = await api.request('get', '/builds', { query: { retryOf: jobs.deploy! }, headers: as('rita') });
    expect(retries.body.jobs.every((job: any) => job.retryOf === jobs.deploy)).toBe(true);
    const counts = await api.request('get', '/builds/counts', { headers: as('rita') });
    expect(counts.body.total).toBe(all.body.jobs.length);
    expect(counts.body.counts.error).toBe(failed.body.jobs.filter((job: any) => job.state === 'error').length);
    const deployCounts = await api.request('get', '/builds/counts', { query: { kind: 'deploy', q: 'rag-service' }, headers: as('rita') });
    expect(deployCounts.body.total).toBe(1);
  });

  it('follows every job, and one job\'s state and progress in its log, as documented', async () => {
    const rita = as('rita');
    const [ready] = (await api.request('get', '/events', { headers: rita, events: 1 })).body;
    expect(ready).toMatchObject({ event: 'ready', data: '{"resumed":false}' });

    const following = () => harness.builder.store.health().then((health) => health.details?.eventFollowers);
    const id = (await api.request('post', '/build', { headers: as('alice'), json: { service: 'watched', push: false } })).body.id;
    await slowBuilds.reached('watched');
    // The `ready` client above has gone; its follower with it.
    await expect.poll(following, { interval: 10, timeout: 5_000 }).toBe(0);
    const log = api.request('get', '/build/{id}/logs', { params: { id }, headers: rita });
    await expect.poll(following, { interval: 10, timeout: 5_000 }).toBe(1);
    slowBuilds.open('watched');
    const label = (event: any) => (event.event === 'message' ? event.data : event.event === 'time' ? `time from ${JSON.parse(event.data).from}` : `${event.event} ${JSON.parse(event.data).state}`);
    expect((await log).body.map(label)).toEqual([
      'state running',
      'time from 0',
      'Step 1/2 : FROM scratch',
      'progress running',
      'time from 1',
      'Step 2/2 : COPY . /',
      'state done',
      'end done',
    ]);

    // Everything since `ready`: the watched build's created, started, progress and finished.
    const since = await api.request('get', '/events', { headers: rita, query: { after: ready.id }, events: 5 });
    expect(since.body.map((event: any) => event.event)).toEqual(['ready', 'created', 'started', 'progress', 'finished']);
    expect(JSON.parse(since.body[4].data)).toMatchObject({ id, kind: 'build', state: 'done', service: 'watched', user: { sub: USERS.alice!.sub } });
    const resumed = await api.request('get', '/events', { headers: { ...rita, 'Last-Event-ID': since.body[2].id }, events: 3 });
    expect(resumed.body.map((event: any) => event.event)).toEqual(['ready', 'progress', 'finished']);
    expect(resumed.body[0].data).toBe('{"resumed":true}');
    const filtered = await api.request('get', '/events', { headers: rita, query: { after: ready.id, kind: 'build', state: ['done', 'error'] }, events: 2 });
    expect(filtered.body.map((event: any) => event.event)).toEqual(['ready', 'finished']);
    const reset = await api.request('get', '/events', { headers: rita, query: { after: 'from-another-server-1' }, events: 1 });
    expect(reset.body[0]).toMatchObject({ event: 'reset', id: await harness.builder.lastEventId() });
  });

  it('says who is calling, and what the service runs on for each role, as documented', async () => {
    for (const who of Object.keys(USERS)) expect((await api.request('get', '/session', { headers: as(who) })).body.user.sub).toBe(USERS[who]!.sub);
    const admin = await api.request('get', '/_debug', { headers: as('admin') });
    expect(admin.body.runners.build.details).toBeDefined();
    const reader = await api.request('get', '/_debug', { headers: as('rita') });
    expect(reader.body.runners.build).toEqual({ name: 'scripted', ok: true });
    expect(reader.body.groups).toEqual([]);

    // Two builds of one image: the second waits for the first's group. Job ids are no secret: readers see the groups too.
    const holder = (await api.request('post', '/build', { headers: as('alice'), json: { service: 'grouped', push: false } })).body.id;
    await slowBuilds.reached('grouped');
    const next = (await api.request('post', '/build', { headers: as('alice'), json: { service: 'grouped', push: false } })).body.id;
    const group = { name: 'build:grouped', limit: 1, policy: 'queue', holders: [holder], waiting: [next] };
    expect((await api.request('get', '/_debug', { headers: as('admin') })).body.groups).toEqual([group]);
    expect((await api.request('get', '/_debug', { headers: as('rita') })).body.groups).toEqual([group]);
    // Groups the store could not read do not fail `_debug`: they are unknown (null), the rest is there.
    const heal = store.inject({ method: 'groupStates' });
    try {
      expect((await api.request('get', '/_debug', { headers: as('admin') })).body).toMatchObject({ store: { name: 'memory', ok: true }, groups: null });
    } finally {
      heal();
    }
    slowBuilds.open('grouped');
    await ended(next);
    expect((await api.request('get', '/_debug', { headers: as('rita') })).body.groups).toEqual([]);

    // What each kind needs, for every reader; the details for admins; the git hosts for writers.
    const forAdmin = await api.request('get', '/runners', { headers: as('admin') });
    expect(forAdmin.body.build).toMatchObject({ ok: false, problems: [{ detail: expect.any(String) }], contexts: { git: { hosts: ['github.com', '*.example.com'] }, upload: { maxBytes: 64 * 1024 } } });
    expect(forAdmin.body.deploy).toEqual({ name: 'scripted', ok: true, problems: [] });
    const forReader = await api.request('get', '/runners', { headers: as('rita') });
    expect(JSON.stringify(forReader.body)).not.toContain('/srv/contexts');
    expect(forReader.body.build.contexts.git.hosts).toBeUndefined();
    expect((await api.request('get', '/runners', { headers: as('alice') })).body.build.contexts.git.hosts).toHaveLength(2);
  });

  it('cancels and retries, and refuses what may not be done, as documented', async () => {
    const slow = (await api.request('post', '/build', { headers: as('alice'), json: { service: 'slow', push: false } })).body.id;
    await slowBuilds.reached('slow');
    // The builder runs one job at a time: this one waits in the queue.
    const queued = (await api.request('post', '/build', { headers: as('alice'), json: { service: 'waiting', push: false } })).body.id;
    expect((await api.request('post', '/build/{id}/retry', { params: { id: slow }, headers: as('alice') })).status).toBe(409);
    expect((await api.request('post', '/build/{id}/cancel', { params: { id: queued }, headers: as('bob') })).status).toBe(403);
    expect((await api.request('post', '/build/{id}/cancel', { params: { id: queued }, headers: as('rita') })).status).toBe(403);
    const cancelled = await api.request('post', '/build/{id}/cancel', { params: { id: queued }, headers: as('alice') });
    expect(cancelled).toMatchObject({ status: 200, body: { state: 'cancelled', cancelledBy: { sub: USERS.alice!.sub } } });
    const asked = await api.request('post', '/build/{id}/cancel', { params: { id: slow }, headers: as('admin') });
    expect(asked).toMatchObject({ status: 202, body: { state: 'running' } });
    expect((await ended(slow)).state).toBe('cancelled');
    expect((await api.request('post', '/build/{id}/cancel', { params: { id: slow }, headers: as('alice') })).status).toBe(409);
    expect((await api.request('get', '/build/{id}', { params: { id: slow }, headers: as('rita') })).body.cancelRequestedAt).toEqual(expect.any(String));

    const retried = await api.request('post', '/build/{id}/retry', { params: { id: jobs.failed! }, headers: as('bob') });
    expect(retried).toMatchObject({ status: 202, body: { retryOf: jobs.failed } });
    await ended(retried.body.id);
    expect((await api.request('post', '/build/{id}/retry', { params: { id: jobs.upload! }, headers: as('alice') })).status).toBe(409);
    expect((await api.request('post', '/build/{id}/retry', { params: { id: jobs.json! }, headers: as('alice') })).status).toBe(400);
    expect((await api.request('post', '/build/{id}/retry', { params: { id: jobs.deploy! }, headers: as('rita') })).status).toBe(403);
  });

  it('answers bad requests with the documented errors', async () => {
    const id = jobs.deploy!;
    const statuses = async (requests: Array<Promise<{ status: number }>>) => (await Promise.all(requests)).map((r) => r.status);
    const rita = as('rita');
    expect(
      await statuses([
        ...[{ limit: '0' }, { limit: '201' }, { limit: 'ten' }, { state: 'finished' }, { kind: 'image' }, { cursor: 'x'.repeat(201) }, { page: '2' }, { q: ' ' }, { q: 'rag\u0007' }, { retryOf: 'nope' }].map((query) =>
          api.request('get', '/builds', { query, headers: rita }),
        ),
        ...[{ kind: 'image' }, { q: 'x'.repeat(257) }, { state: 'done' }].map((query) => api.request('get', '/builds/counts', { query, headers: rita })),
        api.request('get', '/build/{id}', { params: { id: 'not-a-job' }, headers: rita }),
        api.request('get', '/build/{id}', { params: { id }, query: { logsFrom: '-1' }, headers: rita }),
        api.request('get', '/build/{id}', { params: { id }, query: { logsLimit: '1000001' }, headers: rita }),
        api.request('get', '/build/{id}/logs', { params: { id }, query: { from: 'start' }, headers: rita }),
        api.request('get', '/build/{id}/logs', { params: { id }, headers: { ...rita, 'Last-Event-ID': 'nope' } }),
        api.request('get', '/build/{id}/logs.txt', { params: { id }, query: { download: 'yes' }, headers: rita }),
        api.request('get', '/events', { query: { after: 'not an id' }, headers: rita }),
        api.request('get', '/events', { query: { state: 'finished' }, headers: rita }),
        api.request('get', '/events', { query: { kind: 'image' }, headers: rita }),
        api.request('get', '/events', { headers: { ...rita, 'Last-Event-ID': 'x'.repeat(101) } }),
        api.request('post', '/build/{id}/cancel', { params: { id: 'not-a-job' }, headers: as('alice') }),
        api.request('post', '/build/{id}/cancel', { params: { id }, query: { onlyQueued: 'yes' }, headers: as('alice') }),
        api.request('post', '/build/{id}/retry', { params: { id: 'not-a-job' }, headers: as('alice') }),
        api.request('post', '/build', { headers: as('alice'), json: '{"service": ' }),
        api.request('post', '/build', { headers: as('alice'), json: { service: 'rag-service', no_cache: true } }),
        api.request('post', '/deploy-services', { headers: as('alice'), json: { mappings: { x: "img:{{ lookup('pipe','id') }}" } } }),
        api.request('post', '/build', { headers: { ...as('alice'), 'Content-Type': 'application/x-tar' }, query: { push: 'false' }, body: tar }),
        api.request('post', '/build', { headers: { ...as('alice'), 'Content-Type': 'application/x-tar' }, query: { service: 'hello' }, body: Buffer.from('not a tar archive') }),
      ]),
    ).toEqual(Array(31).fill(400));

    expect(
      await statuses([
        api.request('get', '/build/{id}', { params: { id: UNKNOWN_JOB }, headers: rita }),
        api.request('get', '/build/{id}/logs', { params: { id: UNKNOWN_JOB }, headers: rita }),
        api.request('get', '/build/{id}/logs.txt', { params: { id: UNKNOWN_JOB }, headers: rita }),
        api.request('post', '/build/{id}/cancel', { params: { id: UNKNOWN_JOB }, headers: as('alice') }),
        api.request('post', '/build/{id}/retry', { params: { id: UNKNOWN_JOB }, headers: as('alice') }),
      ]),
    ).toEqual(Array(5).fill(404));

    expect(
      await statuses([
        api.request('post', '/build', { headers: rita, json: README_BUILD }),
        api.request('post', '/deploy-services', { headers: rita, json: README_DEPLOY }),
        api.request('post', '/build', { headers: { ...rita, 'Content-Type': 'application/x-tar' }, query: { service: 'hello' }, body: tar }),
      ]),
    ).toEqual([403, 403, 403]);

    const big = { mappings: Object.fromEntries(Array.from({ length: 200 }, (_, n) => [`service-${n}`, `registry.example.com/team/service-${n}:${'1'.repeat(64)}`])) };
    expect((await api.request('post', '/deploy-services', { headers: as('alice'), json: big })).status).toBe(413);
    const bigArchive = tarArchive([{ name: 'Dockerfile', body: 'FROM scratch\n' }, { name: 'big.bin', body: 'z'.repeat(100 * 1024) }]);
    expect((await api.request('post', '/build', { headers: { ...as('alice'), 'Content-Type': 'application/x-tar' }, query: { service: 'hello' }, body: bigArchive })).status).toBe(413);

    expect((await api.request('post', '/deploy-services', { headers: { ...as('alice'), 'Content-Type': 'text/plain' }, body: JSON.stringify(README_DEPLOY) })).status).toBe(415);
    expect((await api.request('post', '/build', { headers: as('alice'), body: JSON.stringify(README_BUILD) })).status).toBe(415);

    // A route that does not exist answers the same error body.
    const missing = await fetch(`${harness.url}/no-such-route`, { headers: rita });
    expect(missing.status).toBe(404);
    api.validateAt('/paths/~1build~1{id}/get/responses/404/content/application~1json/schema', await missing.json(), 'an unknown route');
  });

  it('answers 401 on every operation that needs credentials, without them or with unknown ones', async () => {
    let secured = 0;
    for (const [template, item] of Object.entries(api.document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!operation.security?.length) continue;
        secured += 1;
        for (const headers of [{}, as('mallory')]) {
          const response = await api.request(method as 'get' | 'post', template, { params: { id: UNKNOWN_JOB }, headers, ...(method === 'post' ? { json: {} } : {}) });
          expect(response.status, `${method} ${template}`).toBe(401);
          expect(response.headers.get('www-authenticate')).toBe('Bearer');
        }
      }
    }
    expect(secured).toBe(operationsNeedingCredentials());
  });

  it('answers one upload too many with 503 and Retry-After, as documented', async () => {
    let finish!: () => void;
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(tar.subarray(0, 512));
        finish = () => {
          controller.enqueue(tar.subarray(512));
          controller.close();
        };
      },
    });
    const upload = (body: RequestInit['body']) => api.request('post', '/build', { headers: { ...as('alice'), 'Content-Type': 'application/x-tar' }, query: { service: 'hello' }, body });
    const waiting = readdirSync(uploadsDir).length;
    const first = upload(slow);
    // The first upload holds the only slot once the server has started writing it.
    await expect.poll(() => readdirSync(uploadsDir).length, { interval: 10, timeout: 5_000 }).toBe(waiting + 1);
    expect((await upload(tar)).status).toBe(503);
    finish();
    expect((await first).status).toBe(202);
    await ended((await first).body.id);
  });

  it('answers 503 while the store is unavailable, and 500 when something unexpected breaks', async () => {
    const id = jobs.deploy!;
    const unavailable = async (method: 'get' | 'list' | 'count' | 'create' | 'lastEventId', request: () => Promise<{ status: number }>) => {
      const heal = store.inject({ method, times: 1 });
      try {
        return (await request()).status;
      } finally {
        heal();
      }
    };
    expect([
      await unavailable('list', () => api.request('get', '/builds', { headers: as('rita') })),
      await unavailable('count', () => api.request('get', '/builds/counts', { headers: as('rita') })),
      await unavailable('get', () => api.request('get', '/build/{id}', { params: { id }, headers: as('rita') })),
      await unavailable('get', () => api.request('get', '/build/{id}/logs', { params: { id }, headers: as('rita') })),
      await unavailable('get', () => api.request('get', '/build/{id}/logs.txt', { params: { id }, headers: as('rita') })),
      await unavailable('lastEventId', () => api.request('get', '/events', { headers: as('rita') })),
      await unavailable('get', () => api.request('post', '/build/{id}/cancel', { params: { id }, headers: as('alice') })),
      await unavailable('get', () => api.request('post', '/build/{id}/retry', { params: { id }, headers: as('alice') })),
      await unavailable('create', () => api.request('post', '/build', { headers: as('alice'), json: README_BUILD })),
      await unavailable('create', () => api.request('post', '/deploy-services', { headers: as('alice'), json: README_DEPLOY })),
      await unavailable('create', () =>
        api.request('post', '/build', { headers: { ...as('alice'), 'Content-Type': 'application/x-tar' }, query: { service: 'hello' }, body: tar }),
      ),
    ]).toEqual(Array(11).fill(503));

    // An auth hook that throws: every operation that calls it answers 500 with the error body.
    let secured = 0;
    for (const [template, item] of Object.entries(api.document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!operation.security?.length) continue;
        secured += 1;
        const response = await api.request(method as 'get' | 'post', template, { params: { id }, headers: as('explode'), ...(method === 'post' ? { json: {} } : {}) });
        expect(response.status, `${method} ${template}`).toBe(500);
        expect(response.body.error.code).toBe('INTERNAL');
      }
    }
    expect(secured).toBe(operationsNeedingCredentials());

    for (const name of ['get', 'list', 'submitBuild', 'submitDeploy', 'debug', 'retry', 'cancel']) broken.add(name);
    try {
      expect([
        (await api.request('get', '/builds', { headers: as('rita') })).status,
        (await api.request('get', '/build/{id}', { params: { id }, headers: as('rita') })).status,
        (await api.request('get', '/_debug', { headers: as('admin') })).status,
        (await api.request('post', '/build', { headers: as('alice'), json: README_BUILD })).status,
        (await api.request('post', '/deploy-services', { headers: as('alice'), json: README_DEPLOY })).status,
        (await api.request('post', '/build/{id}/cancel', { params: { id }, headers: as('alice') })).status,
      ]).toEqual(Array(6).fill(500));
    } finally {
      broken.clear();
    }
  });

  it('exercised every documented operation, with a success and an error', () => {
    const operations = Object.entries(api.document.paths as Record<string, Record<string, unknown>>).flatMap(([template, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${template}`),
    );
    const unexercised = operations.filter((operation) => {
      const statuses = [...(api.seen.get(operation) ?? [])];
      return !statuses.some((s) => s < 300) || (!operation.includes('openapi.json') && !operation.includes('/docs') && !statuses.some((s) => s >= 400));
    });
    expect(unexercised).toEqual([]);
  });
});

describe.skipIf(process.getuid?.() !== 0)('a full uploads directory', () => {
  it('answers 507, as documented', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir]);
    const full = await startHarness({ router: { auth, uploads: { dir } } });
    try {
      const document = await (await fetch(`${full.url}/openapi.json`)).json();
      const archive = tarArchive([{ name: 'Dockerfile', body: 'FROM scratch\n' }, { name: 'big.bin', body: 'z'.repeat(600_000) }]);
      const response = await createConformance(full.url, document).request('post', '/build', {
        headers: { ...as('alice'), 'Content-Type': 'application/x-tar' },
        query: { service: 'hello' },
        body: archive,
      });
      expect(response.status).toBe(507);
    } finally {
      await full.close();
      execFileSync('umount', [dir]);
    }
  });
});
