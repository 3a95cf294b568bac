/**
 * The deploy's variables, for `--extra-vars @file`. Ansible treats values loaded from a file
 * as templates, so every user-supplied key and value is tagged `!unsafe` (as AWX does since
 * CVE-2018-1104): validation is the first wall, this is the second. The file is readable by
 * its owner only, in a private directory, and removed after the run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

export async function writeVarsFile(mappings: Record<string, string>, directory = tmpdir()): Promise<VarsFile> {
  const dir = await mkdtemp(path.join(directory, 'docker-builder-vars-'));
  const file = path.join(dir, 'vars.yml');
  await writeFile(file, mappingsYaml(mappings), { mode: 0o600 });
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}
