/**
 * The log pane shows lines as soon as they have loaded, without a scroll: for a finished and a
 * running job, at laptop and phone sizes, on several loads. What is checked is what a person
 * sees, log lines inside the pane's box, not merely lines present in the DOM.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { createScriptedRunner, eventually, jobEnded } from '@docker-builder/core/testing';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { uiAssetsDir, uiConfig } from '@docker-builder/ui';

const artifacts = fileURLToPath(new URL('../../../.test-artifacts/', import.meta.url));
mkdirSync(artifacts, { recursive: true });

let browser: Browser;
let server: Server;
let base: string;
let builder: Builder;
const deploy = createScriptedRunner({
  kind: 'deploy',
  script: (spec) => {
    const lines = Number(Object.values(spec.mappings)[0]!.split(':').pop());
    const steps = [{ log: Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${lines}`) }];
    return spec.mappings.running ? [...steps, { gate: 'never' }] : steps;
  },
});

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  builder = createBuilder({ store: createMemoryJobStore(), runners: { deploy }, logs: { flushIntervalMs: 5 } });
  const app = express();
  app.use('/api', createBuilderRouter(builder));
  app.get('/ui-config.json', (_req, res) => void res.type('json').send(uiConfig({ api: '/api' })));
  app.use(express.static(uiAssetsDir()));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await builder?.close({ deadlineMs: 100 });
  server?.close();
});

/** Indexes of the log lines whose box lies inside the pane's box. */
async function linesInView(page: Page): Promise<number[]> {
  return page.getByRole('log').evaluate((log) => {
    const pane = log.getBoundingClientRect();
    return [...log.querySelectorAll('.log-line')]
      .filter((line) => {
        const box = line.getBoundingClientRect();
        return box.bottom > pane.top + 1 && box.top < pane.bottom - 1;
      })
      .map((line) => Number(line.getAttribute('data-index')));
  });
}

describe('the log pane', () => {
  const sizes = [
    { width: 1280, height: 900 },
    { width: 1024, height: 640 },
    { width: 390, height: 844 },
  ];

  it.each([
    ['a finished job', 'finished', 3_000],
    ['a running job', 'running', 400],
  ])('shows the end of %s in view at once, at every size, on every load', async (_what, service, count) => {
    const { id } = await builder.submitDeploy({ mappings: { [service]: `img:${count}` } });
    if (service === 'finished') await jobEnded(builder, id);
    else await eventually(async () => (await builder.readLogs(id)).total === count, 5_000, 'the lines to be stored');
    for (const viewport of sizes) {
      for (let load = 0; load < 3; load += 1) {
        const page = await browser.newPage({ viewport });
        await page.goto(`${base}/#/jobs/${id}`);
        const log = page.getByRole('log');
        await expect.poll(() => log.getAttribute('data-filled'), { timeout: 10_000 }).toBe(String(count));
        // No scroll here: what is in view right after loading is what a person sees.
        const visible = await eventually(async () => {
          const inView = await linesInView(page);
          return inView.includes(count - 1) ? inView : undefined;
        }, 3_000, `line ${count} in view at ${viewport.width}×${viewport.height}, load ${load + 1}`).catch(async (error: unknown) => {
          throw new Error(`${(error as Error).message}; in view: ${JSON.stringify(await linesInView(page))}`);
        });
        expect(visible.length).toBeGreaterThan(3);
        if (load === 0) await page.screenshot({ path: `${artifacts}log-${service}-${viewport.width}.png` });
        await page.close();
      }
    }
  }, 120_000);
});
