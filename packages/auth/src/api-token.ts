/**
 * API tokens: `dbt_<id>_<secret>`. The id finds the entry without comparing against every
 * token; the secret is 32 random bytes, so a plain SHA-256 of the whole token is a safe thing
 * to store (nothing to brute-force), and the file can be read without revealing a token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'dbt_';
const TOKEN_PATTERN = /^dbt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  /** Shown once, never stored. */
  token: string;
  sha256: string;
}

export function issueToken(): IssuedToken {
  const id = randomBytes(6).toString('hex');
  const token = `${PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  return { id, token, sha256: sha256(token) };
}

/** The id of a well-formed token, or null for anything else. */
export function tokenId(token: string): string | null {
  return TOKEN_PATTERN.exec(token)?.[1] ?? null;
}

export function looksLikeApiToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

/** Compares in constant time: the time taken says nothing about how much of the hash matched. */
export function tokenMatches(token: string, storedSha256: string): boolean {
  const given = Buffer.from(sha256(token), 'hex');
  const stored = Buffer.from(storedSha256, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
