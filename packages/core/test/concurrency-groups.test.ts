/**
 * Concurrency groups through the builder and its in-process queue (the Redis setup with worker
 * processes: packages/store-redis/test/concurrency-groups.test.ts). The reaper is off and the
 * queued lease is long, so a waiting job that starts was woken when the slot freed, not handed
 * over again by a timer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError, type Builder, type BuilderOptions } from '@docker-builder/core';
import { eventually, jobEnded, type ScriptStep } from '@docker-builder/core/testing';
import { scriptedBuilder } from './helpers.js';

let open: Builder | undefined;
afterEach(async () => {
  await open?.close({ deadlineMs: 100 });
  open = undefined;
});

/** Each deploy waits at a gate named after its tag (`hold-1`…) until the test opens it. */
function groupsBuilder(options: Partial<BuilderOptions> = {}) {
  const made = scriptedBuilder(
    {
      deploy: (spec): ScriptStep[] => {
        const tag = Object.values(spec.mappings)[0]!.split(':').pop()!;
        return [{ log: `rolling out ${tag}` }, { gate: tag }, { result: { deployed: Object.keys(spec.mappings) } }];
      },
      build: (spec): ScriptStep[] => [{ gate: `build-${spec.tags[0]}` }, { result: {} }],
    },
    { concurrency: 8, reapIntervalMs: false, queuedLeaseMs: 10 * 60_000, ...options },
  );
  open = made.builder;
  return made;
}

const deploy = (builder: Builder, service: string, tag: string, extra: Record<string, unknown> = {}) =>
  builder.submitDeploy({ mappings: { [service]: `registry.example/team/${service}:${tag}` }, ...extra }).then((result) => result.id);
const state = async (builder: Builder, id: string) => (await builder.get(id)).state;

describe('concurrency groups', () => {
  it('runs deploys that share a service one at a time and others beside them; the next starts as soon as the slot frees', async () => {
    const { builder, deploy: runner } = groupsBuilder();
    const first = await deploy(builder, 'rag-service', 'hold-1');
    await runner.reached('hold-1');
    const second = await deploy(builder, 'rag-service', 'hold-2');
    const other = await deploy(builder, 'agent-service', 'hold-3');
    await runner.reached('hold-3');

    await eventually(async () => (await builder.get(second)).waitingFor !== null, 5_000, 'the second deploy to say why it waits');
    const waiting = await builder.get(second);
    expect(waiting).toMatchObject({ state: 'queued', waitingFor: { group: 'deploy:rag-service', jobId: first } });
    expect(waiting.groups).toEqual([{ name: 'deploy:rag-service', limit: 1, policy: 'queue' }]);
    expect((await builder.readLogs(second)).lines).toEqual([`[docker-builder] waiting for ${first} (deploy of rag-service)`]);
    expect(await state(builder, other)).toBe('running');

    runner.open('hold-1');
    await runner.reached('hold-2');
    expect(await builder.get(second)).toMatchObject({ state: 'running', waitingFor: null });
    runner.open('hold-2');
    runner.open('hold-3');
    await Promise.all([first, second, other].map((id) => jobEnded(builder, id)));
  });

  it('starts the deploys of a service in submission order, however they are delivered', async () => {
    const { builder, deploy: runner } = groupsBuilder();
    const holder = await deploy(builder, 'rag-service', 'hold-0');
    await runner.reached('hold-0');
    const queued: string[] = [];
    for (let i = 1; i <= 5; i += 1) queued.push(await deploy(builder, 'rag-service', `go-${i}`));
    for (let i = 1; i <= 5; i += 1) runner.open(`go-${i}`);
    runner.open('hold-0');
    await Promise.all(queued.map((id) => jobEnded(builder, id)));
    const started = await Promise.all([holder, ...queued].map(async (id) => (await builder.get(id)).startedAt!));
    expect([...started].sort()).toEqual(started);
    // One at a time: each started after the one before it finished.
    for (let i = 1; i < queued.length; i += 1) {
      expect((await builder.get(queued[i]!)).startedAt! >= (await builder.get(queued[i - 1]!)).finishedAt!).toBe(true);
    }
  });

  it('with `supersede`, a newer deploy cancels the older queued ones, never the running one', async () => {
    const { builder, deploy: runner } = groupsBuilder({ groups: { rules: [{ match: 'deploy:*', policy: 'supersede' }] } });
    const running = await deploy(builder, 'rag-service', 'hold-1');
    await runner.reached('hold-1');
    const older = [await deploy(builder, 'rag-service', 'never-1'), await deploy(builder, 'rag-service', 'never-2')];
    const newest = await deploy(builder, 'rag-service', 'go');
    // Each newer deploy ended the one queued before it.
    expect(await builder.get(older[0]!)).toMatchObject({ state: 'cancelled', error: expect.stringMatching(`^Superseded by ${older[1]}`) });
    expect(await builder.get(older[1]!)).toMatchObject({ state: 'cancelled', error: expect.stringMatching(`^Superseded by ${newest}`) });
    expect((await builder.readLogs(older[1]!)).lines.at(-1)).toBe(`[docker-builder] superseded by ${newest}, a newer job of deploy:rag-service; cancelled before it started`);
    expect(await state(builder, running)).toBe('running');
    runner.open('hold-1');
    runner.open('go');
    expect(await jobEnded(builder, newest)).toMatchObject({ state: 'done' });
    expect(await jobEnded(builder, running)).toMatchObject({ state: 'done' });
    expect(runner.runs.map((run) => Object.values(run.spec.mappings)[0]!.split(':').pop())).toEqual(['hold-1', 'go']);
  });

  it('takes an environment only when the server allows it, and runs one deploy per environment at a time', async () => {
    const refused = scriptedBuilder();
    open = refused.builder;
    const error = await refused.builder.submitDeploy({ mappings: { web: 'r/web:1' }, environment: 'production' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'environment', message: expect.stringContaining('DEPLOY_ENVIRONMENTS') }]);
    await refused.builder.close();

    const { builder, deploy: runner } = groupsBuilder({ groups: { environments: ['production', 'staging'] } });
    await expect(deploy(builder, 'web', 'x', { environment: 'qa' })).rejects.toThrow(/must be one of production, staging/);
    const web = await deploy(builder, 'web', 'hold-1', { environment: 'production' });
    await runner.reached('hold-1');
    const api = await deploy(builder, 'api', 'hold-2', { environment: 'production' });
    const staging = await deploy(builder, 'db', 'hold-3', { environment: 'staging' });
    await runner.reached('hold-3');
    await eventually(async () => (await builder.get(api)).waitingFor?.group === 'environment:production', 5_000, 'the second production deploy to wait');
    expect((await builder.get(api)).waitingFor).toMatchObject({ jobId: web });
    expect((await builder.get(web)).groups.map((group) => group.name)).toEqual(['deploy:web', 'environment:production']);
    runner.open('hold-1');
    runner.open('hold-2');
    runner.open('hold-3');
    await Promise.all([web, api, staging].map((id) => jobEnded(builder, id)));
  });

  it('lets a waiting deploy be cancelled without freeing anything: the next one still waits for the one running', async () => {
    const { builder, deploy: runner } = groupsBuilder();
    const holder = await deploy(builder, 'rag-service', 'hold-1');
    await runner.reached('hold-1');
    const cancelled = await deploy(builder, 'rag-service', 'never');
    const next = await deploy(builder, 'rag-service', 'go');
    await builder.cancel(cancelled);
    await eventually(async () => (await builder.get(next)).waitingFor?.jobId === holder, 5_000, 'the next deploy to wait for the holder');
    expect(await state(builder, holder)).toBe('running');
    runner.open('hold-1');
    runner.open('go');
    expect(await jobEnded(builder, next)).toMatchObject({ state: 'done' });
  });

  it('runs builds of one image one at a time, and a server group limits all builds to N at once', async () => {
    const { builder, build: runner } = groupsBuilder({ groups: { groups: (job) => (job.kind === 'build' ? ['builds'] : []), rules: [{ match: 'builds', limit: 2 }] } });
    const ids: string[] = [];
    for (const [service, tag] of [['web', 'a'], ['api', 'b'], ['db', 'c'], ['web', 'd']] as const) {
      ids.push((await builder.submitBuild({ service, tags: [tag], push: false })).id);
    }
    await runner.reached('build-a');
    await runner.reached('build-b');
    await eventually(async () => (await builder.get(ids[2]!)).waitingFor !== null, 5_000, 'the third build to wait');
    expect((await builder.get(ids[2]!)).waitingFor).toMatchObject({ group: 'builds' });
    expect((await builder.get(ids[0]!)).groups.map((group) => group.name)).toEqual(['build:web', 'builds']);
    // One slot frees: the oldest waiting build takes it; the web build behind it waits its turn.
    runner.open('build-a');
    await runner.reached('build-c');
    await eventually(async () => (await builder.get(ids[3]!)).waitingFor?.jobId === ids[2], 5_000, 'the last build to wait behind the third');
    for (const tag of ['b', 'c', 'd']) runner.open(`build-${tag}`);
    await Promise.all(ids.map((id) => jobEnded(builder, id)));
    expect(runner.runs.map((run) => run.spec.tags[0])).toEqual(['a', 'b', 'c', 'd']);
  });
});
