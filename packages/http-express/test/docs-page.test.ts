/**
 * `<mount>/docs`: the built-in page (our own few kilobytes, nothing from elsewhere), or Swagger
 * UI from a directory the host names, and nothing else under /docs/. docs-browser.test.ts looks
 * at the page in Chromium; express4.test.ts runs this file on Express 4 too.
 */
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const swaggerUiDir = (createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();

async function startRecording(router: Parameters<typeof startHarness>[0] extends infer O ? (O extends { router?: infer R } ? R : never) : never = {}) {
  const unexpected: unknown[] = [];
  harness = await startHarness({ router: { ...router, onError: (error) => unexpected.push(error) } });
  return { url: harness.url, unexpected };
}

describe('the built-in docs page', () => {
  it('is a small page of its own, with its script and style from the router and nothing from elsewhere', async () => {
    const { url } = await startRecording();
    const page = await fetch(`${url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.sort()).toEqual(['data:,', 'docs/docs.css', 'docs/docs.js', 'openapi.json', 'openapi.json'].sort());
    expect(html).not.toMatch(/<script>|<style>|https?:\/\//);

    let total = html.length;
    for (const [asset, type] of [['docs/docs.js', 'text/javascript'], ['docs/docs.css', 'text/css']] as const) {
      const response = await fetch(new URL(asset, `${url}/docs`));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(new RegExp(`^(${type}|application/javascript)`));
      const text = await response.text();
      expect(text, `${asset} loads nothing from another address`).not.toMatch(/https?:\/\//);
      total += text.length;
    }
    // The README says: under 25 KB in all.
    expect(total).toBeLessThan(25 * 1024);
  });

  it('serves a script the browser can parse', async () => {
    const { url } = await startRecording();
    const script = await (await fetch(`${url}/docs/docs.js`)).text();
    expect(() => new Script(script, { filename: 'docs.js' })).not.toThrow();
  });

  it('answers a missing file under /docs/ with a JSON 404, and reports nothing as an error', async () => {
    const { url, unexpected } = await startRecording();
    for (const missing of ['docs/nope.js', 'docs/swagger-ui.css', 'docs/package.json', 'docs/..%2Fopenapi.json', 'docs/docs.js/x']) {
      const response = await fetch(`${url}/${missing}`);
      expect(response.status, missing).toBe(404);
      expect(((await response.json()) as any).error.code, missing).toBe('NOT_FOUND');
    }
    expect(unexpected).toEqual([]);
  });

  it('escapes the title', async () => {
    const { url } = await startRecording({ title: '<script>alert(1)</script>' });
    const html = await (await fetch(`${url}/docs`)).text();
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('serves neither the document nor the page with docs: false', async () => {
    const { url } = await startRecording({ docs: false });
    expect((await fetch(`${url}/docs`)).status).toBe(404);
    expect((await fetch(`${url}/openapi.json`)).status).toBe(404);
  });
});

describe('Swagger UI from the host\'s swagger-ui-dist', () => {
  it('serves Swagger UI\'s page and the two files it needs, and nothing else from the directory', async () => {
    const { url, unexpected } = await startRecording({ docs: { swaggerUiDir } });
    const html = await (await fetch(`${url}/docs`)).text();
    expect(html).toContain('docs/swagger-ui-bundle.js');
    for (const asset of ['docs/swagger-ui-bundle.js', 'docs/swagger-ui.css', 'docs/swagger-init.js']) {
      expect((await fetch(new URL(asset, `${url}/docs`))).status, asset).toBe(200);
    }
    const init = await (await fetch(`${url}/docs/swagger-init.js`)).text();
    expect(init).toContain('validatorUrl: null');
    for (const missing of ['docs/package.json', 'docs/index.html', 'docs/swagger-ui.js', 'docs/swagger-ui-bundle.js.map', 'docs/docs.js']) {
      const response = await fetch(`${url}/${missing}`);
      expect(response.status, missing).toBe(404);
      expect(((await response.json()) as any).error.code).toBe('NOT_FOUND');
    }
    expect(unexpected).toEqual([]);
  });

  it('refuses, when the router is made, a directory that is not swagger-ui-dist', async () => {
    await expect(startHarness({ router: { docs: { swaggerUiDir: '/nonexistent' } } })).rejects.toThrow(
      "docs.swaggerUiDir (/nonexistent) has no swagger-ui.css: pass the directory of the swagger-ui-dist package, e.g. require('swagger-ui-dist').getAbsoluteFSPath()",
    );
  });
});
