/**
 * builder.readiness(): what the UI's banner and forms are built from. A kind without a runner is
 * null; a runner that says nothing is judged by its health, without its message (addresses,
 * paths) anywhere but `detail`; one that does not answer is a problem, not a hang.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBuilder, type RunnerReadiness } from '@docker-builder/core';
import { buildSpec, createScriptedRunner, runnerContract } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';

const ENGINE_DOWN: RunnerReadiness = {
  problems: [{ cause: 'The Docker engine does not answer.', fix: 'Set DOCKER_HOST to an engine this server can reach.', settings: ['DOCKER_HOST'], detail: 'tcp://10.1.2.3:2375 refused' }],
  contexts: {
    directory: { ok: false, problem: { cause: 'This server has no context root.', fix: 'Set BUILD_CONTEXT_ROOT.', settings: ['BUILD_CONTEXT_ROOT'] } },
    git: { ok: true, hosts: ['github.com'], ssh: false },
    upload: { ok: true },
  },
  push: { ok: true },
};

const builders: Array<ReturnType<typeof createBuilder>> = [];
function builderWith(runners: Parameters<typeof createBuilder>[0]['runners']) {
  const builder = createBuilder({ store: createMemoryJobStore(), runners, reapIntervalMs: false });
  builders.push(builder);
  return builder;
}
afterEach(async () => {
  vi.useRealTimers();
  for (const builder of builders.splice(0)) await builder.close();
});

describe('builder.readiness()', () => {
  it('is null for a kind this server has no runner for', async () => {
    const builder = builderWith({ build: createScriptedRunner({ kind: 'build', script: [] }) });
    expect(await builder.readiness()).toEqual({ build: { name: 'scripted', ok: true, problems: [] }, deploy: null });
  });

  it('passes on what a runner says, ok only without problems', async () => {
    const build = createScriptedRunner({ kind: 'build', name: 'docker', script: [], readiness: ENGINE_DOWN });
    const builder = builderWith({ build });
    expect((await builder.readiness()).build).toEqual({ name: 'docker', ok: false, ...ENGINE_DOWN });
    build.setReadiness({ ...ENGINE_DOWN, problems: [] });
    expect((await builder.readiness()).build).toMatchObject({ ok: true, problems: [], contexts: ENGINE_DOWN.contexts });
  });

  it('judges a runner that says nothing by its health, keeping the health message for admins', async () => {
    const deploy = createScriptedRunner({ kind: 'deploy', script: [] });
    deploy.setHealth({ ok: false, message: 'The deploy playbook /srv/secret/playbook.yml does not exist.' });
    const status = (await builderWith({ deploy }).readiness()).deploy!;
    expect(status.ok).toBe(false);
    expect(status.problems).toEqual([
      {
        cause: 'The deploy runner reports a problem, so deploys may fail.',
        fix: 'An admin sees what it is on the Status page (GET /api/_debug).',
        settings: [],
        detail: 'The deploy playbook /srv/secret/playbook.yml does not exist.',
      },
    ]);
  });

  it('reports a runner that does not answer as a problem, after the health timeout', async () => {
    vi.useFakeTimers();
    const build = createScriptedRunner({ kind: 'build', script: [], readiness: ENGINE_DOWN });
    build.readiness = () => new Promise<never>(() => undefined);
    const answer = builderWith({ build }).readiness();
    await vi.advanceTimersByTimeAsync(3_000);
    expect((await answer).build).toMatchObject({
      ok: false,
      problems: [{ cause: 'The build runner did not say whether it can run builds.', settings: [], detail: 'did not answer within 3 s' }],
    });
  });
});

runnerContract('scripted, with readiness', {
  makeRunner: () => createScriptedRunner({ kind: 'build', script: (spec) => (spec.service === 'fails' ? [{ fail: 'failed' }] : spec.service === 'slow' ? [{ log: 'working' }, { sleep: 60_000 }] : [{ log: 'built' }]), readiness: { ...ENGINE_DOWN, problems: [] } }),
  makeBrokenRunner: () => {
    const runner = createScriptedRunner({ kind: 'build', script: [], readiness: ENGINE_DOWN });
    runner.setHealth({ ok: false, message: 'tcp://10.1.2.3:2375 refused', details: { engine: 'tcp://10.1.2.3:2375' } });
    return runner;
  },
  cases: { succeeds: buildSpec(), fails: buildSpec({ service: 'fails' }), slow: buildSpec({ service: 'slow' }) },
});
