/**
 * The TypeScript examples in the packages' READMEs (npm shows them on each package's page)
 * type-check against the built declarations, as a user's program in its own directory would:
 * ES modules, `node16` resolution, strict. Needs `pnpm build` first (the test command runs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishablePackages, ROOT } from './workspace-packages.js';

const examples = publishablePackages().flatMap(({ dir }) => {
  const readme = path.join(ROOT, 'packages', dir, 'README.md');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match, i) => ({ file: `${dir}-${i + 1}.ts`, code: match[1]! }));
});

const project = mkdtempSync(path.join(tmpdir(), 'docker-builder-readmes-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("the packages' README examples", () => {
  it('are there, one or more per package with an API', () => {
    expect(examples.map((example) => example.file.replace(/-\d+\.ts$/, '')).sort()).toEqual(
      ['auth', 'core', 'http-express', 'metrics', 'runner-ansible', 'runner-docker', 'store-memory', 'store-redis', 'ui'].sort(),
    );
  });

  it('type-check as a program of their own', () => {
    // The workspace's node_modules holds the packages (linked, resolved to dist/) and their peers.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
    mkdirSync(path.join(project, 'src'));
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    const compilerOptions = { target: 'ES2022', lib: ['ES2023'], module: 'Node16', moduleResolution: 'Node16', strict: true, noEmit: true, types: ['node'], skipLibCheck: true };
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
    // Each example is a module of its own (top-level await, names that repeat across examples).
    for (const { file, code } of examples) writeFileSync(path.join(project, 'src', file), `${code}\nexport {};\n`);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', cwd: project });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 120_000);
});
