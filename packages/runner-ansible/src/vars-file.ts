/**
 * The deploy's variables, for `--extra-vars @file`. Ansible treats values loaded from a file
 * as templates, so every user-supplied key and value is tagged `!unsafe` (as AWX does since
 * CVE-2018-1104): validation is the first wall, this is the second. The file is readable by
 * its owner only, in a private directory, and removed after the run. The directory's name
 * carries the worker's pid, so a directory a killed worker left behind can be told from a
 * live one's (several workers may share the temp directory) and removed.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface VarsFile {
  path: string;
  remove(): Promise<void>;
}

/** YAML double-quoted scalars accept JSON string escapes, so JSON.stringify quotes safely. */
const unsafe = (text: string) => `!unsafe ${JSON.stringify(text)}`;

export function mappingsYaml(mappings: Record<string, string>): string {
  const entries = Object.entries(mappings).map(([service, image]) => `  ${unsafe(service)}: ${unsafe(image)}`);
  return entries.length > 0 ? `mappings:\n${entries.join('\n')}\n` : 'mappings: {}\n';
}

/**
 * A deploy to a named environment also gets `deploy_environment` (not `environment`, which is
 * an Ansible play keyword and a reserved variable name).
 */
export function deployVarsYaml(deploy: { mappings: Record<string, string>; environment?: string }): string {
  return mappingsYaml(deploy.mappings) + (deploy.environment === undefined ? '' : `deploy_environment: ${unsafe(deploy.environment)}\n`);
}

export async function writeVarsFile(deploy: { mappings: Record<string, string>; environment?: string }, directory = tmpdir()): Promise<VarsFile> {
  const dir = await mkdtemp(path.join(directory, `docker-builder-vars-${process.pid}-`));
  const file = path.join(dir, 'vars.yml');
  try {
    await writeFile(file, deployVarsYaml(deploy), { mode: 0o600 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `docker-builder-vars-<owner pid>-<mkdtemp's six characters>` */
const VARS_DIR = /^docker-builder-vars-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Removes the vars directories in `directory` whose owner process is gone; returns their paths.
 * An owner's pid reused by another process keeps its directory: left, never wrongly removed.
 */
export async function removeStaleVarsDirs(directory = tmpdir()): Promise<string[]> {
  const stale = (await readdir(directory))
    .map((name) => ({ name, owner: Number(VARS_DIR.exec(name)?.[1]) }))
    .filter(({ owner }) => owner > 0 && !isAlive(owner))
    .map(({ name }) => path.join(directory, name));
  await Promise.all(stale.map((dir) => rm(dir, { recursive: true, force: true })));
  return stale;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
