/**
 * Each log line's time, as a person sees it: with "Times" on, the lines in the log's viewport
 * show when they were stored, in the reader's time zone (the exact time on hover), for a
 * finished and a running job; a job migrated from the seed service, whose lines have no time,
 * shows none. The choice is remembered. The store is Redis, migration the log doctor's own.
 */
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBuilder, createJobId, type Builder, type JobStore } from '@docker-builder/core';
import { createScriptedRunner, eventually, jobEnded } from '@docker-builder/core/testing';
import { createRedisJobStore, runLogDoctor } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { artifacts, inView, launchChromium, serveUi } from './ui-harness.js';

/** Not this machine's zone (unless it is India's): "local" must be the browser's, not UTC. */
const TIME_ZONE = 'Asia/Kolkata';
const clock = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

let browser: Browser;
let builder: Builder;
let store: JobStore;
let ui: Awaited<ReturnType<typeof serveUi>>;
const redis = new Redis(inject('redisUrl'));
const prefix = uniquePrefix('ui-times');
const HOSTS = ['app-1', 'app-2', 'app-3'];
const task = (name: string, outcome: string) => ['', `TASK [${name}] `.padEnd(80, '*'), ...HOSTS.map((host) => `${outcome}: [${host}]`)];
/** A playbook's output, stored in two batches a second apart (what the screenshot shows). */
function playbook(image: string): [string[], string[]] {
  const first = [
    'PLAY [Deploy services] '.padEnd(80, '*'),
    ...task('Gathering Facts', 'ok'),
    ...task('Log in to the registry', 'ok'),
    ...task(`Pull ${image}`, 'changed'),
    ...task('Stop the old web container', 'changed'),
    '',
    'TASK [Start web] '.padEnd(80, '*'),
  ];
  const second = [
    ...HOSTS.map((host) => `changed: [${host}]`),
    ...task('Wait for web to answer /healthz', 'ok'),
    ...task('Prune old images', 'ok'),
    '',
    'PLAY RECAP '.padEnd(80, '*'),
    ...HOSTS.map((host) => `${host.padEnd(26)}: ok=7    changed=3    unreachable=0    failed=0    skipped=0`),
  ];
  return [first, second];
}
const gate = createScriptedRunner({
  kind: 'deploy',
  script: (spec) => {
    const [first, second] = playbook(spec.mappings.web!);
    // Two batches a second apart, so two times show; a running job waits after its first.
    if (spec.mappings.running) return [{ log: first }, { gate: 'never' }];
    return [{ log: first }, { sleep: 1_100 }, { log: second }];
  },
});
const [FIRST, SECOND] = playbook('registry.example.com/team/web:1.4.2').map((batch) => batch.length) as [number, number];

beforeAll(async () => {
  browser = await launchChromium();
  store = createRedisJobStore({ redis: inject('redisUrl'), prefix, pollIntervalMs: 200 });
  builder = createBuilder({ store, runners: { deploy: gate }, logs: { flushIntervalMs: 5 } });
  ui = await serveUi(builder);
}, 30_000);
afterAll(async () => {
  gate.open('never');
  await browser?.close();
  await builder?.close({ deadlineMs: 100 });
  await ui?.close();
  redis.disconnect();
});

async function openJob(id: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: TIME_ZONE });
  await page.addInitScript(() => (globalThis as any).sessionStorage.setItem('docker-builder-token', 'alice-token'));
  await page.goto(`${ui.base}/#/jobs/${id}`);
  return page;
}

/** The lines whose box lies inside the log's box, with the time each shows and its hover text. */
function linesInView(page: Page): Promise<Array<{ index: number; time: string; title: string | null }>> {
  return page.getByRole('log').evaluate((log) => {
    const pane = log.getBoundingClientRect();
    return [...log.querySelectorAll('.log-line')]
      .filter((line) => {
        const box = line.getBoundingClientRect();
        return box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1;
      })
      .map((line) => {
        const time = line.querySelector('.log-time');
        return { index: Number(line.getAttribute('data-index')), time: time?.textContent ?? '', title: time?.getAttribute('title') ?? null };
      });
  });
}

/** What each line must show: its run's time in TIME_ZONE, and the exact time on hover. */
async function expectedTimes(id: string) {
  const { lines, times } = await store.readLogs(id, { from: 0 });
  return lines.map((_, index) => {
    const at = times.filter((run) => run.from <= index).pop()!.at;
    return { time: clock.format(at), title: new Date(at).toISOString() };
  });
}

async function timesShown(page: Page, id: string, lineCount: number) {
  const log = page.getByRole('log');
  await expect.poll(() => log.getAttribute('data-filled'), { timeout: 10_000 }).toBe(String(lineCount));
  const expected = await expectedTimes(id);
  const seen = await eventually(async () => {
    const lines = await linesInView(page);
    return lines.length > 3 && lines.every((line) => line.time !== '') ? lines : undefined;
  }, 5_000, 'times on the lines in view');
  for (const line of seen) expect({ time: line.time, title: line.title }, `line ${line.index + 1}`).toEqual(expected[line.index]);
  // Inside the pane, not cut off at its left or right edge.
  const last = seen.at(-1)!.index;
  expect(await inView(page.locator(`.log-line[data-index="${last}"] .log-time`))).toBe(true);
  return seen;
}

describe('log times', () => {
  it('shows each line\'s time in view for a finished job once asked, and remembers the choice', async () => {
    const { id } = await builder.submitDeploy({ mappings: { web: 'registry.example.com/team/web:1.4.2' } }, { user: { sub: 'alice', name: 'Alice Martin' } });
    await jobEnded(builder, id);
    expect((await store.readLogs(id, { from: 0 })).times.map((run) => run.from)).toEqual([0, FIRST]);
    const page = await openJob(id);
    const times = page.getByRole('checkbox', { name: 'Times' });
    await expect.poll(() => page.locator('.log-line').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await times.isChecked()).toBe(false);
    expect(await page.locator('.log-time').count()).toBe(0);

    await times.check();
    // Checked in a new tab of the same browser profile, it would still be on: it is kept in localStorage.
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('docker-builder-log-times'))).toBe('on');
    const seen = await timesShown(page, id, FIRST + SECOND);
    // The pane follows the end: lines of both batches, a second apart, are in view.
    expect(seen.some((line) => line.index < FIRST) && seen.some((line) => line.index >= FIRST)).toBe(true);
    await page.screenshot({ path: `${artifacts}log-times.png` });

    await page.reload();
    await timesShown(page, id, FIRST + SECOND);
    // On a phone too: the times column leaves the text room, and stays in view.
    await page.setViewportSize({ width: 390, height: 844 });
    // The pane is below the job's facts there: as a person would, scroll the page to it.
    await page.getByRole('log').scrollIntoViewIfNeeded();
    await timesShown(page, id, FIRST + SECOND);
    await page.screenshot({ path: `${artifacts}log-times-390.png` });
    await page.close();
  }, 60_000);

  it('shows the times of a running job\'s lines as they come', async () => {
    const { id } = await builder.submitDeploy({ mappings: { web: 'registry.example.com/team/web:1.4.3', running: 'yes' } });
    await eventually(async () => (await builder.readLogs(id, { limit: 0 })).total === FIRST, 5_000, 'the first lines stored');
    const page = await openJob(id);
    await page.getByRole('checkbox', { name: 'Times' }).check();
    await timesShown(page, id, FIRST);
    expect((await builder.get(id)).state).toBe('running');
    await page.close();
  }, 60_000);

  it('shows no time for the lines of a job migrated from the seed service', async () => {
    const seedPrefix = uniquePrefix('ui-seed');
    const id = createJobId();
    const lines = Array.from({ length: 12 }, (_, i) => `Step ${i + 1}/12 : RUN make`);
    await redis.hset(`${seedPrefix}job:${id}`, 'id', id, 'state', 'done', 'logs', JSON.stringify(lines));
    await runLogDoctor({ redis, prefix, seedPrefix, migrateSeed: true });
    const page = await openJob(id);
    await page.getByRole('checkbox', { name: 'Times' }).check();
    await expect.poll(() => page.getByRole('log').getAttribute('data-filled'), { timeout: 10_000 }).toBe('12');
    const seen = await eventually(async () => {
      const inViewNow = await linesInView(page);
      return inViewNow.length === 12 ? inViewNow : undefined;
    }, 5_000, 'every line in view');
    expect(seen.map((line) => line.time)).toEqual(Array(12).fill(''));
    expect(await page.locator('.log-line time').count()).toBe(0);
    await page.close();
  }, 60_000);
});
