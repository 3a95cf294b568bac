/**
 * A TypeScript user's build against the installed packages: the README's embed program and an
 * import of every library package, strict, with `skipLibCheck: false` (so our declarations and
 * everything they import are checked too: a missing @types package is TS7016 here), under
 * `moduleResolution: node16` from an ES module and from CommonJS, and under `bundler`.
 * TypeScript comes from npm, in the fresh project.
 */
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { freshProject } from './support/projects.js';
import { codeBlocks, readmeSection } from './support/readme.js';
import { run } from './support/run.js';

const program = codeBlocks(readmeSection('Embed it in an Express service')).find((block) => block.lang === 'ts' && block.code.includes('createBuilderRouter'));

const COMMON = { target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] };
const CONFIGS = {
  node16: { compilerOptions: { ...COMMON, module: 'node16', moduleResolution: 'node16' }, files: ['readme-embed.mts', 'readme-embed.cts', 'every-package.mts', 'every-package.cts'] },
  bundler: { compilerOptions: { ...COMMON, module: 'esnext', moduleResolution: 'bundler' }, files: ['readme-embed.ts', 'every-package.ts'] },
};

describe.each(['express5', 'express4'] as const)('TypeScript in the %s project', (name) => {
  let dir: string;

  beforeAll(async () => {
    if (!program) throw new Error('README.md\'s "Embed it in an Express service" lost its TypeScript program.');
    const project = freshProject(name);
    dir = path.join(project, 'typescript-check');
    await mkdir(dir, { recursive: true });
    const ours = readdirSync(path.join(project, 'node_modules/@docker-builder')).filter((pkg) => pkg !== 'server');
    const everyPackage = [
      ...ours.map((pkg) => `import * as ${camel(pkg)} from '@docker-builder/${pkg}';`),
      `export const packages = [${ours.map(camel).join(', ')}];`,
      '',
    ].join('\n');
    for (const extension of ['ts', 'mts', 'cts']) {
      await writeFile(path.join(dir, `readme-embed.${extension}`), program.code);
      await writeFile(path.join(dir, `every-package.${extension}`), everyPackage);
    }
    for (const [config, tsconfig] of Object.entries(CONFIGS)) await writeFile(path.join(dir, `tsconfig.${config}.json`), JSON.stringify(tsconfig, null, 2));
  });

  test.each(Object.keys(CONFIGS))('type-checks with moduleResolution %s', async (config) => {
    const { code, stdout, stderr } = await run(process.execPath, [path.join(dir, '../node_modules/typescript/bin/tsc'), '-p', `tsconfig.${config}.json`], { cwd: dir });
    expect(`${stdout}${stderr}`.trim()).toBe('');
    expect(code).toBe(0);
  });
});

function camel(name: string): string {
  return name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}
