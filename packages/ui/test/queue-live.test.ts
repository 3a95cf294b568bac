/**
 * The queue in a real Chromium, as a person sees it: rows that change as jobs do without the
 * list being read again (no polling, nothing at all while the tab is hidden), ids told apart by
 * their random end, several states at once, the view kept in the URL, a failed row's reason,
 * relative times that move on; and the job page's bar following its log stream alone.
 */
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Builder } from '@docker-builder/core';
import { createScriptedRunner, jobEnded, type ScriptStep } from '@docker-builder/core/testing';
import { artifacts, openAs, queueRow, startUi } from './ui-harness';

const ALICE = { sub: 'alice', name: 'Alice Martin' };

/** A deploy of `gate-*` waits at that gate at 30 %; `fail-*` fails with a two-line error. */
const deploy = createScriptedRunner({
  kind: 'deploy',
  script: (spec): ScriptStep[] => {
    const [name] = Object.keys(spec.mappings);
    if (name!.startsWith('gate-')) return [{ log: 'rolling out' }, { progress: 30 }, { gate: name! }, { progress: 80 }, { log: 'done' }];
    if (name!.startsWith('fail-')) return [{ log: 'fatal' }, { progress: 50 }, { fail: 'image not found in registry: web:9\nsee the log for the recap' }];
    return [{ log: 'deployed' }];
  },
});

let browser: Browser;
let builder: Builder;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ browser, builder, base, close } = await startUi({ runners: { deploy }, concurrency: 4 }));
}, 30_000);
afterAll(async () => {
  await close?.();
});

const submit = async (name: string) => (await builder.submitDeploy({ mappings: { [name]: `${name}:1` } }, { user: ALICE })).id;
const row = queueRow;

/** Counts the list reads and watches the event streams the page opens and closes. */
function watchRequests(page: Page) {
  const lists: string[] = [];
  const streams: Request[] = [];
  const closed = new Set<Request>();
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path === '/api/builds') lists.push(request.url());
    if (path === '/api/events') streams.push(request);
  });
  page.on('requestfailed', (request) => closed.add(request));
  page.on('requestfinished', (request) => closed.add(request));
  return { lists, streams, open: () => streams.filter((s) => !closed.has(s)).length };
}

/** What hiding the tab does to the page: `visibilityState` says so and `visibilitychange` fires. */
const setVisibility = (page: Page, state: 'hidden' | 'visible') =>
  page.evaluate((value) => {
    const document = (globalThis as any).document;
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value === 'hidden' });
    document.dispatchEvent(new (globalThis as any).Event('visibilitychange'));
  }, state);

describe('the queue', () => {
  it('follows jobs live without reading the list again, and holds no stream while the tab is hidden', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    const seen = watchRequests(page);
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await expect.poll(() => seen.open()).toBe(1);

    const first = await submit('gate-a');
    await expect.poll(() => row(page, first).locator('.badge').textContent()).toBe('running');
    await expect.poll(() => row(page, first).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('30');
    const failed = await submit('fail-b');
    await expect.poll(() => row(page, failed).locator('.badge').textContent()).toBe('error');
    // The reason is in the row: its first line only.
    expect(await row(page, failed).locator('.row-error').textContent()).toBe('image not found in registry: web:9');
    deploy.open('gate-a');
    await expect.poll(() => row(page, first).locator('.badge').textContent()).toBe('done');
    // Changes for several seconds (a poll every 2 s would have read it again), and the list was read once, when the page opened.
    await page.waitForTimeout(2_500);
    expect(seen.lists).toHaveLength(1);

    await setVisibility(page, 'hidden');
    await expect.poll(() => seen.open()).toBe(0);
    const streamsBefore = seen.streams.length;
    const whileHidden = await submit('ok-c');
    await jobEnded(builder, whileHidden);
    await page.waitForTimeout(1_500);
    expect(seen.streams.length, 'no stream opened while hidden').toBe(streamsBefore);
    expect(await row(page, whileHidden).count()).toBe(0);

    await setVisibility(page, 'visible');
    await expect.poll(() => row(page, whileHidden).locator('.badge').textContent()).toBe('done');
    // It went on from the last event it had, so it missed nothing and read the list no more.
    expect(seen.streams.at(-1)!.headers()['last-event-id']).toBeTruthy();
    expect(seen.lists).toHaveLength(1);
    expect(seen.open()).toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('tells jobs apart by the random end of their id, with the whole id on hover', async () => {
    const ids = [await submit('ok-d'), await submit('ok-e')];
    await Promise.all(ids.map((id) => jobEnded(builder, id)));
    const { page } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/`);
    const links = ids.map((id) => row(page, id).getByRole('link'));
    const shown = await Promise.all(links.map((link) => link.textContent()));
    expect(shown).toEqual(ids.map((id) => id.slice(-8)));
    expect(shown[0]).not.toBe(shown[1]);
    expect(await links[0]!.getAttribute('title')).toBe(ids[0]);
  }, 30_000);

  it('filters by several states at once, kept in the URL across a reload, and times that move on', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.clock.install();
    await page.goto(`${base}/`);
    await page.locator('table.jobs .badge-error').waitFor();
    // The box follows the URL, which changes a moment after the click.
    for (const state of ['error', 'done']) {
      await page.getByRole('checkbox', { name: state }).click();
      await expect.poll(() => page.getByRole('checkbox', { name: state }).isChecked()).toBe(true);
    }
    await expect.poll(() => page.evaluate(() => (globalThis as any).location.hash)).toBe('#/?state=done&state=error');
    await expect.poll(async () => [...new Set(await page.locator('table.jobs .badge').allTextContents())].sort()).toEqual(['done', 'error']);

    await page.reload();
    await page.locator('table.jobs .badge').first().waitFor();
    expect(await page.getByRole('checkbox', { name: 'error' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'queued' }).isChecked()).toBe(false);
    expect([...new Set(await page.locator('table.jobs .badge').allTextContents())].sort()).toEqual(['done', 'error']);
    await page.screenshot({ path: `${artifacts}queue-filtered.png` });

    const time = page.locator('table.jobs td[data-label=Created] time').first();
    expect(await time.textContent()).toBe('just now');
    expect(await time.getAttribute('title')).toBeTruthy();
    expect(Date.parse((await time.getAttribute('datetime'))!)).not.toBeNaN();
    await page.clock.fastForward('05:00');
    await expect.poll(() => time.textContent()).toBe('5 min ago');
    expect(problems).toEqual([]);
  }, 30_000);
});

describe('the job page', () => {
  it('moves its bar from the log stream alone, without reading the job again until it ends', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    const jobReads: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/build\/[0-9a-f-]{36}(\?|$)/.test(request.url())) jobReads.push(request.url());
    });
    const id = await submit('gate-f');
    await deploy.reached('gate-f');
    await page.goto(`${base}/#/jobs/${id}`);
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await expect.poll(() => bar.getAttribute('aria-valuenow')).toBe('30');
    await page.waitForTimeout(2_500);
    expect(jobReads).toHaveLength(1);
    deploy.open('gate-f');
    await expect.poll(() => page.locator('.toolbar .badge').textContent()).toBe('done');
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    // Once more at the end, for the result.
    expect(jobReads.length).toBeLessThanOrEqual(2);
    expect(problems).toEqual([]);
  }, 30_000);
});
