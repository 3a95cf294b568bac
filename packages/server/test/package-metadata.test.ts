/**
 * Every publishable package, packed as `pnpm publish` packs it, is fit for a stranger's
 * `npm install`: licensed, documented, findable, true about the Node it needs, complete, free of
 * the workspace's source condition, and (the UI) without public source maps. The release flow
 * (changesets) is wired in the root package.json. Needs `pnpm build` first (the test command
 * runs it); the stranger's test installs the tarballs and runs them.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS, noPublicSourceMaps, type PackageFacts } from './package-checks.js';
import { packAll, publishablePackages, readJson, requireNeedsEsm, ROOT, workspacePackages, type PackedPackage } from './workspace-packages.js';

const packages = publishablePackages();
const engineOf = new Map(workspacePackages().map(({ manifest }) => [manifest.name, (manifest.engines as { node?: string } | undefined)?.node]));
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);

let destination: string;
let packed: Map<string, PackedPackage>;

beforeAll(() => {
  destination = mkdtempSync(path.join(tmpdir(), 'docker-builder-packs-'));
  packed = packAll(packages, destination);
}, 120_000);

afterAll(() => rmSync(destination, { recursive: true, force: true }));

function factsOf({ dir, manifest }: (typeof packages)[number]): PackageFacts {
  const home = path.join(ROOT, 'packages', dir);
  const cjs = path.join(home, 'dist', 'index.cjs');
  const dependencies = Object.keys((manifest.dependencies as Record<string, string> | undefined) ?? {}).filter((name) => engineOf.has(name));
  return {
    dir,
    manifest,
    readme: read(path.join(home, 'README.md')),
    license: read(path.join(home, 'LICENSE')),
    rootLicense: read(path.join(ROOT, 'LICENSE')) ?? '',
    packed: packed.get(manifest.name)!,
    requireNeedsEsm: JSON.stringify(manifest.exports ?? {}).includes('"require"') ? requireNeedsEsm(cjs) : null,
    dependencyEngines: Object.fromEntries(dependencies.map((name) => [name, engineOf.get(name)])),
  };
}

describe('the publishable packages', () => {
  it('are every library and the server', () => {
    expect(packages.map((pkg) => pkg.dir).sort()).toEqual(
      ['auth', 'core', 'http-express', 'metrics', 'runner-ansible', 'runner-docker', 'server', 'store-memory', 'store-redis', 'ui'].sort(),
    );
    expect([...packed.keys()].sort()).toEqual(packages.map((pkg) => pkg.manifest.name).sort());
  });

  it.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('%s is fit to publish', (_name, pkg) => {
    const facts = factsOf(pkg);
    expect(CHECKS.flatMap((check) => check(facts))).toEqual([]);
  });

  it.each(packages.map((pkg) => [pkg.manifest.name] as const))('%s passes publint as packed', async (name) => {
    const tarball = readFileSync(packed.get(name)!.tarball);
    const { messages, pkg } = await publint({ pack: { tarball: new Uint8Array(tarball).buffer }, level: 'warning' });
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`)).toEqual([]);
  });

  it('the UI ships no source map for express.static to publish', () => {
    const ui = packed.get('@docker-builder/ui')!;
    expect(ui.files.some((file) => file.startsWith('dist/app/assets/') && file.endsWith('.js'))).toBe(true);
    expect(noPublicSourceMaps(ui, (file) => readFileSync(path.join(ui.root, file), 'utf8'))).toEqual([]);
  });
});

describe('the release flow', () => {
  const root = readJson<{ scripts: Record<string, string> }>(path.join(ROOT, 'package.json'));

  it('versions with changesets and publishes with a dry run that needs no credentials', () => {
    expect(root.scripts).toMatchObject({
      changeset: 'changeset',
      'version-packages': 'changeset version',
      release: 'pnpm build && changeset publish',
      'release:dry-run': 'pnpm -r publish --dry-run --no-git-checks',
    });
  });

  it('leaves the private examples out of versioning', () => {
    const config = readJson<{ access: string; baseBranch: string; ignore: string[] }>(path.join(ROOT, '.changeset', 'config.json'));
    const examplesDir = path.join(ROOT, 'examples');
    const examples = readdirSync(examplesDir)
      .filter((dir) => existsSync(path.join(examplesDir, dir, 'package.json')))
      .map((dir) => readJson(path.join(examplesDir, dir, 'package.json')));
    expect(examples.every((example) => example.private === true)).toBe(true);
    expect(config).toMatchObject({ access: 'public', baseBranch: 'main' });
    expect([...config.ignore].sort()).toEqual(examples.map((example) => example.name).sort());
  });
});
