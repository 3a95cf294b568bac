/**
 * What the UI's browser tests share: Debian's Chromium, a real server (the router on Express, the
 * built UI as static files, a builder with scripted runners) and checks of what a person sees:
 * an element inside the viewport, text that contrasts with what is really behind it.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createBuilder, type Builder, type BuilderOptions } from '@docker-builder/core';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter } from '@docker-builder/http-express';
import { uiAssetsDir, uiConfig } from '@docker-builder/ui';

export const artifacts = fileURLToPath(new URL('../../../.test-artifacts/', import.meta.url));
mkdirSync(artifacts, { recursive: true });

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Bearer tokens the server knows, and who they are; `viewer` may only read. */
export const USERS: Record<string, { sub: string; name: string }> = {
  'alice-token': { sub: 'alice', name: 'Alice Martin' },
  'bob-token': { sub: 'bob', name: 'Bob Chen' },
  'viewer-token': { sub: 'viewer', name: 'Vera Viewer' },
};

export async function serveUi(builder: Builder): Promise<{ base: string; close(): Promise<void> }> {
  const app = express();
  app.use(
    '/api',
    createBuilderRouter(builder, {
      auth: (req) => USERS[(req.get('authorization') ?? '').replace(/^Bearer /, '')] ?? null,
      canWrite: (user) => user?.sub !== 'viewer',
    }),
  );
  app.get('/ui-config.json', (_req, res) => void res.type('json').send(uiConfig({ api: '/api' })));
  app.use(express.static(uiAssetsDir()));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Chromium, a builder on the memory store with these runners, and the UI served over it: what the queue's tests share. */
export async function startUi(options: Pick<BuilderOptions, 'runners' | 'concurrency'>): Promise<{ browser: Browser; builder: Builder; base: string; close(): Promise<void> }> {
  const browser = await launchChromium();
  const builder = createBuilder({ store: createMemoryJobStore(), logs: { flushIntervalMs: 20 }, ...options });
  const served = await serveUi(builder);
  return {
    browser,
    builder,
    base: served.base,
    async close() {
      await browser.close();
      await builder.close({ deadlineMs: 100 });
      await served.close();
    },
  };
}

/** A job's row in the queue. */
export const queueRow = (page: Page, id: string) => page.locator(`tr[data-job="${id}"]`);
/** The count beside a state's box in the queue. */
export const stateCount = (page: Page, state: string) => page.locator('.chip', { has: page.getByRole('checkbox', { name: state }) }).locator('.chip-count');

/** A page signed in as `token`'s user, recording script errors and unexpected failed requests. */
export async function openAs(browser: Browser, token: string, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  await page.addInitScript((value) => (globalThis as any).sessionStorage.setItem('docker-builder-token', value), token);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused payload (400) is shown in the page on purpose.
    if (message.type() === 'error' && !/status of 400/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}

/** Whether the element's box lies inside the window's viewport and inside every scrolling box around it. */
export function inView(locator: Locator, timeout = 5_000): Promise<boolean> {
  return locator.evaluate((element) => {
    const window = globalThis as any;
    const getComputedStyle = window.getComputedStyle as (element: unknown) => { overflow: string; overflowX: string; overflowY: string };
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    if (box.top < 0 || box.left < 0 || box.bottom > window.innerHeight || box.right > window.innerWidth) return false;
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (!/(auto|scroll|hidden)/.test(style.overflow + style.overflowX + style.overflowY)) continue;
      const clip = parent.getBoundingClientRect();
      if (box.top < clip.top - 0.5 || box.bottom > clip.bottom + 0.5 || box.left < clip.left - 0.5 || box.right > clip.right + 0.5) return false;
    }
    return true;
  }, undefined, { timeout });
}

export interface ContrastProblem {
  text: string;
  element: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * Every piece of visible text on the page whose colour contrasts less than WCAG AA with what is
 * painted behind it (4.5:1, 3:1 for large text): the background is composed from the element's
 * ancestors, translucent layers included. Disabled controls are exempt, as WCAG says.
 */
export function contrastProblems(page: Page): Promise<ContrastProblem[]> {
  return page.evaluate(() => {
    // Runs in the page; this file compiles for Node, without the DOM's types.
    const { document, getComputedStyle, matchMedia, Node, HTMLInputElement, HTMLTextAreaElement, HTMLSelectElement } = globalThis as any;
    type Element = any;
    type Rgba = { r: number; g: number; b: number; a: number };
    const parse = (value: string): Rgba | null => {
      const match = /rgba?\(([^)]+)\)/.exec(value);
      if (!match) return null;
      const [r = 0, g = 0, b = 0, a = 1] = match[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const over = (top: Rgba, bottom: Rgba): Rgba => ({
      r: top.r * top.a + bottom.r * (1 - top.a),
      g: top.g * top.a + bottom.g * (1 - top.a),
      b: top.b * top.a + bottom.b * (1 - top.a),
      a: 1,
    });
    const luminance = ({ r, g, b }: Rgba) => {
      const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const backgroundOf = (element: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let node: Element | null = element; node; node = node.parentElement) {
        const color = parse(getComputedStyle(node).backgroundColor);
        if (color && color.a > 0) {
          layers.push(color);
          if (color.a >= 1) break;
        }
      }
      const canvas = matchMedia('(prefers-color-scheme: dark)').matches ? { r: 18, g: 18, b: 18, a: 1 } : { r: 255, g: 255, b: 255, a: 1 };
      return layers.reduceRight((below, layer) => over(layer, below), canvas);
    };
    const out: Array<{ text: string; element: string; ratio: number; color: string; background: string }> = [];
    for (const element of document.body.querySelectorAll('*') as Element[]) {
      const text = [...element.childNodes]
        .filter((node: Element) => node.nodeType === Node.TEXT_NODE)
        .map((node: Element) => node.textContent ?? '')
        .join('')
        .trim();
      const isField = element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement;
      const value: string = isField ? element.value : text;
      if (!value || (element instanceof HTMLInputElement && ['checkbox', 'radio'].includes(element.type))) continue;
      const style = getComputedStyle(element);
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || style.visibility !== 'visible' || element.closest(':disabled, [aria-hidden="true"]')) continue;
      const background = backgroundOf(element);
      const color = over(parse(style.color)!, background);
      const [light, dark] = [luminance(color), luminance(background)].sort((a, b) => b - a) as [number, number];
      const ratio = (light + 0.05) / (dark + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        out.push({
          text: value.slice(0, 40),
          element: `${element.tagName.toLowerCase()}${element.className ? `.${String(element.className).split(' ').join('.')}` : ''}`,
          ratio: Math.round(ratio * 100) / 100,
          color: style.color,
          background: `rgb(${Math.round(background.r)}, ${Math.round(background.g)}, ${Math.round(background.b)})`,
        });
      }
    }
    return out;
  });
}

/** The colour as [r, g, b] from a computed `rgb(…)` value. */
export function channels(color: string): [number, number, number] {
  const [r = 0, g = 0, b = 0] = (/rgba?\(([^)]+)\)/.exec(color)?.[1] ?? '').split(/[\s,/]+/).map(Number);
  return [r, g, b];
}
