/** Where the playbook is: the configured path, else ./deploy/playbook.yml, else ./playbook.yml (as the seed looked). */
import { access } from 'node:fs/promises';
import path from 'node:path';

export const PLAYBOOK_CANDIDATES = ['deploy/playbook.yml', 'playbook.yml'];

export async function findPlaybook(options: { playbook?: string; cwd: string }): Promise<string | null> {
  const candidates = options.playbook ? [options.playbook] : PLAYBOOK_CANDIDATES;
  for (const candidate of candidates) {
    const resolved = path.resolve(options.cwd, candidate);
    if (await access(resolved).then(() => true, () => false)) return resolved;
  }
  return null;
}

export function missingPlaybookMessage(options: { playbook?: string; cwd: string }): string {
  return options.playbook
    ? `The deploy playbook ${path.resolve(options.cwd, options.playbook)} does not exist. Create it, or point PLAYBOOK at yours.`
    : `No deploy playbook: looked for ${PLAYBOOK_CANDIDATES.map((c) => `./${c}`).join(' and ')} in ${options.cwd}. Create one (packages/server/deploy/playbook.yml is a start), or set PLAYBOOK.`;
}
