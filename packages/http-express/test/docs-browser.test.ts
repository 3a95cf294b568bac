/**
 * The docs page as a person sees it, in a real Chromium (Debian's, driven by playwright-core):
 * every operation listed under its tag, one opened to its parameters, body and responses, with
 * no request leaving the loopback address. Swagger UI from the host's swagger-ui-dist too.
 * Screenshots land in .test-artifacts/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startHarness, type Harness } from './harness.js';

const artifacts = fileURLToPath(new URL('../../../.test-artifacts/', import.meta.url));
mkdirSync(artifacts, { recursive: true });
const swaggerUiDir = (createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();

let browser: Browser;
let harness: Harness | undefined;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A page that records script errors, failed requests, and any request off the loopback address. */
async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => void (message.type() === 'error' && problems.push(`console: ${message.text()}`)));
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
  await page.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1') return route.continue();
    problems.push(`left the host: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(url);
  return { page, problems };
}

async function startDocumented(docs: { swaggerUiDir?: string } = {}) {
  harness = await startHarness({
    router: { auth: () => ({ sub: 'reader' }), uploads: { dir: mkdtempSync(path.join(tmpdir(), 'uploads-')) }, docs },
  });
  const { body: document } = await getJson(`${harness.url}/openapi.json`);
  const operations = Object.values(document.paths as Record<string, Record<string, { summary: string }>>).flatMap((item) => Object.values(item));
  return { url: harness.url, operations };
}

describe('the built-in docs page in Chromium', () => {
  it('lists every operation by tag, and shows an opened one\'s parameters, body and responses', async () => {
    const { url, operations } = await startDocumented();
    const { page, problems } = await openPage(`${url}/docs`);
    await page.locator('details.op').first().waitFor();
    await expect.poll(() => page.locator('details.op').count()).toBe(operations.length);
    for (const { summary } of operations) await expect.poll(() => page.getByText(summary, { exact: true }).first().isVisible()).toBe(true);
    expect(await page.locator('section.tag h2').allTextContents()).toEqual(expect.arrayContaining(['jobs', 'service']));
    await page.screenshot({ path: path.join(artifacts, 'docs-page.png'), fullPage: true });

    const deploy = page.locator('details.op#createDeploy');
    await deploy.locator('summary').first().click();
    const body = deploy.locator('.op-body');
    await expect.poll(() => body.getByText('Request body').isVisible()).toBe(true);
    await expect.poll(() => body.locator('.name', { hasText: /^mappings$/ }).first().isVisible()).toBe(true);
    for (const status of ['202', '400', '401']) await expect.poll(() => body.locator('.status', { hasText: status }).first().isVisible()).toBe(true);
    await deploy.screenshot({ path: path.join(artifacts, 'docs-operation.png') });

    const getJob = page.locator('details.op#getJob');
    await getJob.locator('summary').first().click();
    await expect.poll(() => getJob.locator('table.params code.name', { hasText: 'logsLimit' }).isVisible()).toBe(true);

    await page.getByLabel('Filter operations').fill('cancel');
    await expect.poll(() => page.locator('details.op:visible').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it('opens the operation a link names', async () => {
    const { url } = await startDocumented();
    const { page, problems } = await openPage(`${url}/docs#retryJob`);
    await expect.poll(() => page.locator('details.op#retryJob').getAttribute('open')).toBe('');
    expect(problems).toEqual([]);
  });
});

describe('Swagger UI from the host\'s swagger-ui-dist in Chromium', () => {
  it('renders every operation, offline', async () => {
    const { url, operations } = await startDocumented({ swaggerUiDir });
    const { page, problems } = await openPage(`${url}/docs`);
    await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBe(operations.length);
    await page.screenshot({ path: path.join(artifacts, 'docs-swagger-ui.png') });
    expect(problems).toEqual([]);
  });
});
