/**
 * The router's `auth` hook from the configured sources: a `dbt_…` bearer token is looked up in
 * the tokens file, anything else is verified as an OpenID Connect JWT. A request without a
 * valid token gets null, which the router answers 401.
 */
import type { AuthenticatedUser } from '@docker-builder/core';
import { looksLikeApiToken } from './api-token.js';
import { bearerToken } from './bearer.js';
import type { OidcAuth } from './oidc.js';
import type { TokenAuth } from './token-file.js';

export interface BearerAuthSources {
  tokens?: TokenAuth;
  oidc?: OidcAuth;
}

/** Anything with headers: an Express request, or a plain object in tests. */
export interface HasAuthorization {
  headers: { authorization?: string | undefined };
}

export function createBearerAuth(sources: BearerAuthSources): (req: HasAuthorization) => Promise<AuthenticatedUser | null> {
  if (!sources.tokens && !sources.oidc) throw new Error('createBearerAuth needs a tokens file, an OpenID Connect issuer, or both');
  return async (req) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    if (looksLikeApiToken(token)) return sources.tokens?.authenticate(token) ?? null;
    return (await sources.oidc?.authenticate(token)) ?? null;
  };
}
