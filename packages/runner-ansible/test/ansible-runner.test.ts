import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { deploySpec, eventually, jobEnded, recordingContext, runnerContract, stripAnsi as plain } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createAnsibleRunner, deployVarsYaml, mappingsYaml, type AnsibleRunnerOptions } from '@docker-builder/runner-ansible';
import { isolatedRun } from './isolated-run.js';
import { describeProcesses } from './processes.js';

const scripted = fileURLToPath(new URL('./playbooks/scripted.yml', import.meta.url));
const seedPlaybook = fileURLToPath(new URL('../../server/deploy/playbook.yml', import.meta.url));
const varsDir = mkdtempSync(path.join(tmpdir(), 'ansible-vars-'));
afterAll(() => rmSync(varsDir, { recursive: true, force: true }));
/** Runs whose processes and vars directories a test looks for: kept apart from every other run. */
const isolated = (label: string) => {
  const run = isolatedRun(label);
  onTestFinished(run.cleanUp);
  return run;
};
const contractRun = isolatedRun('contract');
afterAll(contractRun.cleanUp);

const runner = (options: AnsibleRunnerOptions = {}) => createAnsibleRunner({ playbook: scripted, tmpDir: varsDir, ...options });
const builderWith = (options: AnsibleRunnerOptions = {}): Builder =>
  createBuilder({ store: createMemoryJobStore(), runners: { deploy: runner(options) }, logs: { flushIntervalMs: 10 } });
const ended = (builder: Builder, id: string, timeoutMs = 60_000) => jobEnded(builder, id, timeoutMs);

describe('AnsibleRunner', () => {
  runnerContract('ansible', {
    makeRunner: () => runner({ tmpDir: contractRun.dir, env: contractRun.env }),
    cases: { succeeds: deploySpec({ web: 'registry/web:1' }), fails: deploySpec({ fail: 'x:1' }), slow: deploySpec({ hang: 'x:1' }) },
    abortAfterMs: 2_500,
    timeoutMs: 60_000,
    // Nothing of an aborted run may go on: no process, no vars directory (the mappings).
    workLeftBehind: () => {
      const processes = describeProcesses(contractRun.processes());
      const files = readdirSync(contractRun.dir);
      if (!processes && files.length === 0) return null;
      return [processes && `still running: ${processes}`, files.length > 0 && `left in the vars directory: ${files.join(', ')}`].filter(Boolean).join('; ');
    },
    makeBrokenRunner: () => runner({ ansiblePlaybook: 'ansible-playbook-not-installed' }),
  });

  it('runs the seed playbook with the seed payload: the tag lines, PROGRESS 100, Simulation complete', async () => {
    const builder = builderWith({ playbook: seedPlaybook });
    const { id } = await builder.submitDeploy(deploySpec());
    const job = await ended(builder, id);
    expect(job).toMatchObject({ state: 'done', progress: 100, error: null });
    expect(job.result).toMatchObject({ playbook: seedPlaybook, recap: { localhost: { ok: 4, failed: 0, unreachable: 0 } } });
    const lines = (await builder.readLogs(id)).lines.map(plain);
    expect(lines).toContain('    "msg": "rag-service -> image=us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006 ; tag=20251025-111006"');
    expect(lines).toContain('    "msg": "PROGRESS 100"');
    expect(lines).toContain('    "msg": "Simulation complete"');
  }, 60_000);

  it('reports progress from PROGRESS N lines as they stream', async () => {
    const context = recordingContext();
    await runner({ playbook: seedPlaybook }).run(deploySpec(), context);
    expect(context.percents.slice(0, 3)).toEqual([1, 2, 3]);
    expect(context.percents.at(-1)).toBe(100);
  }, 60_000);

  it('puts the failed task and its message in the job error, not only in the log', async () => {
    const builder = builderWith();
    const { id } = await builder.submitDeploy({ mappings: { fail: 'x:1' } });
    const job = await ended(builder, id);
    expect(job.state).toBe('error');
    expect(job.error).toBe('Task "Roll out rag-service" failed on localhost: non-zero return code (rc 3): image not found in registry');
  }, 60_000);

  it('explains a failure that no task explains, from the exit code and ansible\'s ERROR line', async () => {
    const unparseable = fileURLToPath(new URL('./playbooks/unparseable.yml', import.meta.url));
    const error = await runner({ playbook: unparseable }).run(deploySpec(), recordingContext()).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^the playbook could not be parsed \(exit 4\): (We were unable to read|Syntax Error)/);
  }, 30_000);

  it('fails with what to do when the playbook or ansible-playbook is missing', async () => {
    await expect(runner({ playbook: '/nonexistent/playbook.yml' }).run(deploySpec(), recordingContext())).rejects.toThrow(
      'The deploy playbook /nonexistent/playbook.yml does not exist. Create it, or point PLAYBOOK at yours.',
    );
    await expect(createAnsibleRunner({ cwd: varsDir }).run(deploySpec(), recordingContext())).rejects.toThrow(
      `No deploy playbook: looked for ./deploy/playbook.yml and ./playbook.yml in ${varsDir}.`,
    );
    await expect(runner({ ansiblePlaybook: 'ansible-playbook-not-installed' }).run(deploySpec(), recordingContext())).rejects.toThrow(
      'ansible-playbook-not-installed was not found on this machine. Install ansible-core',
    );
    const health = await runner({ ansiblePlaybook: 'ansible-playbook-not-installed', playbook: '/nonexistent/playbook.yml' }).health();
    expect(health.ok).toBe(false);
    expect(health.message).toContain('install ansible-core');
    expect(health.message).toContain('/nonexistent/playbook.yml does not exist');
  }, 30_000);

  it('tells every user what stops deploys, naming ANSIBLE_PLAYBOOK and PLAYBOOK, the paths for admins only', async () => {
    expect(await runner().readiness!()).toEqual({ problems: [] });
    const { problems } = await runner({ ansiblePlaybook: 'ansible-playbook-not-installed', playbook: '/nonexistent/deploy/playbook.yml' }).readiness!();
    expect(problems.map((problem) => problem.settings)).toEqual([['ANSIBLE_PLAYBOOK'], ['PLAYBOOK']]);
    expect(problems[1]!.detail).toContain('/nonexistent/deploy/playbook.yml does not exist');
    for (const { cause, fix } of problems) expect(`${cause} ${fix}`).not.toMatch(/nonexistent|not-installed/);
  }, 30_000);

  it('reports ansible-playbook --version and the resolved playbook in health', async () => {
    expect(await runner().health()).toMatchObject({
      name: 'ansible',
      ok: true,
      details: { ansiblePlaybook: expect.stringMatching(/^ansible-playbook \[core 2\.\d+/), playbook: scripted, inventory: 'localhost,' },
    });
  });

  it('asks ansible-playbook for its version once a minute, not on every health check', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fake-ansible-'));
    const calls = path.join(dir, 'calls');
    const binary = path.join(dir, 'ansible-playbook');
    writeFileSync(binary, `#!/bin/sh\necho called >> ${calls}\necho "ansible-playbook [core 9.9.9]"\n`, { mode: 0o755 });
    const probed = runner({ ansiblePlaybook: binary });
    for (let i = 0; i < 3; i += 1) expect((await probed.health()).details).toMatchObject({ ansiblePlaybook: 'ansible-playbook [core 9.9.9]' });
    expect(readFileSync(calls, 'utf8')).toBe('called\n');
    rmSync(dir, { recursive: true, force: true });
  });

  it('cancels a hanging playbook within two seconds and leaves no process behind', async () => {
    const run = isolated('cancel');
    const builder = builderWith({ tmpDir: run.dir, env: run.env });
    const { id } = await builder.submitDeploy({ mappings: { hang: 'x:1' } });
    await eventually(async () => (await builder.readLogs(id)).lines.some((l) => plain(l).startsWith('TASK [Wait for the rollout]')), 30_000);
    await eventually(() => run.processes().some((p) => p.command === 'sleep 600') || undefined, 10_000, 'the playbook to be running');
    const asked = Date.now();
    await builder.cancel(id);
    const job = await ended(builder, id, 5_000);
    expect(job.state).toBe('cancelled');
    expect(Date.now() - asked).toBeLessThan(2_000);
    await eventually(() => run.processes().length === 0 || undefined, 3_000, 'every process of the deploy (sleep 600 too) to be gone');
  }, 60_000);

  it('stops a playbook that runs past the timeout, with a clear error and no process left', async () => {
    const run = isolated('timeout');
    const builder = builderWith({ timeoutMs: 3_000, tmpDir: run.dir, env: run.env });
    const { id } = await builder.submitDeploy({ mappings: { hang: 'x:1' } });
    const job = await ended(builder, id, 20_000);
    expect(job).toMatchObject({ state: 'error', error: 'The playbook did not finish within 3 s and was stopped.' });
    await eventually(() => run.processes().length === 0 || undefined, 3_000, 'every process of the deploy to be gone');
  }, 60_000);

  it('gives the playbook DEPLOY_USER_SUB, and none of the server environment beyond the allow-list', async () => {
    process.env.DOCKER_BUILDER_TEST_SECRET = 'server-only-secret';
    try {
      const builder = builderWith();
      const { id } = await builder.submitDeploy({ mappings: { env: 'x:1' } }, { user: { sub: 'alice@example.com' } });
      expect((await ended(builder, id)).state).toBe('done');
      const lines = (await builder.readLogs(id)).lines.map(plain);
      expect(lines).toContain('    "msg": "user=alice@example.com secret= environment="');
    } finally {
      delete process.env.DOCKER_BUILDER_TEST_SECRET;
    }
  }, 60_000);

  it('keeps a template handed to it directly inert: !unsafe, so the string arrives verbatim and nothing runs', async () => {
    const marker = path.join(varsDir, 'pwned');
    const value = `img:{{ lookup('pipe','touch ${marker}') }}`;
    const context = recordingContext();
    await runner().run({ mappings: { x: value, [`{{ lookup('pipe','touch ${marker}-key') }}`]: 'img:1' } }, context);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(`${marker}-key`)).toBe(false);
    expect(context.lines.map(plain)).toContain(`    "msg": "x => ${value}"`);
  }, 60_000);

  it('writes the vars file readable by its owner only, and removes it after the run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ansible-own-vars-'));
    const controller = new AbortController();
    const running = runner({ tmpDir: dir }).run({ mappings: { hang: 'x:1' } }, recordingContext(controller.signal)).catch(() => undefined);
    const varsFile = await eventually(() => {
      const [sub] = readdirSync(dir);
      return sub && existsSync(path.join(dir, sub, 'vars.yml')) ? path.join(dir, sub, 'vars.yml') : undefined;
    });
    expect(statSync(varsFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(varsFile)).mode & 0o777).toBe(0o700);
    controller.abort();
    await running;
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('ships its supervisor script: in package.json `files`, one directory up from dist/ as from src/', () => {
    const packageRoot = fileURLToPath(new URL('../', import.meta.url));
    const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'supervisor']));
    expect(existsSync(path.join(packageRoot, 'supervisor', 'playbook-supervisor.mjs'))).toBe(true);
  });

  it('gives a deploy to a named environment `deploy_environment`, inert like every value', async () => {
    const context = recordingContext();
    await runner().run({ mappings: { env: 'x:1' }, environment: 'production' }, context);
    expect(context.lines.map(plain)).toContain('    "msg": "user=contract-user secret= environment=production"');
    expect(deployVarsYaml({ mappings: {}, environment: 'production' })).toBe('mappings: {}\ndeploy_environment: !unsafe "production"\n');
  }, 60_000);

  it('writes every key and value tagged !unsafe, quoted as JSON', () => {
    expect(mappingsYaml({ 'rag-service': 'r/rag:1', 'a"b': 'c\\\\d' })).toBe(
      'mappings:\n  !unsafe "rag-service": !unsafe "r/rag:1"\n  !unsafe "a\\"b": !unsafe "c\\\\\\\\d"\n',
    );
  });
});
