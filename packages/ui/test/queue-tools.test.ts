/**
 * The queue's tools in a real Chromium: how many jobs each state holds (a click filters by it), a
 * search by service, image or user kept in the URL, a queued job's place in line moving as the
 * line does (from the event stream, the list read once), bulk retry and cancel for write users
 * only, and on a job's page the jobs that retried it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Builder } from '@docker-builder/core';
import { createScriptedRunner, eventually, jobEnded, type ScriptStep } from '@docker-builder/core/testing';
import { artifacts, inView, openAs, queueRow, startUi, stateCount } from './ui-harness';

const ALICE = { sub: 'alice', name: 'Alice Martin' };

/** One job at a time: a deploy of `hold-*` waits at its gate; `broken-*` fails. */
const deploy = createScriptedRunner({
  kind: 'deploy',
  script: (spec): ScriptStep[] => {
    const [name] = Object.keys(spec.mappings);
    if (name!.startsWith('hold-')) return [{ log: 'rolling out' }, { gate: name! }, { log: 'done' }];
    if (name!.startsWith('broken-')) return [{ log: 'fatal' }, { fail: `image not found: ${name}:1` }];
    return [{ log: 'deployed' }];
  },
});

let browser: Browser;
let builder: Builder;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ browser, builder, base, close } = await startUi({ runners: { deploy }, concurrency: 1 }));
}, 30_000);
afterAll(async () => {
  await close?.();
});

const submit = async (name: string, user = ALICE) => (await builder.submitDeploy({ mappings: { [name]: `registry.example/team/${name}:1` } }, { user })).id;
const row = queueRow;
const chipCount = stateCount;
const listReads = (page: Page) => {
  const reads: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/builds') reads.push(request.url());
  });
  return reads;
};

describe('the queue\'s tools', () => {
  it('shows how many jobs each state holds, live, and filters by a state when its count is clicked', async () => {
    const failed = await submit('broken-a');
    await jobEnded(builder, failed);
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/`);
    await expect.poll(() => chipCount(page, 'error').textContent()).toBe('1');
    expect(await chipCount(page, 'done').textContent()).toBe('0');

    const fine = await submit('fine-a');
    await jobEnded(builder, fine);
    await expect.poll(() => chipCount(page, 'done').textContent(), { timeout: 10_000 }).toBe('1');
    await chipCount(page, 'error').click();
    await expect.poll(() => page.evaluate(() => (globalThis as any).location.hash)).toBe('#/?state=error');
    await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBe(1);
    expect(await row(page, failed).count()).toBe(1);
    expect(problems).toEqual([]);
  }, 30_000);

  it('searches by service, image or user, kept in the URL; a new job joins the view only if it matches', async () => {
    const rag = await submit('rag-service');
    const other = await submit('other-service', { sub: 'bob', name: 'Bob Chen' });
    await Promise.all([jobEnded(builder, rag), jobEnded(builder, other)]);
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/`);
    const search = page.getByRole('searchbox', { name: /Search jobs/ });
    await search.fill('RAG-Service');
    await search.press('Enter');
    await expect.poll(() => page.evaluate(() => (globalThis as any).location.hash)).toBe('#/?q=RAG-Service');
    await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBe(1);
    expect(await row(page, rag).count()).toBe(1);
    expect(await chipCount(page, 'done').textContent()).toBe('1');

    await page.reload();
    await row(page, rag).waitFor();
    expect(await page.getByRole('searchbox', { name: /Search jobs/ }).inputValue()).toBe('RAG-Service');
    const later = await submit('rag-service');
    const unrelated = await submit('unrelated-service');
    await Promise.all([jobEnded(builder, later), jobEnded(builder, unrelated)]);
    await row(page, later).waitFor();
    expect(await row(page, unrelated).count()).toBe(0);

    // By image repository, and by who submitted it.
    await page.goto(`${base}/#/?q=${encodeURIComponent('registry.example/team/other-service')}`);
    await row(page, other).waitFor();
    await page.goto(`${base}/#/?q=bob`);
    await row(page, other).waitFor();
    expect(await page.locator('table.jobs tbody tr').count()).toBe(1);
    await page.goto(`${base}/#/?q=rag`);
    await expect.poll(() => page.locator('.empty').textContent()).toContain('A search matches a whole service, image or user name');
    expect(problems).toEqual([]);
  }, 30_000);

  it('shows each queued job\'s place in line and moves it as jobs ahead start or are cancelled, without reading the list again', async () => {
    const running = await submit('hold-first');
    await deploy.reached('hold-first');
    const second = await submit('hold-second');
    const third = await submit('third');
    const { page, problems } = await openAs(browser, 'alice-token');
    const reads = listReads(page);
    await page.goto(`${base}/`);
    await expect.poll(() => row(page, second).locator('.place').textContent()).toBe('#1 in line');
    expect(await row(page, third).locator('.place').textContent()).toBe('#2 in line');
    expect(await row(page, running).locator('.place').count()).toBe(0);

    // A job submitted now joins at the end, with its place from its event.
    const fourth = await submit('fourth');
    await expect.poll(() => row(page, fourth).locator('.place').textContent()).toBe('#3 in line');
    deploy.open('hold-first');
    await jobEnded(builder, running);
    await expect.poll(() => row(page, third).locator('.place').textContent()).toBe('#1 in line');
    expect(await row(page, fourth).locator('.place').textContent()).toBe('#2 in line');
    expect(await row(page, second).locator('.place').count()).toBe(0);
    await page.screenshot({ path: `${artifacts}queue-place-in-line.png` });

    // Cancelling the queued ones, after saying how many; the running one goes on.
    await page.getByRole('button', { name: 'Cancel 2 queued jobs…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel 2 queued jobs?' });
    await dialog.waitFor();
    expect(await inView(dialog)).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel 2 jobs' }).click();
    await expect.poll(() => page.locator('.bulk-status').textContent()).toContain('Cancelled 2 of 2 jobs.');
    expect((await builder.get(third)).state).toBe('cancelled');
    expect((await builder.get(fourth)).state).toBe('cancelled');
    expect((await builder.get(second)).state).toBe('running');
    deploy.open('hold-second');
    await jobEnded(builder, second);
    // The page read the list once; the bulk action read the queued jobs once; nothing else did.
    expect(reads).toHaveLength(2);
    expect(problems).toEqual([]);
  }, 30_000);

  it('retries the failed jobs of a search for a write user, offers nothing to a viewer, and shows the retries on the job\'s page', async () => {
    const first = await submit('broken-b');
    const second = await submit('broken-b');
    await Promise.all([jobEnded(builder, first), jobEnded(builder, second)]);

    const viewer = await openAs(browser, 'viewer-token');
    await viewer.page.goto(`${base}/#/?q=broken-b`);
    await row(viewer.page, first).waitFor();
    expect(await viewer.page.getByRole('button', { name: /Retry/ }).count()).toBe(0);

    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/#/?q=broken-b`);
    await page.getByRole('button', { name: 'Retry 2 failed jobs…' }).click();
    await page.getByRole('dialog', { name: 'Retry 2 failed jobs?' }).getByRole('button', { name: 'Retry 2 jobs' }).click();
    await expect.poll(() => page.locator('.bulk-status').textContent()).toContain('Retried 2 of 2 jobs.');
    const retries = await eventually(async () => {
      const page = await builder.list({ limit: 10, search: 'broken-b' });
      const found = page.jobs.filter((job) => job.retryOf);
      return found.length === 2 ? found : undefined;
    });
    expect(retries.map((job) => job.retryOf).sort()).toEqual([first, second].sort());
    await Promise.all(retries.map((job) => jobEnded(builder, job.id)));

    const retryOfFirst = retries.find((job) => job.retryOf === first)!;
    await page.goto(`${base}/#/jobs/${first}`);
    const facts = page.locator('dl.facts');
    await facts.getByText('Retried as').waitFor();
    expect(await facts.getByRole('link', { name: retryOfFirst.id.slice(-8) }).getAttribute('href')).toBe(`#/jobs/${retryOfFirst.id}`);
    await page.screenshot({ path: `${artifacts}job-retried-as.png` });
    expect(problems).toEqual([]);
  }, 30_000);
});
