/**
 * AUTH_TOKENS_FILE: the API tokens a server accepts, each with the user's `sub`, a role and
 * the token's SHA-256 (never the token). Re-read when it changes (checked every second) or on
 * `reload()` (the server calls it on SIGHUP); a file that no longer parses keeps the tokens
 * already loaded and is reported, so a typo cannot lock everyone out or let anyone in.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { JobUserSchema, ROLES, parseOrThrow, type AuthenticatedUser, type Role } from '@docker-builder/core';
import { tokenId, tokenMatches } from './api-token.js';

const TokenEntry = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{12}$/, { error: 'must be the 12 hex digits after "dbt_"' }),
  sub: JobUserSchema.shape.sub,
  name: JobUserSchema.shape.name,
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 in hex' }),
  createdAt: z.string().optional(),
  description: z.string().max(200).optional(),
});
export type TokenEntry = z.output<typeof TokenEntry>;

const TokenFile = z.strictObject({
  tokens: z.array(TokenEntry).refine((tokens) => new Set(tokens.map((t) => t.id)).size === tokens.length, { error: 'must not repeat an id' }),
});

export interface TokenAuthOptions {
  file: string;
  /** Re-read the file when it changes; default true. */
  watch?: boolean;
  /** After each reload: how many tokens are loaded, or why the file was refused (the old tokens stay). */
  onReload?: (result: { tokens: number } | { error: string }) => void;
}

export interface TokenAuth {
  /** The user of a valid token, else null. */
  authenticate(token: string): AuthenticatedUser | null;
  reload(): Promise<void>;
  readonly size: number;
  close(): void;
}

/** Reads and checks a tokens file; a missing file is an empty one. */
export async function readTokenFile(file: string): Promise<TokenEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseOrThrow(TokenFile, json).tokens;
}

/** Writes the file whole, owner-only, through a rename so a reader never sees half of it. */
export async function writeTokenFile(file: string, tokens: TokenEntry[]): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify({ tokens }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function createTokenAuth(options: TokenAuthOptions): Promise<TokenAuth> {
  let byId = index(await readTokenFile(options.file));
  options.onReload?.({ tokens: byId.size });

  const reload = async () => {
    try {
      byId = index(await readTokenFile(options.file));
      options.onReload?.({ tokens: byId.size });
    } catch (error) {
      options.onReload?.({ error: (error as Error).message });
    }
  };
  const watching = options.watch !== false;
  const onChange = () => void reload();
  if (watching) watchFile(options.file, { interval: 1_000, persistent: false }, onChange);

  return {
    authenticate(token) {
      const id = tokenId(token);
      const entry = id === null ? undefined : byId.get(id);
      if (!entry || !tokenMatches(token, entry.sha256)) return null;
      return { sub: entry.sub, ...(entry.name ? { name: entry.name } : {}), role: entry.role as Role };
    },
    reload,
    get size() {
      return byId.size;
    },
    close() {
      if (watching) unwatchFile(options.file, onChange);
    },
  };
}

function index(tokens: TokenEntry[]): Map<string, TokenEntry> {
  return new Map(tokens.map((entry) => [entry.id, entry]));
}
