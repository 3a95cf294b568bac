/**
 * Each tarball as npm would publish it: what it holds, what its package.json promises, and
 * what publint and Are the Types Wrong say of it (no errors; their warnings are printed).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { describe, expect, test } from 'vitest';
import { tarballFiles } from './support/pack.js';
import { packedPackages } from './support/projects.js';
import { run } from './support/run.js';
import { readJson, WORKSPACE } from './support/workspace.js';

interface Manifest {
  name: string;
  license?: string;
  main?: string;
  module?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  files?: string[];
  engines?: { node?: string };
  scripts?: Record<string, string>;
  repository?: { url?: string; directory?: string };
  homepage?: string;
  bugs?: unknown;
  keywords?: string[];
}

interface Problem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

/** Every string an `exports` map can resolve to, with the conditions on its way. */
function exportTargets(value: unknown, conditions: string[] = []): { target: string; conditions: string[] }[] {
  if (typeof value === 'string') return [{ target: value, conditions }];
  if (Array.isArray(value)) return value.flatMap((item) => exportTargets(item, conditions));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => exportTargets(item, [...conditions, key]));
  return [];
}

describe.each(packedPackages().map((pkg) => [pkg.name, pkg] as const))('%s', (name, pkg) => {
  const manifest = readJson(path.join(pkg.unpacked, 'package.json')) as Manifest;
  const library = name !== '@docker-builder/server';

  test('ships its built code, its LICENSE and a README that opens with the install command', async () => {
    const files = await tarballFiles(pkg.tarball);
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    expect(files.filter((file) => /^dist\/.*\.(c|m)?js$/.test(file)).length, 'no built JavaScript in dist/: was the package built before it was packed?').toBeGreaterThan(0);
    const readme = existsSync(path.join(pkg.unpacked, 'README.md')) ? readFileSync(path.join(pkg.unpacked, 'README.md'), 'utf8') : '';
    const top = readme.split('\n').slice(0, 40).join('\n');
    expect(top, 'the first 40 lines of the README name the install command').toMatch(new RegExp(`npm (install|i) [^\\n]*${name.replace('/', '\\/')}`));
    expect(top, 'and show a first example').toMatch(/```(ts|js|typescript|javascript|bash|sh)\n/);
    expect(readFileSync(path.join(pkg.unpacked, 'LICENSE'), 'utf8')).toMatch(/MIT License/);
    expect(manifest.license).toBe('MIT');
  });

  test('builds itself before it is packed, so a pack of a clean checkout is never empty', () => {
    // pnpm pack leaves the lifecycle scripts out of the tarball: read the workspace's manifest.
    const { scripts } = readJson(path.join(pkg.dir, 'package.json')) as Manifest;
    expect(scripts?.prepack ?? scripts?.prepublishOnly ?? '').toMatch(/\bbuild\b/);
  });

  test('ships its CHANGELOG once there is one', async () => {
    if (existsSync(path.join(pkg.dir, 'CHANGELOG.md'))) expect(await tarballFiles(pkg.tarball)).toContain('CHANGELOG.md');
    else expect(manifest.files ?? []).toContain('CHANGELOG.md');
  });

  test('says where it comes from: repository, homepage, bugs, keywords, and which Node it needs', () => {
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.repository?.directory).toBe(`packages/${pkg.short}`);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs).toBeTruthy();
    expect(manifest.keywords?.length).toBeGreaterThan(0);
    expect(manifest.engines?.node).toBeTruthy();
  });

  test('points only at files it ships, and names no condition that resolves to unshipped sources', async () => {
    const files = new Set(await tarballFiles(pkg.tarball));
    const targets = exportTargets(manifest.exports);
    for (const { target, conditions } of targets) {
      expect(conditions, `exports ${conditions.join(' → ')} → ${target}`).not.toContain('@docker-builder/source');
      expect(files.has(path.posix.normalize(target)), `exports ${conditions.join(' → ')} → ${target} is in the tarball`).toBe(true);
    }
    for (const field of ['main', 'module', 'types'] as const) {
      const target = manifest[field];
      if (target) expect(files.has(path.posix.normalize(target)), `${field} → ${target} is in the tarball`).toBe(true);
    }
    for (const [command, target] of Object.entries(manifest.bin ?? {})) {
      expect(files.has(path.posix.normalize(target)), `bin ${command} → ${target} is in the tarball`).toBe(true);
    }
    if (library) expect(targets.length, 'a library names its entry points in exports').toBeGreaterThan(0);
  });

  test('publint finds no error', async () => {
    const tarball = readFileSync(pkg.tarball);
    const { messages, pkg: linted } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, level: 'suggestion' });
    const report = messages.map((message) => `${message.type}: ${formatMessage(message, linted, { color: false })}`);
    if (report.length > 0) console.warn(`publint, ${name}:\n${report.join('\n')}`);
    expect(report.filter((line) => line.startsWith('error'))).toEqual([]);
  });

  test('Are the Types Wrong finds no problem for node16 (from CJS and from ESM) and bundler', async () => {
    // The node16 profile: node10 resolution (TypeScript's `moduleResolution: node`) cannot read
    // `exports` at all, so a subpath such as `@docker-builder/core/testing` cannot resolve there.
    const { stdout, stderr, code } = await run(path.join(WORKSPACE, 'node_modules/.bin/attw'), [pkg.tarball, '--format', 'json', '--profile', 'node16'], { cwd: path.dirname(pkg.tarball) });
    let result: { analysis: { types: unknown }; problems?: Record<string, Problem[]> };
    try {
      result = JSON.parse(stdout) as typeof result;
    } catch {
      throw new Error(`attw did not answer in JSON (exit ${code}):\n${stdout}\n${stderr}`);
    }
    // The server is an application: no types, nothing to import.
    if (!library && result.analysis.types === false) return;
    expect(result.analysis.types, 'a library ships its type declarations').toBeTruthy();
    const problems = Object.values(result.problems ?? {}).flat();
    const label = (p: Problem) => `${p.kind} ${p.entrypoint ?? ''} (${p.resolutionKind ?? 'every resolution'})`;
    const node10 = problems.filter((p) => p.resolutionKind === 'node10');
    if (node10.length > 0) console.warn(`attw, ${name}, node10 only (outside the node16 profile): ${node10.map(label).join('; ')}`);
    expect(problems.filter((p) => p.resolutionKind !== 'node10').map(label)).toEqual([]);
    expect(code).toBe(0);
  });

  test.runIf(name === '@docker-builder/ui')('ships no source maps, which a host serving the UI would publish', async () => {
    const files = await tarballFiles(pkg.tarball);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    const appDir = path.join(pkg.unpacked, 'dist/app/assets');
    const scripts = existsSync(appDir) ? readdirSync(appDir).filter((file) => file.endsWith('.js')) : [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) expect(readFileSync(path.join(appDir, file), 'utf8'), file).not.toMatch(/sourceMappingURL=/);
  });
});
