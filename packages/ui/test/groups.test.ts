/**
 * Concurrency groups in a real Chromium: a deploy that waits for another deploy of its service
 * says so in the queue and on its page, with a link to the job ahead of it, and starts when that
 * one ends, all from the event streams, without reloading; the status page shows the groups.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Builder } from '@docker-builder/core';
import { createScriptedRunner, eventually, jobEnded } from '@docker-builder/core/testing';
import { artifacts, contrastProblems, inView, openAs, queueRow, startUi, stateCount } from './ui-harness';

const ALICE = { sub: 'alice', name: 'Alice Martin' };

/** Every deploy waits at a gate named after its image. */
const deploy = createScriptedRunner({ kind: 'deploy', script: (spec) => [{ log: 'rolling out' }, { gate: Object.values(spec.mappings)[0]! }, { log: 'done' }] });

let browser: Browser;
let builder: Builder;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  // Two at once: the second deploy of a service is taken by a free worker and found waiting.
  ({ browser, builder, base, close } = await startUi({ runners: { deploy }, concurrency: 2 }));
}, 30_000);
afterAll(async () => {
  await close?.();
});

const image = (service: string, tag: number) => `registry.example/team/${service}:${tag}`;
const submit = async (service: string, tag: number) => (await builder.submitDeploy({ mappings: { [service]: image(service, tag) } }, { user: ALICE })).id;
const short = (id: string) => id.slice(-8);
const row = queueRow;
const chipCount = stateCount;
const fact = (page: Page, name: string) => page.locator('dl.facts dt', { hasText: new RegExp(`^${name}$`) }).locator('xpath=following-sibling::dd[1]');
const waitsFor = (id: string) => eventually(async () => ((await builder.get(id)).waitingFor ? true : undefined), 5_000, 'the job to wait');
/** Its text, or null while it is not there: a poll asks again rather than waiting out Playwright's 30 s. */
const text = (locator: Locator) => locator.textContent({ timeout: 500 }).catch(() => null);
/** Set once: still there later means the page was not loaded again. */
const mark = (page: Page) => page.evaluate(() => ((globalThis as any).notReloaded = true));
const marked = (page: Page) => page.evaluate(() => (globalThis as any).notReloaded === true);

describe('concurrency groups in the UI', () => {
  it('says why a queued deploy waits, in the queue and on its page, links the job ahead, and starts it when that one ends, without reloading', async () => {
    const first = await submit('rag-service', 1);
    await deploy.reached(image('rag-service', 1));
    const { page, problems } = await openAs(browser, 'alice-token');
    const reads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/builds') reads.push(request.url());
    });
    await page.goto(`${base}/`);
    await row(page, first).waitFor();
    await mark(page);

    const second = await submit('rag-service', 2);
    const waiting = row(page, second).locator('.waiting');
    await expect.poll(() => text(waiting), { timeout: 10_000 }).toBe(`waiting for ${short(first)} (deploy of rag-service)`);
    expect(await waiting.getByRole('link').getAttribute('href')).toBe(`#/jobs/${first}`);
    // The waiting event does not move the line: it is still next.
    expect(await row(page, second).locator('.place').textContent()).toBe('#1 in line');
    expect(await row(page, first).locator('.waiting').count()).toBe(0);
    // A deploy of another service does not wait for either.
    const unrelated = await submit('agent-service', 1);
    await expect.poll(() => text(row(page, unrelated).locator('.badge')), { timeout: 10_000 }).toBe('running');
    expect(await row(page, unrelated).locator('.waiting').count()).toBe(0);
    await expect.poll(() => text(chipCount(page, 'running')), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => text(chipCount(page, 'queued'))).toBe('1');
    expect(await contrastProblems(page)).toEqual([]);
    await page.screenshot({ path: `${artifacts}queue-waiting.png` });
    // On a phone the reason stays on screen, under the state.
    const phone = await openAs(browser, 'alice-token', { width: 390, height: 844 });
    await phone.page.goto(`${base}/`);
    const reason = row(phone.page, second).locator('.waiting');
    await reason.waitFor();
    expect(await inView(reason)).toBe(true);
    await phone.page.screenshot({ path: `${artifacts}queue-waiting-phone.png` });
    await phone.page.close();

    const job = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await job.addInitScript(() => (globalThis as any).sessionStorage.setItem('docker-builder-token', 'alice-token'));
    await job.goto(`${base}/#/jobs/${second}`);
    await expect.poll(() => text(fact(job, 'Waiting for'))).toMatch(new RegExp(`^${short(first)} \\(deploy of rag-service\\), since `));
    expect(await fact(job, 'Waiting for').getByRole('link').getAttribute('href')).toBe(`#/jobs/${first}`);
    expect(await fact(job, 'Groups').textContent()).toBe('deploy:rag-service one at a time');
    await mark(job);
    await job.screenshot({ path: `${artifacts}job-waiting.png` });

    deploy.open(image('rag-service', 1));
    await jobEnded(builder, first);
    await expect.poll(() => text(row(page, second).locator('.badge')), { timeout: 10_000 }).toBe('running');
    expect(await row(page, second).locator('.waiting').count()).toBe(0);
    await expect.poll(() => text(job.locator('.toolbar .badge')), { timeout: 10_000 }).toBe('running');
    expect(await fact(job, 'Waiting for').count()).toBe(0);
    expect(await marked(page)).toBe(true);
    expect(await marked(job)).toBe(true);
    // The queue read the list once; everything after came from its event stream.
    expect(reads).toHaveLength(1);

    deploy.open(image('rag-service', 2));
    deploy.open(image('agent-service', 1));
    await Promise.all([jobEnded(builder, second), jobEnded(builder, unrelated)]);
    expect(problems).toEqual([]);
    await job.close();
    await page.close();
  }, 40_000);

  it('shows on a job\'s page, live, that it began to wait after the page was opened', async () => {
    // Both workers busy: the next deploy of `web` is not even looked at yet.
    const holder = await submit('web', 1);
    await deploy.reached(image('web', 1));
    const other = await submit('other', 1);
    await deploy.reached(image('other', 1));
    const later = await submit('web', 2);

    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/#/jobs/${later}`);
    await expect.poll(() => text(page.locator('.toolbar .badge'))).toBe('queued');
    expect(await fact(page, 'Waiting for').count()).toBe(0);

    // A worker frees up, takes the job and finds it waiting for the first deploy of `web`.
    deploy.open(image('other', 1));
    await jobEnded(builder, other);
    await waitsFor(later);
    await expect.poll(() => text(fact(page, 'Waiting for')), { timeout: 10_000 }).toMatch(new RegExp(`^${short(holder)} \\(deploy of web\\)`));

    // The status page lists the group: who runs, who waits.
    const status = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await status.addInitScript(() => (globalThis as any).sessionStorage.setItem('docker-builder-token', 'alice-token'));
    await status.goto(`${base}/#/status`);
    const group = status.locator('tr[data-group="deploy:web"]');
    await group.waitFor();
    expect(await group.locator('td[data-label="Runs"]').textContent()).toBe('one at a time');
    expect(await group.locator('td[data-label="Running"] a').getAttribute('href')).toBe(`#/jobs/${holder}`);
    expect(await group.locator('td[data-label="Waiting"] a').getAttribute('href')).toBe(`#/jobs/${later}`);
    expect(await contrastProblems(status)).toEqual([]);
    await status.screenshot({ path: `${artifacts}status-groups.png`, fullPage: true });
    await status.close();

    deploy.open(image('web', 1));
    await expect.poll(() => text(page.locator('.toolbar .badge')), { timeout: 10_000 }).toBe('running');
    expect(await fact(page, 'Waiting for').count()).toBe(0);
    deploy.open(image('web', 2));
    await jobEnded(builder, later);
    expect(problems).toEqual([]);
    await page.close();
  }, 40_000);
});
