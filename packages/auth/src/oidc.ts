/**
 * OpenID Connect / JWT bearer tokens, verified with `jose` against the issuer's key set
 * (fetched from `jwksUrl`, cached, and fetched again when a token names a key it does not
 * know, at most every 30 s). Only asymmetric algorithms are accepted, so neither `alg: none`
 * nor an HS256 token "signed" with the public key can pass; issuer, audience, expiry and
 * not-before are checked by jose on every token.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { JobUserSchema, isRole, roleAllows, type AuthenticatedUser, type Role } from '@docker-builder/core';

export interface OidcAuthOptions {
  /** The issuer's JWKS endpoint, e.g. https://login.example.com/realms/ops/protocol/openid-connect/certs. */
  jwksUrl: string | URL;
  /** Must equal the token's `iss`. */
  issuer: string;
  /** The token's `aud` must hold it. */
  audience: string;
  /**
   * The claim that carries the role: a string or a list of strings, found by a dotted path
   * (`roles`, `realm_access.roles`). The highest of read, write and admin found wins; other
   * values are ignored. Default "role".
   */
  roleClaim?: string;
  /** The role of a valid token whose claim names none; default "read". */
  defaultRole?: Role;
  /** Seconds of clock skew allowed on exp and nbf; default 30. */
  clockToleranceSeconds?: number;
}

export interface OidcAuth {
  /** The user of a valid token, else null (the reason goes to `onRejected`). */
  authenticate(token: string): Promise<AuthenticatedUser | null>;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function createOidcAuth(options: OidcAuthOptions & { onRejected?: (reason: string) => void }): OidcAuth {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
  const roleClaim = options.roleClaim ?? 'role';
  return {
    async authenticate(token) {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ASYMMETRIC,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['sub', 'exp'],
        });
        const user = JobUserSchema.safeParse({ sub: payload.sub, name: displayName(payload) });
        if (!user.success) {
          options.onRejected?.('the token\'s sub is not acceptable text');
          return null;
        }
        return { ...user.data, role: roleOf(claimAt(payload, roleClaim), options.defaultRole ?? 'read') };
      } catch (error) {
        options.onRejected?.((error as Error).message);
        return null;
      }
    },
  };
}

function displayName(payload: JWTPayload): string | undefined {
  for (const claim of ['name', 'preferred_username', 'email']) {
    const value = payload[claim];
    if (typeof value === 'string' && value.length > 0 && value.length <= 256) return value;
  }
  return undefined;
}

function claimAt(payload: JWTPayload, dotted: string): unknown {
  let value: unknown = payload;
  for (const part of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function roleOf(claim: unknown, fallback: Role): Role {
  const named = [claim].flat().filter(isRole);
  if (named.length === 0) return fallback;
  return named.reduce((best, role) => (roleAllows(role, best) ? role : best));
}
