/** What the queue page asks the list: a search, the retries of a job, counts per state, places in line. */
import { afterEach, describe, expect, it } from 'vitest';
import { jobEnded } from '@docker-builder/core/testing';
import { getJson, postJson, startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const ids = (body: { jobs: Array<{ id: string }> }) => body.jobs.map((job) => job.id);

describe('GET /builds and /builds/counts', () => {
  it('gives queued jobs their place in line, in the list and on their own, and none once they run', async () => {
    // One job at a time, the first held at a gate: the others wait in line.
    harness = await startHarness({ build: [{ log: 'Step 1/1 : FROM scratch' }, { gate: 'hold' }, { result: {} }], builder: { concurrency: 1 } });
    const submitted: string[] = [];
    for (const service of ['first', 'second', 'third']) submitted.push((await postJson(`${harness.url}/build`, { service, push: false })).body.id);
    const [first, second, third] = submitted as [string, string, string];
    await expect.poll(async () => (await getJson(`${harness!.url}/build/${first}`)).body.state).toBe('running');

    const list = (await getJson(`${harness.url}/builds`)).body;
    expect(list.jobs.map((job: { id: string; placeInLine?: number }) => [job.id, job.placeInLine])).toEqual([
      [third, 2],
      [second, 1],
      [first, undefined],
    ]);
    expect((await getJson(`${harness.url}/build/${third}`)).body.placeInLine).toBe(2);

    // "Cancel the queued ones" never stops one that has started meanwhile.
    const refused = await postJson(`${harness.url}/build/${first}/cancel?onlyQueued=true`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('is running, not queued');
    expect((await getJson(`${harness.url}/build/${first}`)).body.state).toBe('running');
    expect((await postJson(`${harness.url}/build/${second}/cancel?onlyQueued=true`, {})).status).toBe(200);
    expect((await getJson(`${harness.url}/build/${third}`)).body.placeInLine).toBe(1);
    harness.build.open('hold');
    await jobEnded(harness.builder, third, 5_000);
    expect((await getJson(`${harness.url}/build/${third}`)).body).not.toHaveProperty('placeInLine');
  });

  it('finds jobs by service, image or user, counts them per state, and lists the retries of a job', async () => {
    harness = await startHarness({ router: { auth: (req) => ({ sub: req.get('x-user') ?? 'anonymous', name: 'Dana Ops' }) } });
    const as = (user: string) => ({ 'x-user': user });
    const deploy = (await postJson(`${harness.url}/deploy-services`, { mappings: { 'rag-service': 'registry.example/team/rag-service:1' } }, as('dana'))).body.id;
    const build = (await postJson(`${harness.url}/build`, { service: 'agent-service', push: false }, as('eve'))).body.id;
    await jobEnded(harness.builder, deploy, 5_000);
    await jobEnded(harness.builder, build, 5_000);
    const retry = (await postJson(`${harness.url}/build/${deploy}/retry`, {}, as('eve'))).body.id;
    await jobEnded(harness.builder, retry, 5_000);

    expect(ids((await getJson(`${harness.url}/builds?q=rag-service`)).body)).toEqual([retry, deploy]);
    expect(ids((await getJson(`${harness.url}/builds?q=${encodeURIComponent('registry.example/team/rag-service')}`)).body)).toEqual([retry, deploy]);
    expect(ids((await getJson(`${harness.url}/builds?q=EVE`)).body)).toEqual([retry, build]);
    expect(ids((await getJson(`${harness.url}/builds?q=eve&kind=build`)).body)).toEqual([build]);
    expect(ids((await getJson(`${harness.url}/builds?retryOf=${deploy}`)).body)).toEqual([retry]);

    expect((await getJson(`${harness.url}/builds/counts`)).body).toEqual({ counts: { queued: 0, running: 0, done: 3, error: 0, cancelled: 0 }, total: 3 });
    expect((await getJson(`${harness.url}/builds/counts?q=dana&kind=deploy`)).body.total).toBe(1);

    const refused = await getJson(`${harness.url}/builds?q=${encodeURIComponent('{{ x }}')}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ path: 'q', message: expect.stringContaining('template syntax') })]);
  });
});
