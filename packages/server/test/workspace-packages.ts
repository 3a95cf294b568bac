/**
 * The workspace's publishable packages as the registry would receive them: packed by pnpm (which
 * applies `publishConfig`, as `pnpm publish` and `changeset publish` do) and unpacked. Lifecycle
 * scripts are skipped, so the tarballs hold the dist/ that `pnpm build` left (the test command
 * builds first) and packing never rebuilds under the feet of tests running beside it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  [field: string]: unknown;
}

export interface WorkspacePackage {
  /** Its directory under packages/. */
  dir: string;
  manifest: Manifest;
}

export interface PackedPackage {
  /** The package.json inside the tarball. */
  manifest: Manifest;
  /** Every file in the tarball, relative to its package/ directory. */
  files: string[];
  /** Where the tarball was unpacked (its package/ directory). */
  root: string;
  tarball: string;
}

interface PackResult {
  name: string;
  filename: string;
}

export const readJson = <T = Manifest>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

export function workspacePackages(): WorkspacePackage[] {
  const base = path.join(ROOT, 'packages');
  return readdirSync(base)
    .filter((dir) => existsSync(path.join(base, dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readJson(path.join(base, dir, 'package.json')) }));
}

export const publishablePackages = (): WorkspacePackage[] => workspacePackages().filter((pkg) => !pkg.manifest.private);

/** Packs the packages into `destination` in one pnpm run and unpacks each beside its tarball. */
export function packAll(packages: WorkspacePackage[], destination: string): Map<string, PackedPackage> {
  // The pnpm the repository pins, as CI runs it (it need not be installed globally).
  const { packageManager } = readJson<{ packageManager: string }>(path.join(ROOT, 'package.json'));
  const filters = packages.flatMap((pkg) => ['--filter', pkg.manifest.name]);
  const args = ['-y', packageManager, '-r', ...filters, 'pack', '--config.ignore-scripts=true', '--pack-destination', destination, '--json'];
  const output = execFileSync('npx', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const parsed = JSON.parse(output) as PackResult | PackResult[];
  const results = Array.isArray(parsed) ? parsed : [parsed];
  const packed = new Map<string, PackedPackage>();
  for (const { name, filename } of results) {
    const into = path.join(destination, path.basename(filename, '.tgz'));
    mkdirSync(into);
    execFileSync('tar', ['-xzf', filename, '-C', into]);
    const root = path.join(into, 'package');
    packed.set(name, { manifest: readJson(path.join(root, 'package.json')), files: listFiles(root), root, tarball: filename });
  }
  return packed;
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? listFiles(full, `${prefix}${entry}/`) : [`${prefix}${entry}`];
  });
}

/**
 * Whether `require` of this CommonJS file needs Node to load ES modules with require (on by
 * default from 20.19 and 22.12): it is tried with that turned off, as an older Node runs it.
 */
export function requireNeedsEsm(file: string): boolean {
  const flags = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];
  const run = spawnSync(process.execPath, [...flags, '-e', `require(${JSON.stringify(file)})`], { encoding: 'utf8', timeout: 30_000 });
  if (run.status === 0) return false;
  if (run.stderr.includes('ERR_REQUIRE_ESM')) return true;
  throw new Error(`require(${file}) failed for another reason than an ES module (is it built? pnpm build):\n${run.stderr}`);
}
