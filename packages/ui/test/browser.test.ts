/**
 * The UI in a real Chromium (Debian's, driven by playwright-core) against the real example
 * server: a deploy from the form, a failed job, cancel, a validation error at its field, a
 * reconnect across a server restart (Redis store, separate worker), and mounting under a
 * sub-path with a token. Screenshots land in .test-artifacts/.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBuilder } from '@docker-builder/core';
import { SEED_MAPPINGS, createScriptedRunner, eventually } from '@docker-builder/core/testing';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { uiAssetsDir, uiConfig } from '@docker-builder/ui';
import { freePort } from '../../../test-support/free-port.js';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { spawnExample } from '../../../test-support/from-source.js';

const artifacts = fileURLToPath(new URL('../../../.test-artifacts/', import.meta.url));
const scripted = fileURLToPath(new URL('../../runner-ansible/test/playbooks/scripted.yml', import.meta.url));
mkdirSync(artifacts, { recursive: true });

let browser: Browser;
const processes: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(() => {
  for (const child of processes.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function startExample(example: 'server' | 'worker', env: Record<string, string>) {
  // Builds may only push under a registry prefix: the form's builds then reach the (missing) engine and fail there.
  const child = spawnExample(example, {
    HOST: '127.0.0.1',
    DOCKER_HOST: 'unix:///tmp/no-docker-for-ui-tests.sock',
    REGISTRY_PREFIX: 'registry.example.com/team',
    ...env,
  });
  processes.push(child);
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { child, lines };
}

async function startServer(env: Record<string, string> = {}) {
  const port = await freePort();
  const server = startExample('server', { PORT: String(port), ...env });
  await eventually(() => server.lines.some((l) => l.includes('listening')) || undefined, 15_000, 'the example server');
  return { base: `http://127.0.0.1:${port}`, port, ...server };
}

/** A page that records what a person would see go wrong: script errors and failed requests. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A 4xx the UI asked for on purpose (a refused payload) is shown in the page, not a fault.
    if (message.type() === 'error' && !/status of 400/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.status() !== 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return { page, problems };
}

describe('the web UI in Chromium', () => {
  it('deploys the seed mappings from the form and follows the job live to 100 % and Simulation complete', async () => {
    const { base } = await startServer();
    const { page, problems } = await openPage();
    await page.goto(`${base}/`);
    await page.getByText('No jobs yet').waitFor();
    await page.getByRole('link', { name: 'New deploy' }).click();
    const entries = Object.entries(SEED_MAPPINGS);
    for (const [index, [service, image]] of entries.entries()) {
      if (index > 0) await page.getByRole('button', { name: '+ Add a service' }).click();
      await page.fill(`input[name=service-${index}]`, service);
      await page.fill(`input[name=image-${index}]`, image);
    }
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.waitForURL(/#\/jobs\//);
    await page.getByRole('progressbar', { name: 'Job progress' }).and(page.locator('[aria-valuenow="100"]')).waitFor({ timeout: 30_000 });
    await page.getByText('"msg": "Simulation complete"').waitFor();
    // Progress reaches 100 % a moment before the job is done: wait for the state, not a count.
    await page.locator('.badge-done').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${artifacts}job-page.png` });

    const [rawLog] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Raw log' }).click()]);
    await rawLog.waitForLoadState();
    expect(rawLog.url()).toMatch(/\/api\/build\/[0-9a-f-]{36}\/logs\.txt$/);
    expect(await rawLog.textContent('body')).toContain('"msg": "Simulation complete"');
    await rawLog.close();

    await page.getByRole('link', { name: 'Queue' }).click();
    await page.locator('table.jobs .badge-done').waitFor();
    expect(await page.locator('table.jobs td[data-label=What]').first().textContent()).toBe('rag-service, neuroboss-service +1');
    await page.screenshot({ path: `${artifacts}queue-page.png` });
    await page.getByRole('link', { name: 'Status' }).click();
    await page.locator('.card.ok').first().waitFor();
    await page.screenshot({ path: `${artifacts}status-page.png` });
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a failed job\'s error in plain sight, and a validation error next to its field', async () => {
    // A context root, so the form offers a directory; the build then fails at the missing engine.
    const { base } = await startServer({ BUILD_CONTEXT_ROOT: mkdtempSync(path.join(tmpdir(), 'ui-contexts-')) });
    const { page, problems } = await openPage();
    await page.goto(`${base}/#/new/build`);
    await page.fill('input[name=service]', 'rag-service');
    await page.getByRole('button', { name: 'Build' }).click();
    await page.waitForURL(/#\/jobs\//);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('This job failed');
    await page.screenshot({ path: `${artifacts}failed-job.png` });

    await page.goto(`${base}/#/new/deploy`);
    await page.fill('input[name=service-0]', 'rag-service');
    await page.fill('input[name=image-0]', "img:{{ lookup('pipe','id') }}");
    await page.getByRole('button', { name: 'Deploy' }).click();
    const imageField = page.locator('[data-row="0"] label', { has: page.locator('input[name=image-0]') });
    await expect(imageField.locator('.field-error').textContent()).resolves.toBe('must not contain template syntax ({{, {%, {#)');
    await expect(page.locator('input[name=image-0]').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.screenshot({ path: `${artifacts}deploy-form-error.png` });
    expect(problems).toEqual([]);
  }, 60_000);

  it('cancels a running job from its page', async () => {
    const { base } = await startServer({ PLAYBOOK: scripted });
    const { page, problems } = await openPage();
    const created = (await (
      await fetch(`${base}/api/deploy-services`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mappings: { hang: 'x:1' } }) })
    ).json()) as { id: string };
    await page.goto(`${base}/#/jobs/${created.id}`);
    await page.getByText('TASK [Wait for the rollout]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    // A running deploy asks first (job-page.test.ts checks the dialog itself).
    await page.getByRole('dialog', { name: 'Stop this deploy?' }).getByRole('button', { name: 'Stop the deploy' }).click();
    await page.locator('.badge-cancelled').waitFor({ timeout: 10_000 });
    await expect(page.getByText('Cancelled: Cancelled on request.').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('follows a log across a server restart (Redis, separate worker) with no line lost or repeated', async () => {
    const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: uniquePrefix('ui'), PLAYBOOK: scripted };
    const first = await startServer(env);
    const worker = startExample('worker', env);
    await eventually(() => worker.lines.some((l) => l.includes('worker ready')) || undefined, 15_000, 'the worker');
    const { page } = await openPage();
    const created = (await (
      await fetch(`${first.base}/api/deploy-services`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mappings: { slow: 'x:1' } }) })
    ).json()) as { id: string };
    await page.goto(`${first.base}/#/jobs/${created.id}`);
    await page.getByText('TASK [Roll out slowly]').waitFor({ timeout: 30_000 });

    first.child.kill('SIGKILL');
    await page.getByText('Connection lost; reconnecting to the log…').waitFor({ timeout: 10_000 });
    startExample('server', { ...env, PORT: String(first.port) });

    await page.locator('.badge-done').waitFor({ timeout: 60_000 });
    const total = ((await (await fetch(`${first.base}/api/build/${created.id}?logsLimit=0`)).json()) as { logsTotal: number }).logsTotal;
    const log = page.getByRole('log');
    await expect.poll(() => log.getAttribute('data-line-count'), { timeout: 10_000 }).toBe(String(total));
    expect(await log.getAttribute('data-filled')).toBe(String(total));
    await expect(page.getByText('Connection lost').count()).resolves.toBe(0);
    await page.screenshot({ path: `${artifacts}job-after-restart.png` });
  }, 120_000);

  it('works under a sub-path with the API mounted elsewhere, asking for a token on 401', async () => {
    const builder = createBuilder({
      store: createMemoryJobStore(),
      runners: {
        deploy: createScriptedRunner({
          kind: 'deploy',
          script: (spec) => (spec.mappings.big ? [{ log: Array.from({ length: 100_000 }, (_, i) => `\u001b[32mline ${i + 1}\u001b[0m of a long log`) }] : [{ log: 'deployed' }]),
        }),
      },
      logs: { flushIntervalMs: 20, maxBatch: 5_000 },
    });
    await builder.submitDeploy({ mappings: { 'rag-service': 'r/rag-service:1' } }, { user: { sub: 'alice' } });
    const app = express();
    const users: Record<string, string> = { 'Bearer letmein': 'alice', 'Bearer lookonly': 'viewer' };
    app.use(
      '/api',
      createBuilderRouter(builder, {
        auth: (req) => (users[req.get('authorization') ?? ''] ? { sub: users[req.get('authorization')!]! } : null),
        canWrite: (user) => user?.sub === 'alice',
      }),
    );
    app.get('/admin/builder/ui-config.json', (_req, res) => void res.type('json').send(uiConfig({ api: '/api' })));
    app.use('/admin/builder', express.static(uiAssetsDir()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await browser.newPage();
      const missing: string[] = [];
      page.on('response', (response) => {
        if (response.status() === 404) missing.push(response.url());
      });
      await page.goto(`${base}/admin/builder/`);
      await page.getByRole('dialog', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Token').fill('letmein');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('table.jobs .badge-done').waitFor();
      expect(await page.locator('table.jobs td[data-label=Who]').first().textContent()).toBe('alice');
      expect(missing).toEqual([]);

      // A 100,000-line log: every line arrives, only a screenful is in the DOM, both ends are reachable.
      const { id } = await builder.submitDeploy({ mappings: { big: 'x:1' } });
      await page.goto(`${base}/admin/builder/#/jobs/${id}`);
      const log = page.getByRole('log');
      await expect.poll(() => log.getAttribute('data-filled'), { timeout: 60_000 }).toBe('100000');
      expect(await page.locator('.log-line').count()).toBeLessThan(100);
      await page.getByText('line 100000 of a long log').waitFor();
      await log.evaluate((element) => (element.scrollTop = 0));
      await expect.poll(() => page.locator('.log-line[data-index="0"]').textContent()).toBe('1line 1 of a long log');
      await page.screenshot({ path: `${artifacts}long-log.png` });
      expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(1);

      // A read-only user sees the same pages without the buttons that change things.
      const viewer = await browser.newPage();
      await viewer.goto(`${base}/admin/builder/`);
      await viewer.getByLabel('Token').fill('lookonly');
      await viewer.getByRole('button', { name: 'Continue' }).click();
      await viewer.getByText('read-only').waitFor();
      await viewer.locator('table.jobs .badge-done').first().waitFor();
      expect(await viewer.getByRole('link', { name: 'New build' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'New deploy' }).count()).toBe(0);
      await viewer.goto(`${base}/admin/builder/#/jobs/${id}`);
      await viewer.getByRole('log').waitFor();
      expect(await viewer.getByRole('button', { name: 'Retry' }).count()).toBe(0);
      await viewer.close();
    } finally {
      server.close();
      await builder.close();
    }
  }, 60_000);
});
