/**
 * A host app bundled with esbuild, our packages inside the bundle (as serverless and
 * single-file deploys do): the README's program, bundled to CommonJS and to an ES module,
 * starts and answers, docs included.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isErrorBody, request } from './support/http.js';
import { startProgram, type RunningProgram } from './support/program.js';
import { freshProject } from './support/projects.js';
import { codeBlocks, readmeSection } from './support/readme.js';
import { runOk } from './support/run.js';
import { WORKSPACE } from './support/workspace.js';

const program = codeBlocks(readmeSection('Embed it in an Express service')).find((block) => block.lang === 'ts' && block.code.includes('createBuilderRouter'));

describe.each([
  ['cjs', 'bundle.cjs'],
  ['esm', 'bundle.mjs'],
])('the README program bundled by esbuild as %s, in the express5 project', (format, outfile) => {
  let running: RunningProgram;

  beforeAll(async () => {
    if (!program) throw new Error('README.md\'s "Embed it in an Express service" lost its TypeScript program.');
    const dir = path.join(freshProject('express5'), 'bundled');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'app.ts'), program.code);
    // esbuild is the workspace's: only the bundler's binary; what it bundles is the fresh project's.
    const banner = format === 'esm' ? ["--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"] : [];
    await runOk(path.join(WORKSPACE, 'node_modules/.bin/esbuild'), ['app.ts', '--bundle', '--platform=node', `--format=${format}`, '--target=node20', `--outfile=${outfile}`, '--log-level=error', ...banner], { cwd: dir });
    running = await startProgram(dir, outfile, { movePort: 8000 });
  });
  afterAll(async () => {
    await running?.stop();
  });

  test('starts and answers, docs included', async () => {
    const unauthorised = await request(`${running.url}/api/builds`);
    expect(unauthorised.status).toBe(401);
    expect(isErrorBody(unauthorised.body, 'UNAUTHORIZED')).toBe(true);
    expect((await request(`${running.url}/api/openapi.json`)).status).toBe(200);
    expect((await fetch(`${running.url}/api/docs`)).status).toBe(200);
    expect(running.stderr()).toBe('');
  });
});
