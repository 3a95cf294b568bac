/**
 * Said before it fails, in a real Chromium against real runners: with the Docker runner pointed at
 * a closed port on loopback, every page shows a banner with the cause and DOCKER_HOST; the build
 * form offers only the context sources that work (no directory without a context root) and no
 * push without a registry, and an archive sent from it becomes a job. A server without a build
 * runner offers no "New build". Screenshots (light and dark) land in .test-artifacts/.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder, type Builder, type RunnerMap } from '@docker-builder/core';
import { createScriptedRunner, jobEnded } from '@docker-builder/core/testing';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { uiAssetsDir, uiConfig } from '@docker-builder/ui';
import { freePort } from '../../../test-support/free-port.js';
import { tarArchive } from '../../../test-support/tar-fixtures.js';
import { USERS, artifacts, contrastProblems, launchChromium, openAs } from './ui-harness';

interface Served {
  base: string;
  builder: Builder;
  close(): Promise<void>;
}

/** The UI and the API, as ui-harness serves them, with uploads on: the server's archives go where the runner reads them. */
async function serve(runners: RunnerMap, uploadsDir?: string): Promise<Served> {
  const builder = createBuilder({ store: createMemoryJobStore(), runners, logs: { flushIntervalMs: 20 } });
  const app = express();
  app.use(
    '/api',
    createBuilderRouter(builder, {
      auth: (req) => USERS[(req.get('authorization') ?? '').replace(/^Bearer /, '')] ?? null,
      canWrite: (user) => user?.sub !== 'viewer',
      ...(uploadsDir ? { uploads: { dir: uploadsDir } } : {}),
    }),
  );
  app.get('/ui-config.json', (_req, res) => void res.type('json').send(uiConfig({ api: '/api' })));
  app.use(express.static(uiAssetsDir()));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    builder,
    close: async () => {
      await builder.close({ deadlineMs: 100 });
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const deployRunner = () => createScriptedRunner({ kind: 'deploy', script: [{ log: 'PLAY [Deploy]' }] });

let browser: Browser;
let noEngine: Served;
let noBuilds: Served;
let closedPort: number;

beforeAll(async () => {
  browser = await launchChromium();
  closedPort = await freePort();
  const uploads = mkdtempSync(path.join(tmpdir(), 'ui-runner-health-'));
  // Git from github.com and uploads work; no context root, no registry, and no engine listens there.
  const build = createDockerRunner({ dockerHost: `tcp://127.0.0.1:${closedPort}`, gitHosts: ['github.com'], uploadsDir: uploads });
  noEngine = await serve({ build, deploy: deployRunner() }, uploads);
  noBuilds = await serve({ deploy: deployRunner() });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await noEngine?.close();
  await noBuilds?.close();
});

const banner = (page: Page) => page.getByRole('status', { name: 'What would make jobs fail' });

describe('runner health in the UI', () => {
  it('shows the cause and DOCKER_HOST above the queue and the forms when the engine does not answer', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${noEngine.base}/`);
    await banner(page).waitFor();
    const problem = banner(page).locator('[data-kind=build]');
    await expect(problem.textContent()).resolves.toContain('The Docker engine does not answer, so every build fails.');
    await expect(problem.locator('code.setting').allTextContents()).resolves.toEqual(['DOCKER_HOST']);
    // Alice has no role, so she may do everything: the details, with the address, are hers to see.
    await expect(problem.locator('details code').textContent()).resolves.toContain(`tcp://127.0.0.1:${closedPort}`);
    // Deploys work: they are not in the banner.
    expect(await banner(page).locator('[data-kind=deploy]').count()).toBe(0);

    for (const form of ['#/new/build', '#/new/deploy']) {
      await page.goto(`${noEngine.base}/${form}`);
      await page.locator('main h1').waitFor();
      await expect(banner(page).locator('code.setting', { hasText: 'DOCKER_HOST' }).isVisible()).resolves.toBe(true);
    }
    expect(problems).toEqual([]);
  });

  it('tells a read-only user too, without the address', async () => {
    const { page, problems } = await openAs(browser, 'viewer-token');
    await page.goto(`${noEngine.base}/`);
    await banner(page).locator('code.setting', { hasText: 'DOCKER_HOST' }).waitFor();
    expect(await banner(page).textContent()).not.toContain(String(closedPort));
    expect(await banner(page).locator('details').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('offers only the context sources that work, no push without a registry, and sends an archive as a job', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${noEngine.base}/#/new/build`);
    const sources = page.getByRole('radiogroup', { name: 'Context from' });
    await sources.waitFor();
    expect(await sources.getByRole('radio').evaluateAll((radios) => radios.map((radio) => (radio as unknown as { value: string }).value))).toEqual(['git', 'upload']);
    // No directory is offered: nothing under a context root that is not there, and no "." to start from.
    expect(await page.getByRole('radio', { name: 'A directory on the server' }).count()).toBe(0);
    await expect(page.locator('input[name=context]').inputValue()).resolves.toBe('');
    await expect(page.locator('input[name=context]').getAttribute('placeholder')).resolves.toMatch(/^https:\/\/github\.com\//);
    await expect(page.locator('[data-off=directory]').textContent()).resolves.toContain('BUILD_CONTEXT_ROOT');
    await expect(page.locator('input[name=push]').isChecked()).resolves.toBe(false);
    await expect(page.locator('input[name=push]').isDisabled()).resolves.toBe(true);
    await expect(page.locator('[data-push-off]').textContent()).resolves.toContain('REGISTRY_PREFIX');

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await contrastProblems(page), scheme).toEqual([]);
      await page.screenshot({ path: `${artifacts}runner-banner-build-form-${scheme}.png`, fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    // The banner and the context sources, opened as an admin sees them: the picture for the docs.
    await page.setViewportSize({ width: 1000, height: 560 });
    await banner(page).locator('summary').click();
    await page.screenshot({ path: `${artifacts}runner-banner.png` });
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.fill('input[name=service]', 'hello');
    await page.getByRole('radio', { name: 'An archive' }).check();
    await page.setInputFiles('input[name=archive]', {
      name: 'context.tar',
      mimeType: 'application/x-tar',
      buffer: tarArchive([{ name: 'Dockerfile', body: 'FROM scratch\nCOPY hello.txt /\n' }, { name: 'hello.txt', body: 'hello\n' }]),
    });
    await page.getByRole('button', { name: 'Build' }).click();
    await page.waitForURL(/#\/jobs\//);
    const id = page.url().split('#/jobs/')[1]!;
    // A real job from the archive; it fails where the banner said it would, at the engine.
    const job = await jobEnded(noEngine.builder, id);
    expect(job).toMatchObject({ kind: 'build', state: 'error', spec: { service: 'hello', push: false, upload: expect.any(String) } });
    expect(job.error).toMatch(/Docker engine is unreachable/);
    expect(problems).toEqual([]);
  });

  it('offers no "New build" on a server without a build runner, and says so at its address', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${noBuilds.base}/`);
    await page.getByRole('link', { name: 'New deploy' }).waitFor();
    expect(await page.getByRole('link', { name: 'New build' }).count()).toBe(0);
    // Nothing is failing here: no banner.
    expect(await banner(page).count()).toBe(0);
    await page.goto(`${noBuilds.base}/#/new/build`);
    await expect(page.locator('[data-unavailable=build]').textContent()).resolves.toContain('Builds are not available here');
    expect(await page.locator('form').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the banner readably on the queue, in light and dark', async () => {
    const { page, problems } = await openAs(browser, 'alice-token', { width: 1100, height: 520 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${noEngine.base}/`);
      await banner(page).waitFor();
      await page.locator('table.jobs, .empty').first().waitFor();
      expect(await contrastProblems(page), scheme).toEqual([]);
      await page.screenshot({ path: `${artifacts}runner-banner-queue-${scheme}.png` });
    }
    // Where it fits on a phone, too.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${noEngine.base}/#/new/build`);
    await banner(page).waitFor();
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth > (globalThis as any).innerWidth);
    expect(overflow).toBe(false);
    await page.screenshot({ path: `${artifacts}runner-banner-phone.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});
