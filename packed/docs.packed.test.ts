/**
 * The docs page from the installed packages, with nothing but 127.0.0.1 to reach: every asset
 * it names is inline (`data:`) or relative and served by the router itself, and a missing file
 * is a plain 404 in our JSON format (no 500, no stack trace in the host's log, no package.json
 * served).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isErrorBody, request } from './support/http.js';
import { HOST_WITH_OWN_JSON } from './support/host-programs.js';
import { startProgram, type RunningProgram } from './support/program.js';
import { freshProject } from './support/projects.js';

describe.each(['express5', 'express4'] as const)('the docs page in the %s project', (name) => {
  let running: RunningProgram;
  let api: string;

  beforeAll(async () => {
    const dir = freshProject(name);
    await writeFile(path.join(dir, 'host-docs.mjs'), HOST_WITH_OWN_JSON);
    running = await startProgram(dir, 'host-docs.mjs');
    api = `${running.url}/api`;
  });
  afterAll(async () => {
    await running?.stop();
  });

  test('is served with every asset it names, all from the router', async () => {
    const page = await fetch(`${api}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.filter((url) => !url.startsWith('data:')).length, 'the page loads scripts or styles of its own').toBeGreaterThan(0);
    for (const asset of assets.filter((url) => !url.startsWith('data:'))) {
      expect(asset, 'a relative URL: no CDN, no other host').not.toMatch(/^([a-z][a-z0-9+.-]*:|\/\/)/i);
      const answer = await fetch(new URL(asset, `${api}/docs`));
      expect(answer.status, asset).toBe(200);
      // Nor may a script or a style sheet load anything from elsewhere.
      expect(await answer.text(), asset).not.toMatch(/(\bimport\s*\(?|\bfetch\s*\(|\burl\s*\(|\bsrc\s*=)\s*['"]?(https?:)?\/\/[a-z0-9]/i);
    }
    expect((await request(`${api}/openapi.json`)).body.openapi).toMatch(/^3\./);
  });

  test('answers 404 in JSON for a file it does not have, and logs nothing', async () => {
    for (const missing of ['missing.js', 'package.json', 'no/such/dir/file.css']) {
      const answer = await request(`${api}/docs/${missing}`);
      expect(answer.status, missing).toBe(404);
      expect(isErrorBody(answer.body, 'NOT_FOUND'), `${missing}: ${JSON.stringify(answer.body)}`).toBe(true);
    }
    expect(running.stderr()).toBe('');
  });
});
