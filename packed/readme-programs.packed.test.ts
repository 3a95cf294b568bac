/**
 * The README's "Embed it in an Express service" program, run from the installed tarballs and
 * driven with the README's own curl session, whose printed answers must be what it answers.
 *
 * The snippet is TypeScript, which Node cannot run as is; the closest faithful program is the
 * one a TypeScript user's build makes of it: compiled by tsc (from npm, in the fresh project)
 * as `.mts` (an ES module) and as `.cts` (CommonJS: every import becomes a require()). The
 * program listens on 8000 as written; a preload moves that to a free port.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { request, waitForEnd } from './support/http.js';
import { startProgram, type RunningProgram } from './support/program.js';
import { freshProject } from './support/projects.js';
import { codeBlocks, curlSession, readmeSection, readmeText, type CurlStep } from './support/readme.js';
import { runOk } from './support/run.js';

const SECTION = 'Embed it in an Express service';
const blocks = codeBlocks(readmeSection(SECTION));
const program = blocks.find((block) => block.lang === 'ts' && block.code.includes('createBuilderRouter') && block.code.includes('.listen('));
const session = blocks.find((block) => block.lang === 'console');

describe(`README.md's "${SECTION}"`, () => {
  test('the README has an npm install command for every package its program imports', () => {
    const imported = [...(program?.code ?? '').matchAll(/from '([^'.][^']*)'/g)].map((match) => match[1]!).filter((specifier) => !specifier.startsWith('node:'));
    const installCommands = codeBlocks(readmeText()).filter((block) => ['bash', 'sh', 'console'].includes(block.lang)).flatMap((block) => block.code.split('\n').filter((line) => /^(\$ )?npm (install|i) /.test(line)));
    const installed = installCommands.flatMap((line) => line.replace(/^\$ /, '').split(/\s+/).slice(2)).map((spec) => spec.replace(/(.)@[^/]*$/, '$1'));
    expect(imported.length).toBeGreaterThan(0);
    expect(installed, `the README's npm install commands (${installCommands.join(' / ') || 'none'})`).toEqual(expect.arrayContaining(imported));
  });

  test("tells hosts what their own express.json() in front of the router changes", () => {
    expect(readmeSection(SECTION)).toMatch(/express\.json\(\)/);
  });
});

describe.each(['express5', 'express4'] as const)('the README program in the %s project', (name) => {
  let dir: string;

  beforeAll(async () => {
    if (!program || !session) throw new Error(`README.md's "${SECTION}" lost its TypeScript program or its console session.`);
    dir = path.join(freshProject(name), 'readme-program');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'readme-embed.mts'), program.code);
    await writeFile(path.join(dir, 'readme-embed.cts'), program.code);
    const tsconfig = {
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noCheck: true, outDir: 'out', types: ['node'] },
      files: ['readme-embed.mts', 'readme-embed.cts'],
    };
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    // Type errors are typescript.packed.test.ts's to report; here only the emitted program matters.
    await runOk(process.execPath, [path.join(dir, '../node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: dir });
  });

  describe.each([
    ['as an ES module', 'out/readme-embed.mjs'],
    ['as CommonJS', 'out/readme-embed.cjs'],
  ])('%s', (_label, file) => {
    let running: RunningProgram;

    beforeAll(async () => {
      expect(existsSync(path.join(dir, file)), `tsc emitted ${file}`).toBe(true);
      running = await startProgram(dir, file, { movePort: 8000 });
    });
    afterAll(async () => {
      await running?.stop();
    });

    test("answers the README's curl session as the README shows", async () => {
      const steps = curlSession(session!.code);
      expect(steps.length).toBeGreaterThanOrEqual(2);
      const ids = new Map<string, string>();
      for (const step of steps) {
        const answer = await replay(running.url, step, ids);
        const shown = parseShown(step);
        if (shown === undefined) continue;
        expect(normalise(answer.body, shown, ids), `${step.method} ${step.path}`).toEqual(shown);
      }
      expect(running.stderr()).toBe('');
    });
  });
});

/** Sends one step of the session, with the README's job ids swapped for the ones this run made. */
async function replay(base: string, step: CurlStep, ids: Map<string, string>) {
  let urlPath = step.path;
  for (const [shown, actual] of ids) urlPath = urlPath.replaceAll(shown, actual);
  if (step.method === 'GET' && /\/build\/[^/]+$/.test(urlPath)) await waitForEnd(base + urlPath, step.headers);
  const answer = await request(base + urlPath, { method: step.method, headers: step.headers, body: step.body });
  const shown = parseShown(step) as { id?: string } | undefined;
  if (step.method === 'POST' && typeof shown?.id === 'string' && typeof answer.body?.id === 'string') ids.set(shown.id, answer.body.id);
  return answer;
}

function parseShown(step: CurlStep): unknown {
  return /^[[{]/.test(step.output) ? JSON.parse(step.output) : undefined;
}

/** The answer with this run's ids and timestamps replaced by the README's, where it shows them. */
function normalise(actual: unknown, shown: unknown, ids: Map<string, string>): unknown {
  if (typeof actual === 'string') {
    for (const [readmeId, actualId] of ids) if (actual === actualId) return readmeId;
    return actual;
  }
  if (Array.isArray(actual)) return actual.map((item, i) => normalise(item, Array.isArray(shown) ? shown[i] : undefined, ids));
  if (!actual || typeof actual !== 'object') return actual;
  const shownObject = (shown && typeof shown === 'object' ? shown : {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(actual).map(([key, value]) => {
      // `createdAt`, `finishedAt`…, and a log run's `at`.
      const isTime = (key === 'at' || key.endsWith('At')) && typeof value === 'string' && typeof shownObject[key] === 'string';
      return [key, isTime ? shownObject[key] : normalise(value, shownObject[key], ids)];
    }),
  );
}
