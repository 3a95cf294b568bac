/**
 * What holds across the UI, in a real Chromium: dark mode following the system with every page
 * readable (each piece of text measured against what is painted behind it, the log's ANSI
 * colours included), the job's state in the tab's title, and focus where a keyboard or screen
 * reader user needs it after a navigation or a refused form.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { createScriptedRunner, jobEnded, type ScriptStep } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { artifacts, channels, contrastProblems, inView, launchChromium, openAs, serveUi, type ContrastProblem } from './ui-harness';

const ALICE = { sub: 'alice', name: 'Alice Martin' };
const sgr = (code: string, text: string) => `\u001b[${code}m${text}\u001b[0m`;

/** Ansible's and Docker's colours, every one the log knows. */
const COLOURED = [
  sgr('1', 'PLAY [Deploy] ***'),
  sgr('0;32', 'ok: [localhost] => (item=rag-service)'),
  sgr('0;33', 'changed: [localhost] => (item=agent-service)'),
  sgr('0;36', 'skipping: [localhost]'),
  sgr('0;35', 'included: /srv/deploy/tasks/rollout.yml'),
  sgr('0;34', 'TASK [Roll out] blue'),
  sgr('0;30', 'a dim line'),
  sgr('0;37', 'a light line'),
  ...[90, 91, 92, 93, 94, 95, 96, 97].map((code) => sgr(String(code), `bright colour ${code}`)),
  ...[41, 42, 43, 44].map((code) => sgr(String(code), `background ${code}`)),
  sgr('1;31', 'fatal: [localhost]: FAILED! => {"msg": "image not found"}'),
  'Step 3/7 : RUN npm ci',
  'PLAY RECAP ***',
];

const deploy = createScriptedRunner({
  kind: 'deploy',
  script: (spec): ScriptStep[] => {
    if (spec.mappings['bad-service']) return [{ log: COLOURED }, { progress: 91 }, { fail: 'ansible-playbook exited with code 2' }];
    if (spec.mappings.hang) return [{ log: ['TASK [Wait for the rollout]'] }, { progress: 40 }, { gate: 'never' }];
    return [{ log: COLOURED.slice(0, 6) }];
  },
});
const build = createScriptedRunner({ kind: 'build', script: [{ log: 'Step 1/1 : FROM scratch' }] });

let browser: Browser;
let builder: Builder;
let base: string;
let close: () => Promise<void>;
let doneId: string;
let failedId: string;
let runningId: string;

beforeAll(async () => {
  browser = await launchChromium();
  builder = createBuilder({ store: createMemoryJobStore(), runners: { deploy, build }, concurrency: 4, logs: { flushIntervalMs: 20 } });
  ({ base, close } = await serveUi(builder));
  doneId = (await builder.submitDeploy({ mappings: { 'rag-service': 'r/rag-service:1' } }, { user: ALICE })).id;
  failedId = (await builder.submitDeploy({ mappings: { 'bad-service': 'r/bad:1' } }, { user: ALICE })).id;
  runningId = (await builder.submitDeploy({ mappings: { hang: 'r/hang:1' } }, { user: ALICE })).id;
  await jobEnded(builder, doneId);
  await jobEnded(builder, failedId);
  await deploy.reached('never');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await builder?.close({ deadlineMs: 100 });
  await close?.();
});

const active = (page: Page) =>
  page.evaluate(() => {
    const element = (globalThis as any).document.activeElement;
    return { tag: element?.tagName as string, text: element?.textContent as string, name: element?.getAttribute('name') as string | null };
  });

const luminance = (color: string) => {
  const [r, g, b] = channels(color).map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

describe('the UI as a whole', () => {
  it.each(['light', 'dark'] as const)('follows the system in %s mode, every page readable, the log and its colours included', async (scheme) => {
    // Tall enough that the failed job's page shows whole, for the README's screenshot.
    const { page, problems } = await openAs(browser, 'alice-token', { width: 1280, height: 1000 });
    await page.emulateMedia({ colorScheme: scheme });
    const unreadable: Record<string, ContrastProblem[]> = {};
    const check = async (name: string) => {
      const found = await contrastProblems(page);
      if (found.length > 0) unreadable[name] = found;
      await page.screenshot({ path: `${artifacts}${scheme}-${name}.png` });
    };

    await page.goto(`${base}/`);
    await page.locator('table.jobs .badge-error').waitFor();
    const ground = await page.evaluate(() => {
      const style = (globalThis as any).getComputedStyle((globalThis as any).document.documentElement);
      return { background: style.backgroundColor as string, color: style.color as string };
    });
    if (scheme === 'dark') {
      expect(luminance(ground.background), ground.background).toBeLessThan(0.03);
      expect(luminance(ground.color), ground.color).toBeGreaterThan(0.6);
      const table = await page.locator('table.jobs').evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor as string);
      expect(luminance(table), table).toBeLessThan(0.05);
    } else {
      expect(luminance(ground.background), ground.background).toBeGreaterThan(0.85);
    }
    await check('queue');

    // A failed job: the red bar, the error box, a search's marks and a linked line over ANSI colours.
    await page.goto(`${base}/#/jobs/${failedId}#L3`);
    await page.locator('.log-line-selected').waitFor();
    await page.getByRole('searchbox', { name: 'Search the log' }).fill('colour');
    await page.locator('mark.log-hit-current').waitFor();
    const bar = await page.locator('.progress-fill').evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor as string);
    const [r, g, b] = channels(bar);
    expect(r, bar).toBeGreaterThan(150);
    expect(Math.max(g, b), bar).toBeLessThan(100);
    await check('failed-job');

    await page.goto(`${base}/#/jobs/${runningId}`);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('dialog', { name: 'Stop this deploy?' }).waitFor();
    await check('cancel-dialog');
    await page.keyboard.press('Escape');

    await page.goto(`${base}/#/new/deploy`);
    await page.fill('input[name=service-0]', 'rag-service');
    await page.fill('input[name=image-0]', 'img:{{ x }}');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await page.locator('.field-error').waitFor();
    await check('deploy-form');

    await page.goto(`${base}/#/new/build`);
    await page.getByRole('heading', { name: 'New build' }).waitFor();
    await check('build-form');

    await page.goto(`${base}/#/status`);
    await page.locator('.card').first().waitFor();
    await check('status');

    // Signed out: the token prompt over the queue.
    const stranger = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await stranger.emulateMedia({ colorScheme: scheme });
    await stranger.goto(`${base}/`);
    await stranger.getByRole('dialog', { name: 'Sign in' }).waitFor();
    const prompt = await contrastProblems(stranger);
    if (prompt.length > 0) unreadable['sign-in'] = prompt;
    await stranger.close();

    expect(unreadable).toEqual({});
    expect(problems).toEqual([]);
  }, 60_000);

  it('puts the job\'s state in the tab\'s title, and keeps it current', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/`);
    await expect.poll(() => page.title()).toBe('Queue — Docker Builder');
    await page.goto(`${base}/#/jobs/${doneId}`);
    await expect.poll(() => page.title()).toBe('✓ done · deploy rag-service — Docker Builder');
    await page.goto(`${base}/#/jobs/${failedId}`);
    await expect.poll(() => page.title()).toBe('✗ error · deploy bad-service — Docker Builder');
    await page.goto(`${base}/#/jobs/${runningId}`);
    await expect.poll(() => page.title()).toBe('▶ running 40% · deploy hang — Docker Builder');
    await page.goto(`${base}/#/status`);
    await expect.poll(() => page.title()).toBe('Status — Docker Builder');
    expect(problems).toEqual([]);
  }, 30_000);

  it('moves focus to the heading on navigation, and to the first invalid field of a refused form', async () => {
    const { page, problems } = await openAs(browser, 'alice-token');
    await page.goto(`${base}/`);
    await page.locator('table.jobs').waitFor();

    await page.getByRole('link', { name: 'New deploy' }).click();
    await expect.poll(() => active(page)).toMatchObject({ tag: 'H1', text: 'New deploy' });
    expect(await inView(page.getByRole('heading', { name: 'New deploy' }))).toBe(true);
    // The next Tab goes on from the heading, into the form.
    await page.keyboard.press('Tab');
    expect((await active(page)).name).toBe('service-0');

    await page.fill('input[name=service-0]', 'rag-service');
    await page.fill('input[name=image-0]', 'r/rag-service:1');
    await page.getByRole('button', { name: '+ Add a service' }).click();
    await page.fill('input[name=service-1]', 'agent-service');
    await page.fill('input[name=image-1]', 'img:{{ x }}');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => active(page)).toMatchObject({ tag: 'INPUT', name: 'image-1' });

    await page.getByRole('link', { name: 'New build' }).click();
    await expect.poll(() => active(page)).toMatchObject({ tag: 'H1', text: 'New build' });
    await page.fill('input[name=service]', 'rag-service');
    await page.fill('input[name=tags]', 'not a tag!');
    await page.getByRole('button', { name: 'Build' }).click();
    await expect.poll(() => active(page)).toMatchObject({ tag: 'INPUT', name: 'tags' });

    // A job's page loads first; its heading takes focus when it appears.
    await page.getByRole('link', { name: 'Queue' }).click();
    await expect.poll(() => active(page)).toMatchObject({ tag: 'H1', text: 'Queue' });
    await page.locator(`a[href="#/jobs/${doneId}"]`).click();
    await expect.poll(() => active(page)).toMatchObject({ tag: 'H1' });
    expect((await active(page)).text).toContain(doneId);
    expect(problems).toEqual([]);
  }, 30_000);
});
