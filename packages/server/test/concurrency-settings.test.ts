/**
 * The server's concurrency settings as an operator sets them: CONCURRENCY_RULES, BUILD_CONCURRENCY,
 * DEPLOY_ENVIRONMENTS and CONCURRENCY_GROUPS, checked at start (a bad one stops the server, exit 2,
 * naming the setting and the part at fault), and what they do to deploys on a real server.
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobGroups, type FieldIssue, type NewJob, type ValidationError } from '@docker-builder/core';
import { eventually } from '@docker-builder/core/testing';
import { readConfig } from '../src/config.js';
import { concurrencyOptions } from '../src/concurrency-settings.js';
import { killServers, spawnServer, startServer } from './running-server.js';

afterEach(killServers);

interface Job {
  id: string;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
  groups: Array<{ name: string; limit: number; policy: string }>;
  waitingFor: { group: string; jobId: string } | null;
  logs: string[];
}

function problems(env: Record<string, string>): FieldIssue[] {
  try {
    readConfig(env);
    return [];
  } catch (error) {
    return (error as ValidationError).issues;
  }
}

/** The groups a job would get on a server started with `env`. */
function groupsWith(env: Record<string, string>, job: Pick<NewJob, 'kind' | 'spec'>) {
  return jobGroups({ id: '0', user: null, retryOf: null, createdAt: '', ...job } as NewJob, concurrencyOptions(readConfig(env)).groups).map(
    ({ name, limit, policy }) => `${name} ${limit} ${policy}`,
  );
}
const BUILD = { kind: 'build', spec: { service: 'app', image: 'registry.example.com/team/app' } } as Pick<NewJob, 'kind' | 'spec'>;
const deployOf = (environment?: string) => ({ kind: 'deploy', spec: { mappings: { web: 'registry.example.com/web:1' }, ...(environment ? { environment } : {}) } }) as Pick<NewJob, 'kind' | 'spec'>;

/** A playbook that holds every deploy until `open()`. */
function gatedPlaybook() {
  const dir = mkdtempSync(path.join(tmpdir(), 'groups-playbook-'));
  const gate = path.join(dir, 'gate');
  const playbook = path.join(dir, 'playbook.yml');
  writeFileSync(
    playbook,
    ['- hosts: localhost', '  connection: local', '  gather_facts: no', '  tasks:', '    - name: Wait for the gate', '      ansible.builtin.wait_for:', `        path: ${JSON.stringify(gate)}`, '        timeout: 60', ''].join('\n'),
  );
  return { playbook, open: () => writeFileSync(gate, '') };
}

const submit = async (base: string, body: unknown) =>
  fetch(`${base}/api/deploy-services`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const submitted = async (base: string, body: unknown) => {
  const response = await submit(base, body);
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
};
const read = async (base: string, id: string) => (await (await fetch(`${base}/api/build/${id}`)).json()) as Job;
const when = (base: string, id: string, test: (job: Job) => boolean, what: string) =>
  eventually(async () => {
    const job = await read(base, id);
    return test(job) ? job : undefined;
  }, 30_000, what);

describe('concurrency settings', () => {
  it('reads rules as pattern=limit, pattern=policy or pattern=limit:policy, and gives jobs their groups', () => {
    const env = { CONCURRENCY_RULES: ' deploy:*=supersede, builds=3 ,environment:production=2:queue', DEPLOY_ENVIRONMENTS: 'staging,production' };
    expect(readConfig(env).CONCURRENCY_RULES).toEqual([
      { match: 'deploy:*', policy: 'supersede' },
      { match: 'builds', limit: 3 },
      { match: 'environment:production', limit: 2, policy: 'queue' },
    ]);
    // A rule naming `builds` puts every build in it; deploys are not.
    expect(groupsWith(env, BUILD)).toEqual(['build:registry.example.com/team/app 1 queue', 'builds 3 queue']);
    expect(groupsWith(env, deployOf('production'))).toEqual(['deploy:web 1 supersede', 'environment:production 2 queue']);
    expect(groupsWith(env, deployOf('staging'))).toEqual(['deploy:web 1 supersede', 'environment:staging 1 queue']);

    expect(groupsWith({ BUILD_CONCURRENCY: '4', CONCURRENCY_RULES: '*=supersede' }, BUILD)).toEqual(['build:registry.example.com/team/app 1 supersede', 'builds 4 queue']);
    expect(groupsWith({ CONCURRENCY_RULES: 'deploys=1' }, deployOf())).toEqual(['deploy:web 1 queue', 'deploys 1 queue']);
    expect(groupsWith({}, BUILD)).toEqual(['build:registry.example.com/team/app 1 queue']);
    expect(groupsWith({ CONCURRENCY_GROUPS: 'off' }, deployOf())).toEqual([]);
    expect(groupsWith({ CONCURRENCY_GROUPS: 'off', BUILD_CONCURRENCY: '2' }, BUILD)).toEqual(['builds 2 queue']);
  });

  it('refuses a rule, an environment or a switch that is not one, naming the part at fault', () => {
    const rule = (message: string) => ({ path: 'CONCURRENCY_RULES', message });
    expect(problems({ CONCURRENCY_RULES: 'deploy:*,Deploy:*=1,builds=0,build:*=-1,deploy:*=cancel,deploy:a=1:queue:x,deploy:b=1=2' })).toEqual([
      rule('"deploy:*" is not a rule: write pattern=limit, pattern=policy or pattern=limit:policy, e.g. deploy:*=supersede,builds=3,environment:production=1:queue'),
      rule('"Deploy:*" in "Deploy:*=1" is not a group pattern: lowercase letters, digits and . _ - : / @, with * for any characters'),
      rule('"0" in "builds=0": the limit must be a whole number, at least 1'),
      rule('"-1" in "build:*=-1": the limit must be a whole number, at least 1'),
      rule('"cancel" in "deploy:*=cancel": the policy must be queue or supersede'),
      rule('"1:queue:x" in "deploy:a=1:queue:x" is not a limit or a policy: write pattern=limit, pattern=policy or pattern=limit:policy, e.g. deploy:*=supersede,builds=3,environment:production=1:queue'),
      rule('"deploy:b=1=2" is not a rule: write pattern=limit, pattern=policy or pattern=limit:policy, e.g. deploy:*=supersede,builds=3,environment:production=1:queue'),
    ]);
    expect(problems({ DEPLOY_ENVIRONMENTS: 'production,Prod', CONCURRENCY_GROUPS: 'no', BUILD_CONCURRENCY: '0' })).toEqual([
      { path: 'DEPLOY_ENVIRONMENTS', message: expect.stringMatching(/^"Prod" must be a service name: lowercase letters and digits/) },
      { path: 'BUILD_CONCURRENCY', message: 'must be at least 1' },
      { path: 'CONCURRENCY_GROUPS', message: 'must be on or off' },
    ]);
    // Rules that could never apply: a typo, an environment not allowed, groups turned off, `builds` set twice.
    expect(problems({ CONCURRENCY_RULES: 'deploys:*=1,environment:qa=1,environment:*=2', DEPLOY_ENVIRONMENTS: 'production' })).toEqual([
      rule('"deploys:*" matches no group of this server: the groups are deploy:<service>, build:<image repository>, environment:<name> (DEPLOY_ENVIRONMENTS), builds and deploys'),
      rule('"environment:qa" matches no group of this server: add the environment to DEPLOY_ENVIRONMENTS'),
    ]);
    expect(problems({ CONCURRENCY_RULES: 'deploy:*=supersede', CONCURRENCY_GROUPS: 'off' })).toEqual([
      rule('"deploy:*" matches no group of this server: CONCURRENCY_GROUPS=off leaves jobs without deploy: and build: groups'),
    ]);
    expect(problems({ CONCURRENCY_RULES: 'builds=3', BUILD_CONCURRENCY: '2' })).toEqual([rule('"builds" is BUILD_CONCURRENCY\'s group: set its limit in one place, not both')]);
    expect(problems({ CONCURRENCY_RULES: 'build:registry.example.com/team/*=2:supersede,*=1' })).toEqual([]);
  });

  it('stops the server at start on a bad rule: exit 2, naming the setting and the rule', async () => {
    const { process: child, lines } = spawnServer({ CONCURRENCY_RULES: 'deploy:*=supersede,builds=0' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'invalid environment variable CONCURRENCY_RULES: "0" in "builds=0": the limit must be a whole number, at least 1' }),
    );
  });

  it('runs two deploys of one service one at a time on the embedded default: the second waits, saying why, then starts when the first ends', async () => {
    const gate = gatedPlaybook();
    const { base } = await startServer({ PLAYBOOK: gate.playbook, DOCKER_HOST: 'unix:///tmp/no-docker-here.sock' });
    const first = await submitted(base, { mappings: { web: 'registry.example.com/web:1' } });
    await when(base, first, (job) => job.state === 'running', 'the first deploy to start');
    const second = await submitted(base, { mappings: { web: 'registry.example.com/web:2' } });
    const waiting = await when(base, second, (job) => job.waitingFor !== null, 'the second deploy to wait');
    expect(waiting).toMatchObject({ state: 'queued', waitingFor: { group: 'deploy:web', jobId: first }, groups: [{ name: 'deploy:web', limit: 1, policy: 'queue' }] });
    expect(waiting.logs.some((line) => line.includes(`waiting for ${first} (deploy of web)`))).toBe(true);
    // A deploy of another service does not wait: the server has a free slot.
    const other = await submitted(base, { mappings: { api: 'registry.example.com/api:1' } });
    await when(base, other, (job) => job.state === 'running', 'the unrelated deploy to start');
    const debug = (await (await fetch(`${base}/api/_debug`)).json()) as { groups: unknown };
    expect(debug.groups).toEqual([
      { name: 'deploy:api', limit: 1, policy: 'queue', holders: [other], waiting: [] },
      { name: 'deploy:web', limit: 1, policy: 'queue', holders: [first], waiting: [second] },
    ]);

    gate.open();
    const ended = await Promise.all([first, second, other].map((id) => when(base, id, (job) => job.state === 'done', 'the deploys to end')));
    expect(Date.parse(ended[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ended[0]!.finishedAt!));
    expect(ended[1]!.waitingFor).toBeNull();
  }, 60_000);

  it('with CONCURRENCY_GROUPS=off, runs deploys of one service at once, as before groups', async () => {
    const gate = gatedPlaybook();
    const { base } = await startServer({ PLAYBOOK: gate.playbook, DOCKER_HOST: 'unix:///tmp/no-docker-here.sock', CONCURRENCY_GROUPS: 'off' });
    const ids = [await submitted(base, { mappings: { web: 'registry.example.com/web:1' } }), await submitted(base, { mappings: { web: 'registry.example.com/web:2' } })];
    const running = await Promise.all(ids.map((id) => when(base, id, (job) => job.state === 'running', 'both deploys to run')));
    expect(running.map((job) => job.groups)).toEqual([[], []]);
    gate.open();
    await Promise.all(ids.map((id) => when(base, id, (job) => job.state === 'done', 'the deploys to end')));
  }, 60_000);

  it('takes a deploy\'s environment only when DEPLOY_ENVIRONMENTS allows it, saying which setting to change', async () => {
    const plain = await startServer({ DOCKER_HOST: 'unix:///tmp/no-docker-here.sock' });
    const refused = await submit(plain.base, { mappings: { web: 'registry.example.com/web:1' }, environment: 'production' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { issues: FieldIssue[] } }).error.issues).toEqual([
      { path: 'environment', message: expect.stringContaining('set DEPLOY_ENVIRONMENTS to allow some') },
    ]);
    await plain.stop();

    const { base } = await startServer({ DOCKER_HOST: 'unix:///tmp/no-docker-here.sock', DEPLOY_ENVIRONMENTS: 'staging,production', CONCURRENCY_RULES: 'environment:*=2' });
    const id = await submitted(base, { mappings: { web: 'registry.example.com/web:1' }, environment: 'production' });
    expect((await read(base, id)).groups).toEqual([
      { name: 'deploy:web', limit: 1, policy: 'queue' },
      { name: 'environment:production', limit: 2, policy: 'queue' },
    ]);
    const other = await submit(base, { mappings: { web: 'registry.example.com/web:1' }, environment: 'qa' });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { error: { issues: FieldIssue[] } }).error.issues).toEqual([
      { path: 'environment', message: 'must be one of staging, production (DEPLOY_ENVIRONMENTS)' },
    ]);
  }, 60_000);
});
