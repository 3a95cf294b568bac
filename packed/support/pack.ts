/**
 * Builds the workspace and packs every publishable package the way `changeset publish` would:
 * `pnpm pack` in the package's directory, so `workspace:^` becomes a version range, the
 * package's `prepack` runs and `publishConfig` applies. Each tarball is also unpacked, so the
 * tests can read what a user would find under node_modules.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { run, runOk } from './run.js';
import { pnpmCommand, publishablePackages, WORKSPACE, type WorkspacePackage } from './workspace.js';

export interface PackedPackage extends WorkspacePackage {
  tarball: string;
  /** The tarball's `package/` directory, unpacked. */
  unpacked: string;
}

/** Packs at once: each pack builds its package again (prepack), and the builds are CPU-bound. */
const PACKS_AT_ONCE = 3;

export async function buildAndPackAll(destination: string): Promise<PackedPackage[]> {
  const pnpm = pnpmCommand();
  await runOk(pnpm.command, [...pnpm.args, '-s', 'build'], { cwd: WORKSPACE });
  const queue = publishablePackages();
  const packed: PackedPackage[] = [];
  const worker = async () => {
    for (let pkg = queue.shift(); pkg; pkg = queue.shift()) packed.push(await pack(pkg, destination));
  };
  await Promise.all(Array.from({ length: PACKS_AT_ONCE }, worker));
  return packed.sort((a, b) => a.name.localeCompare(b.name));
}

async function pack(pkg: WorkspacePackage, destination: string): Promise<PackedPackage> {
  const pnpm = pnpmCommand();
  const dir = path.join(destination, pkg.short);
  await mkdir(dir, { recursive: true });
  await runOk(pnpm.command, [...pnpm.args, 'pack', '--pack-destination', dir], { cwd: pkg.dir });
  const tarballs = (await readdir(dir)).filter((file) => file.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`pnpm pack of ${pkg.name} left ${tarballs.length} tarballs in ${dir}: ${tarballs.join(', ')}`);
  const tarball = path.join(dir, tarballs[0]!);
  await runOk('tar', ['-xzf', tarball, '-C', dir], { cwd: dir });
  return { ...pkg, tarball, unpacked: path.join(dir, 'package') };
}

/** The files a tarball holds, relative to its package directory (`dist/index.js`). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { cwd: path.dirname(tarball) });
  return stdout
    .split('\n')
    .filter((line) => line && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
}
