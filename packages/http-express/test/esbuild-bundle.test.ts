/**
 * A host app bundled with esbuild, as many services ship: the router must start from the bundle
 * (nothing it runs at start may need import.meta or files beside it) and serve its routes and
 * docs. Bundles the built packages (`pnpm build` first; the test command runs it), runs the
 * bundle from a directory with no node_modules, and asks it over HTTP.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Format } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(path.join(tmpdir(), 'bundled-host-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const HOST_APP = `
import express from 'express';
import { createBuilder } from '@docker-builder/core';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter } from '@docker-builder/http-express';

const builder = createBuilder({ store: createMemoryJobStore() });
const app = express();
app.use(express.json());
app.use('/api', createBuilderRouter(builder));
const server = app.listen(0, '127.0.0.1', async () => {
  const base = 'http://127.0.0.1:' + server.address().port + '/api';
  const status = async (path, init) => (await fetch(base + path, init)).status;
  const results = {
    list: await status('/builds'),
    unknownJob: await status('/build/0190a000-0000-7000-8000-000000000000'),
    refused: await status('/deploy-services', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"mappings":{}}' }),
    docs: await status('/docs'),
    docsScript: await status('/docs/docs.js'),
    openapi: (await (await fetch(base + '/openapi.json')).json()).openapi,
  };
  console.log(JSON.stringify(results));
  server.close();
  await builder.close();
});
`;

async function bundle(format: Format): Promise<string> {
  const outfile = path.join(out, format === 'esm' ? 'host.mjs' : 'host.cjs');
  const result = await build({
    stdin: { contents: HOST_APP, resolveDir: here, sourcefile: 'host.js', loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    outfile,
    logLevel: 'silent',
    // What ESM bundles of CommonJS dependencies (Express) need for their require() of Node's modules.
    ...(format === 'esm' ? { banner: { js: "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);" } } : {}),
  });
  const warnings = result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`);
  expect(warnings.filter((w) => /import\.meta|http-express|docker-builder/.test(w))).toEqual([]);
  return outfile;
}

describe('a host app bundled with esbuild', () => {
  for (const format of ['cjs', 'esm'] as const) {
    it(`starts the router from a ${format} bundle, with no node_modules beside it, and serves the API and its docs`, async () => {
      const file = await bundle(format);
      const output = execFileSync(process.execPath, [file], { cwd: out, encoding: 'utf8', timeout: 30_000 });
      expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
        list: 200,
        unknownJob: 404,
        refused: 400,
        docs: 200,
        docsScript: 200,
        openapi: '3.1.0',
      });
    });
  }
});
