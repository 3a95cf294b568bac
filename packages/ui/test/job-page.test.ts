/**
 * The job page in a real Chromium, checked as a person sees it: a failed deploy's red bar, its
 * times and people, the jump to its first error and long lines wrapped; search and line links
 * across a 100,000-line log of which only a screenful is rendered; cancel asking first.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { createScriptedRunner, eventually, jobEnded, type ScriptStep } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { artifacts, channels, inView, launchChromium, openAs, serveUi } from './ui-harness';

const ALICE = { sub: 'alice', name: 'Alice Martin' };
const BOB = { sub: 'bob', name: 'Bob Chen' };
const red = (text: string) => `\u001b[0;31m${text}\u001b[0m`;
const green = (text: string) => `\u001b[0;32m${text}\u001b[0m`;

const LONG_FATAL =
  'fatal: [localhost]: FAILED! => {"changed": true, "cmd": ["/bin/sh", "-c", "kubectl set image deployment/rag-service rag-service=us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006"], ' +
  '"msg": "non-zero return code", "rc": 3, "stderr": "image not found in registry: us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006 (manifest unknown: the tag does not exist; check that the build pushed it)", "stdout": "rolling out"}';

/** An ansible run that fails: an ignored failure first, the real one, then a rescue's output after it. */
function failingLog(): string[] {
  const filler = (n: number, task: string) => [`TASK [${task}] ${'*'.repeat(40)}`, ...Array.from({ length: n }, (_, i) => green(`ok: [localhost] => (item=${task}-${i + 1})`)), ''];
  return [
    `PLAY [Deploy] ${'*'.repeat(40)}`,
    '',
    ...filler(60, 'Show the mappings'),
    `TASK [Try an optional step] ${'*'.repeat(40)}`,
    red('fatal: [localhost]: FAILED! => {"changed": true, "msg": "optional step failed"}'),
    '\u001b[0;36m...ignoring\u001b[0m',
    '',
    ...filler(40, 'Pull the images'),
    `TASK [Roll out rag-service] ${'*'.repeat(40)}`,
    red(LONG_FATAL),
    '',
    ...filler(60, 'Roll back rag-service'),
    `PLAY RECAP ${'*'.repeat(40)}`,
    'localhost                  : ok=5    changed=1    unreachable=0    failed=1    skipped=0    rescued=0    ignored=1',
  ];
}
const FAILING = failingLog();
const FIRST_ERROR = FAILING.findIndex((line) => line.includes('kubectl set image')) + 1;
const RAG_IMAGE = 'us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006';

const deploy = createScriptedRunner({
  kind: 'deploy',
  script: (spec): ScriptStep[] => {
    if (spec.mappings['rag-service']) return [{ log: FAILING }, { progress: 91 }, { fail: 'ansible-playbook exited with code 2 (Roll out rag-service)' }];
    if (spec.mappings.big) {
      // A needle in every 10,000 lines, none of them near the end the view opens at.
      return [{ log: Array.from({ length: 100_000 }, (_, i) => `line ${i + 1} of a long log${i % 10_000 === 4_999 ? ` with needle ${(i - 4_999) / 10_000 + 1}` : ''}`) }];
    }
    if (spec.mappings.hang) return [{ log: ['PLAY [Deploy]', 'TASK [Wait for the rollout]'] }, { progress: 40 }, { gate: 'never' }];
    return [{ log: 'deployed' }];
  },
});

let browser: Browser;
let builder: Builder;
let base: string;
let close: () => Promise<void>;
let failedId: string;
let bigId: string;

beforeAll(async () => {
  browser = await launchChromium();
  builder = createBuilder({ store: createMemoryJobStore(), runners: { deploy }, concurrency: 4, logs: { flushIntervalMs: 20, maxBatch: 5_000 } });
  ({ base, close } = await serveUi(builder));
  failedId = (await builder.submitDeploy({ mappings: { 'rag-service': RAG_IMAGE } }, { user: ALICE })).id;
  bigId = (await builder.submitDeploy({ mappings: { big: 'x:1' } }, { user: ALICE })).id;
  await jobEnded(builder, failedId);
  await jobEnded(builder, bigId, 30_000);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await builder?.close({ deadlineMs: 100 });
  await close?.();
});

const activeText = (page: Page) => page.evaluate(() => ((globalThis as any).document.activeElement?.textContent as string | undefined) ?? null);

/** The job page's facts, as label → text. */
const facts = (page: Page) =>
  page.locator('dl.facts').evaluate((list) => {
    const out: Record<string, string> = {};
    for (const term of list.querySelectorAll('dt')) out[term.textContent ?? ''] = term.nextElementSibling?.textContent ?? '';
    return out;
  });

/** Opens a finished job's page and waits for all its lines (the runner's and the builder's own). */
async function openLog(page: Page, id: string) {
  const { total } = await builder.readLogs(id, { limit: 0 });
  await page.goto(`${base}/#/jobs/${id}`);
  const log = page.getByRole('log');
  await expect.poll(() => log.getAttribute('data-filled'), { timeout: 30_000 }).toBe(String(total));
  return { log, total };
}

describe('the job page', () => {
  it('shows a failed deploy with a red bar, its times and people, and jumps to its first error, wrapped', async () => {
    // Tall enough to show the page whole, for the README's screenshot.
    const { page, problems } = await openAs(browser, 'alice-token', { width: 1280, height: 1000 });
    const { log, total } = await openLog(page, failedId);

    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await expect.poll(() => bar.getAttribute('aria-valuetext')).toBe('failed at 91%');
    const fill = await bar.locator('.progress-fill').evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor as string);
    const [r, g, b] = channels(fill);
    expect(r, fill).toBeGreaterThan(150);
    expect(Math.max(g, b), fill).toBeLessThan(90);
    expect(await inView(bar)).toBe(true);

    const shown = await facts(page);
    expect(shown.Submitted).toMatch(/ by Alice Martin$/);
    expect(shown.Waited).toMatch(/^\d+ s$/);
    expect(shown.Started).toBeTruthy();
    expect(shown.Finished).toBeTruthy();
    expect(shown.Took).toMatch(/^\d+ s$/);

    // The error is not in view at first (the view opens at the end, below the rescue's output).
    const errorRow = page.locator(`.log-line[data-index="${FIRST_ERROR - 1}"]`);
    expect(await errorRow.count()).toBe(0);
    const jump = page.getByRole('button', { name: `Jump to the first error (line ${FIRST_ERROR})` });
    await jump.click();
    await page.waitForURL(new RegExp(`#L${FIRST_ERROR}$`));
    await expect.poll(() => inView(errorRow).catch(() => false)).toBe(true);
    expect(await errorRow.getAttribute('class')).toContain('log-line-selected');
    expect(await errorRow.textContent()).toContain('image not found in registry');
    // A new line in the URL is not a new page: focus stays where the person is.
    expect(await activeText(page)).toBe(`Jump to the first error (line ${FIRST_ERROR})`);

    // Wrapped (the default), the long fatal line is read whole, inside the pane.
    const whole = () =>
      errorRow.evaluate((row) => {
        const pane = row.closest('[role=log]')!;
        const text = row.querySelector('.log-text')!;
        return {
          height: row.getBoundingClientRect().height,
          inside: text.getBoundingClientRect().right <= pane.getBoundingClientRect().right && text.scrollWidth <= text.clientWidth + 1,
          paneOverflows: pane.scrollWidth > pane.clientWidth,
        };
      });
    const wrapped = await whole();
    expect(wrapped.height).toBeGreaterThanOrEqual(36);
    expect(wrapped.inside).toBe(true);
    expect(wrapped.paneOverflows).toBe(false);
    await expect.poll(() => inView(errorRow)).toBe(true);
    await page.screenshot({ path: `${artifacts}job-failed.png` });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${artifacts}job-failed-dark.png` });
    await page.emulateMedia({ colorScheme: 'light' });

    await page.getByLabel('Wrap lines').uncheck();
    await expect.poll(async () => (await whole()).height).toBe(18);
    expect(await inView(errorRow.locator('.log-number'))).toBe(true);
    expect((await whole()).paneOverflows).toBe(true);
    // The choice is remembered.
    await page.reload();
    await expect.poll(() => log.getAttribute('data-filled')).toBe(String(total));
    expect(await page.getByLabel('Wrap lines').isChecked()).toBe(false);
    // …and the URL's line is still the one in view (its start: unwrapped, it runs on past the pane).
    await expect.poll(() => inView(errorRow.locator('.log-number')).catch(() => false)).toBe(true);
    await page.getByLabel('Wrap lines').check();
    expect(problems).toEqual([]);
  }, 60_000);

  it('says who retried a job and links the job it retries', async () => {
    const retried = await builder.retry(failedId, { user: BOB });
    await jobEnded(builder, retried.id);
    const { page, problems } = await openAs(browser, 'bob-token');
    await page.goto(`${base}/#/jobs/${retried.id}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    const shown = await facts(page);
    expect(shown.Retried).toMatch(/ by Bob Chen$/);
    expect(shown['Retry of']).toBe(failedId);
    await page.getByRole('link', { name: failedId }).click();
    await page.waitForURL(new RegExp(`#/jobs/${failedId}$`));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(failedId);
    expect(problems).toEqual([]);
  }, 30_000);

  it('searches all 100,000 lines, not only the rendered ones, and brings each match into view', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    expect((await openLog(page, bigId)).total).toBe(100_000);
    expect(await page.locator('.log-line').count()).toBeLessThan(100);
    const search = page.getByRole('searchbox', { name: 'Search the log' });
    const count = page.locator('.log-count');
    // The browser's own find would see a screenful: Ctrl+F searches the whole log instead.
    await page.getByRole('log').focus();
    await page.keyboard.press('Control+f');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('aria-label') as string)).toBe('Search the log');
    const current = page.locator('mark.log-hit-current');
    const currentLine = () => current.evaluate((mark) => mark.closest('.log-line')!.getAttribute('data-index'));

    await search.fill('NEEDLE');
    await expect.poll(() => count.textContent()).toBe('1 of 10');
    await expect.poll(() => current.textContent()).toBe('needle');
    expect(await currentLine()).toBe('4999');
    expect(await inView(current)).toBe(true);
    const highlight = channels(await current.evaluate((mark) => (globalThis as any).getComputedStyle(mark).backgroundColor as string));
    expect(highlight[0]).toBeGreaterThan(200);
    await page.screenshot({ path: `${artifacts}log-search.png` });

    await search.press('Enter');
    await expect.poll(() => count.textContent()).toBe('2 of 10');
    await expect.poll(() => currentLine()).toBe('14999');
    await expect.poll(() => inView(current)).toBe(true);
    await search.press('Shift+Enter');
    await search.press('Shift+Enter');
    await expect.poll(() => count.textContent()).toBe('10 of 10');
    await expect.poll(() => currentLine()).toBe('94999');
    await expect.poll(() => inView(current)).toBe(true);
    await page.getByRole('button', { name: 'Next match' }).click();
    await expect.poll(() => count.textContent()).toBe('1 of 10');

    await search.fill('no such text anywhere');
    await expect.poll(() => count.textContent()).toBe('No matches');
    expect(await page.locator('mark.log-hit').count()).toBe(0);
    expect(problems).toEqual([]);
  }, 90_000);

  it('opens a #L link scrolled to its line and highlighted, on a phone, in a 100,000-line log', async () => {
    const { page, problems } = await openAs(browser, 'alice-token', { width: 390, height: 844 });
    await page.goto(`${base}/#/jobs/${bigId}#L54321`);
    const row = page.locator('.log-line[data-index="54320"]');
    await expect.poll(() => inView(row, 1_000).catch(() => false), { timeout: 60_000 }).toBe(true);
    expect(await row.getAttribute('class')).toContain('log-line-selected');
    expect(await row.textContent()).toBe('54321line 54321 of a long log');
    await page.screenshot({ path: `${artifacts}log-line-link-390.png` });

    // A line's number is its link.
    await page.locator('.log-line[data-index="54323"] a.log-number').click();
    await page.waitForURL(/#L54324$/);
    await expect.poll(() => page.locator('.log-line-selected').getAttribute('data-index')).toBe('54323');
    expect(await inView(page.locator('.log-line-selected'))).toBe(true);
    expect(problems).toEqual([]);
  }, 90_000);

  it('asks before stopping a running deploy, in a dialog the keyboard can answer, and says who stopped it', async () => {
    const { id } = await builder.submitDeploy({ mappings: { hang: 'x:1' } }, { user: ALICE });
    await deploy.reached('never');
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/#/jobs/${id}`);
    await page.getByText('TASK [Wait for the rollout]').waitFor({ timeout: 20_000 });
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    const dialog = page.getByRole('dialog', { name: 'Stop this deploy?' });

    await cancel.click();
    await dialog.waitFor({ timeout: 10_000 });
    expect(await inView(dialog)).toBe(true);
    expect(await activeText(page)).toBe('Keep it running');
    await page.screenshot({ path: `${artifacts}cancel-dialog.png` });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    expect((await builder.get(id)).state).toBe('running');
    expect(await activeText(page)).toBe('Cancel');

    // Enter on the button (focused again first: under heavy load a re-render between the check
    // above and the key press has been seen to leave focus on the body once).
    await cancel.press('Enter');
    await dialog.waitFor({ timeout: 10_000 });
    await page.keyboard.press('Tab');
    expect(await activeText(page)).toBe('Stop the deploy');
    await page.keyboard.press('Enter');
    await page.locator('.badge-cancelled').waitFor({ timeout: 10_000 });
    await eventually(async () => (await builder.get(id)).state === 'cancelled');
    await expect.poll(async () => (await facts(page)).Cancelled ?? '').toMatch(/ by Alice Martin$/);
    expect(problems).toEqual([]);
  }, 60_000);
});
