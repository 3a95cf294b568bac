/** The tokens file: hashed at rest, looked up by id, compared by hash, re-read on change and on demand. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@docker-builder/core/testing';
import { createTokenAuth, issueToken, readTokenFile, writeTokenFile, type TokenAuth } from '@docker-builder/auth';

const open: TokenAuth[] = [];
afterEach(() => {
  for (const auth of open.splice(0)) auth.close();
});

async function fileWith(...entries: Array<{ sub: string; role: 'read' | 'write' | 'admin' }>) {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'dbt-tokens-')), 'tokens.json');
  const issued = entries.map((entry) => ({ ...issueToken(), ...entry }));
  await writeTokenFile(file, issued.map(({ id, sha256, sub, role }) => ({ id, sha256, sub, role })));
  return { file, tokens: issued.map((entry) => entry.token) };
}

/** The random part: after `dbt_<12 hex>_`, and it may hold underscores itself (base64url). */
const secretOf = (token: string) => token.slice('dbt_'.length + 12 + 1);

describe('the tokens file', () => {
  it('knows a token by its hash alone, and answers its user and role', async () => {
    const { file, tokens } = await fileWith({ sub: 'ci@example.com', role: 'write' }, { sub: 'ops', role: 'admin' });
    const text = await readFile(file, 'utf8');
    for (const token of tokens) expect(text).not.toContain(secretOf(token));
    const auth = await createTokenAuth({ file, watch: false });
    open.push(auth);
    expect(auth.authenticate(tokens[0]!)).toEqual({ sub: 'ci@example.com', role: 'write' });
    expect(auth.authenticate(tokens[1]!)).toEqual({ sub: 'ops', role: 'admin' });
  });

  it('refuses a token with a known id but another secret, a malformed one, and an unknown one', async () => {
    const { file, tokens } = await fileWith({ sub: 'ci', role: 'write' });
    const auth = await createTokenAuth({ file, watch: false });
    open.push(auth);
    const id = tokens[0]!.slice(4, 16);
    const secret = secretOf(tokens[0]!);
    const flipped = `dbt_${id}_${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const wrong of [flipped, `dbt_${id}_short`, issueToken().token, '', 'dbt_', tokens[0]!.toUpperCase()]) {
      expect(auth.authenticate(wrong)).toBeNull();
    }
  });

  it('picks up a changed file without a restart, and keeps the old tokens when the new file is broken', async () => {
    const { file, tokens } = await fileWith({ sub: 'first', role: 'read' });
    const reloads: unknown[] = [];
    const auth = await createTokenAuth({ file, onReload: (result) => reloads.push(result) });
    open.push(auth);
    const added = issueToken();
    const entries = await readTokenFile(file);
    await writeTokenFile(file, [...entries, { id: added.id, sha256: added.sha256, sub: 'second', role: 'write' }]);
    await eventually(() => auth.authenticate(added.token) !== null, 5_000, 'the new token to be accepted');

    await writeFile(file, '{"tokens": [ {"id": oops');
    await auth.reload();
    expect(reloads.at(-1)).toEqual({ error: expect.stringContaining('is not valid JSON') });
    expect(auth.authenticate(tokens[0]!)).toEqual({ sub: 'first', role: 'read' });
    expect(auth.authenticate(added.token)).toEqual({ sub: 'second', role: 'write' });

    await writeTokenFile(file, [{ id: added.id, sha256: added.sha256, sub: 'second', role: 'write' }]);
    await auth.reload();
    expect(auth.authenticate(tokens[0]!)).toBeNull();
  });

  it('refuses to start on a file with a bad entry, saying which field is wrong', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'dbt-tokens-')), 'tokens.json');
    await writeFile(file, JSON.stringify({ tokens: [{ id: '0123456789ab', sub: 'x', role: 'root', sha256: '0'.repeat(64) }] }));
    await expect(createTokenAuth({ file, watch: false })).rejects.toThrow(/tokens\[0\]\.role: must be one of read, write, admin/);
  });
});
