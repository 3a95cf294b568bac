/**
 * What `npm install` put on the stranger's disk: our packages from our tarballs only, no
 * telemetry, no install script we have not read, and every library loadable from CommonJS
 * and from ESM with the same exports, on the Node versions its `engines` admits.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { lockedPackages, packageNameOf } from './support/fresh-project.js';
import { freshProject, libraryPackages } from './support/projects.js';
import { run } from './support/run.js';
import { readJson } from './support/workspace.js';

/** Packages known to report installs or usage over the network from an install script. */
const TELEMETRY = ['@scarf/scarf', 'scarf', 'core-js-pure-telemetry', 'opencollective-postinstall', 'husky-telemetry'];

/**
 * The install scripts we have read, in our dependencies' trees, and what they do: all local.
 * A new one fails this test until someone reads it and adds it here.
 */
const REVIEWED_INSTALL_SCRIPTS: Record<string, string> = {
  ssh2: "dockerode → docker-modem: `node install.js` builds ssh2's optional crypto binding with node-gyp, or skips it",
  'cpu-features': 'ssh2 (optional): `node-gyp rebuild` of a CPU feature probe; a failed build is ignored',
  'msgpackr-extract': "bullmq → msgpackr (optional): picks the prebuilt binary of the platform's npm package",
  protobufjs: "dockerode → @grpc: `node scripts/postinstall` compares its dependents' version ranges, prints a warning at most",
};

describe.each(['express5', 'express4'] as const)('the %s project', (name) => {
  test('holds no telemetry package and no swagger-ui-dist', () => {
    const names = [...lockedPackages(freshProject(name)).keys()].map(packageNameOf);
    expect(names.filter((n) => TELEMETRY.includes(n))).toEqual([]);
    expect(names).not.toContain('swagger-ui-dist');
  });

  test('holds one copy of each of our packages, from our tarballs and not from the registry', () => {
    const ours = [...lockedPackages(freshProject(name)).entries()].filter(([key]) => packageNameOf(key).startsWith('@docker-builder/'));
    expect(ours.length).toBeGreaterThan(0);
    for (const [key, entry] of ours) {
      expect(key, 'installed at the top, not nested under another package').toBe(`node_modules/${packageNameOf(key)}`);
      expect(entry.resolved, key).toMatch(/^file:.*\.tgz$/);
    }
  });

  test('runs no install script of ours, and none we have not read', () => {
    const withScripts = [...lockedPackages(freshProject(name)).entries()].filter(([, entry]) => entry.hasInstallScript).map(([key]) => packageNameOf(key));
    console.warn(`${name}: packages with install scripts: ${withScripts.join(', ') || 'none'}`);
    expect(withScripts.filter((n) => n.startsWith('@docker-builder/'))).toEqual([]);
    expect(withScripts.filter((n) => !(n in REVIEWED_INSTALL_SCRIPTS))).toEqual([]);
  });
});

describe('every library package, in the express5 project', () => {
  test.each(libraryPackages().map((pkg) => [pkg.name] as const))('%s loads with require() and import(), with the same exports', async (pkgName) => {
    const dir = freshProject('express5');
    const script = `const cjs = Object.keys(require(${JSON.stringify(pkgName)})).sort();
import(${JSON.stringify(pkgName)}).then((esm) => {
  const names = Object.keys(esm).filter((key) => key !== 'default' && key !== 'module.exports').sort();
  process.stdout.write(JSON.stringify({ cjs, esm: names }));
});`;
    const { stdout, stderr, code } = await run(process.execPath, ['-e', script], { cwd: dir });
    expect(code, stderr).toBe(0);
    const { cjs, esm } = JSON.parse(stdout) as { cjs: string[]; esm: string[] };
    expect(cjs.length).toBeGreaterThan(0);
    expect(cjs).toEqual(esm);
  });

  test.each(libraryPackages().map((pkg) => [pkg.name] as const))("%s's engines admit no Node on which its CommonJS build fails to load", async (pkgName) => {
    const dir = freshProject('express5');
    // Node before 20.19 (and 22.12) cannot require() an ES module: --no-experimental-require-module
    // makes this Node 20.20 behave so.
    const old = await run(process.execPath, ['--no-experimental-require-module', '-e', `require(${JSON.stringify(pkgName)})`], { cwd: dir });
    const range = (readJson(path.join(dir, 'node_modules', pkgName, 'package.json')) as { engines?: { node?: string } }).engines?.node ?? '*';
    const admitsOldNode = ['20.0.0', '20.18.3', '22.11.0'].filter((version) => semver().satisfies(version, range));
    if (old.code !== 0) {
      expect(old.stderr).toMatch(/ERR_REQUIRE_ESM|require\(\) of ES Module/);
      expect(admitsOldNode, `engines.node "${range}" admits Node versions without require(esm), on which \`require('${pkgName}')\` fails`).toEqual([]);
    }
  });
});

/** npm's own semver (every npm ships it), so the test adds no package to the workspace. */
function semver(): { satisfies(version: string, range: string): boolean } {
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  return createRequire(path.join(npmRoot, 'npm', 'package.json'))('semver');
}
