/** The workspace as the packed tests see it: its root, its publishable packages, its pnpm. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkspacePackage {
  name: string;
  /** The directory name under packages/: core, http-express… */
  short: string;
  dir: string;
}

/** Every package under packages/ that is not private: what `changeset publish` would publish. */
export function publishablePackages(): WorkspacePackage[] {
  const root = path.join(WORKSPACE, 'packages');
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = path.join(root, entry.name);
      const manifest = readJson(path.join(dir, 'package.json')) as { name: string; private?: boolean };
      return { name: manifest.name, short: entry.name, dir, private: manifest.private === true };
    })
    .filter((pkg) => !pkg.private)
    .map(({ name, short, dir }) => ({ name, short, dir }));
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** A devDependency's version as the workspace pins it, so a fresh project uses the same. */
export function workspaceDevVersion(name: string): string {
  const manifest = readJson(path.join(WORKSPACE, 'package.json')) as { devDependencies: Record<string, string> };
  const version = manifest.devDependencies[name];
  if (!version) throw new Error(`The workspace's package.json has no devDependency "${name}".`);
  return version;
}

/**
 * How to run pnpm: the one running this process when it was started by pnpm, otherwise the
 * version the workspace's `packageManager` names, through npx (CI has no global pnpm).
 */
export function pnpmCommand(): { command: string; args: string[] } {
  const execPath = process.env.npm_execpath;
  if (execPath && process.env.npm_config_user_agent?.startsWith('pnpm/')) return { command: process.execPath, args: [execPath] };
  const manifest = readJson(path.join(WORKSPACE, 'package.json')) as { packageManager: string };
  return { command: 'npx', args: ['-y', manifest.packageManager.split('+')[0]!] };
}
