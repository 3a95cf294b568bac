/**
 * A fresh npm project outside the workspace, as a stranger starts one: `npm init -y`, then a
 * plain `npm install` of our tarballs and of third-party packages from the npm registry,
 * install scripts on. Nothing of the workspace (its node_modules, .npmrc, PATH) is visible.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runOk } from './run.js';
import { readJson } from './workspace.js';

export async function createFreshProject(label: string, specs: string[], parent = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(parent, `docker-builder-${label}-`));
  await runOk('npm', ['init', '-y'], { cwd: dir });
  await runOk('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], { cwd: dir });
  return dir;
}

export interface LockEntry {
  version?: string;
  resolved?: string;
  hasInstallScript?: boolean;
  optional?: boolean;
  dev?: boolean;
  link?: boolean;
}

/** package-lock.json's `packages`, keyed by install path (`node_modules/@scarf/scarf`). */
export function lockedPackages(dir: string): Map<string, LockEntry> {
  const lock = readJson(path.join(dir, 'package-lock.json')) as { packages: Record<string, LockEntry> };
  return new Map(Object.entries(lock.packages).filter(([key]) => key !== ''));
}

/** The package name of a lockfile key: `node_modules/a/node_modules/@b/c` → `@b/c`. */
export function packageNameOf(installPath: string): string {
  return installPath.slice(installPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
}
