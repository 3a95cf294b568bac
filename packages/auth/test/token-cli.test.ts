/** docker-builder-token: prints a new token once, stores only its hash, lists and revokes. */
import { once } from 'node:events';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createTokenAuth } from '@docker-builder/auth';
import { runFromSource } from '../../../test-support/from-source.js';

const cli = new URL('../src/token-cli.ts', import.meta.url).pathname;

async function run(...args: string[]) {
  const child = runFromSource(cli, { args });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

it('creates a token, prints it once, stores only its hash, lists and revokes it', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'dbt-cli-')), 'tokens.json');
  const created = await run('create', '--file', file, '--sub', 'ci@example.com', '--role', 'write', '--description', 'GitHub Actions');
  expect(created.code).toBe(0);
  const token = created.stdout.trim();
  expect(token).toMatch(/^dbt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  expect(created.stderr).toContain('it is shown once');
  // The random part follows `dbt_<12 hex>_` and may hold underscores itself (base64url).
  expect(await readFile(file, 'utf8')).not.toContain(token.slice('dbt_'.length + 12 + 1));
  expect((await stat(file)).mode & 0o777).toBe(0o600);

  const auth = await createTokenAuth({ file, watch: false });
  expect(auth.authenticate(token)).toEqual({ sub: 'ci@example.com', role: 'write' });

  const id = token.slice('dbt_'.length, 'dbt_'.length + 12);
  const listed = await run('list', '--file', file);
  expect(listed.stdout).toMatch(new RegExp(`^${id}  write  ci@example\\.com  \\S+  GitHub Actions\\n$`));
  expect(listed.stdout).not.toContain(token);

  expect((await run('revoke', '--file', file, '--id', id)).code).toBe(0);
  await auth.reload();
  expect(auth.authenticate(token)).toBeNull();
  auth.close();
}, 30_000);

it('refuses an unknown role, naming the roles there are', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'dbt-cli-')), 'tokens.json');
  const refused = await run('create', '--file', file, '--sub', 'x', '--role', 'root');
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('--role must be one of read, write, admin');
}, 30_000);
