/**
 * Who may use the server, from the configuration: API tokens (AUTH_TOKENS_FILE), OpenID
 * Connect (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE), both, or nobody-signs-in. Serving
 * anonymously beyond loopback is refused unless ALLOW_ANONYMOUS=true says it is meant.
 */
import { isIP } from 'node:net';
import { createBearerAuth, createOidcAuth, createTokenAuth, type TokenAuth } from '@docker-builder/auth';
import type { AuthenticatedUser } from '@docker-builder/core';
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';

export interface ServerAuth {
  /** The router's hook; absent when nobody signs in. */
  hook?: (req: { headers: { authorization?: string } }) => Promise<AuthenticatedUser | null>;
  /** Re-reads the tokens file (SIGHUP). */
  reload(): Promise<void>;
  close(): void;
  describe: string;
}

export class AnonymousRefusedError extends Error {}

export async function createServerAuth(config: ServerConfig, log: Logger): Promise<ServerAuth> {
  let tokens: TokenAuth | undefined;
  if (config.AUTH_TOKENS_FILE) {
    const file = config.AUTH_TOKENS_FILE;
    tokens = await createTokenAuth({
      file,
      onReload: (result) =>
        'error' in result
          ? log('error', `${file} was not reloaded, the tokens already loaded stay: ${result.error}`)
          : log('info', `API tokens loaded from ${file}`, { tokens: result.tokens }),
    });
  }
  const oidc =
    config.AUTH_JWKS_URL && config.AUTH_ISSUER && config.AUTH_AUDIENCE
      ? createOidcAuth({
          jwksUrl: config.AUTH_JWKS_URL,
          issuer: config.AUTH_ISSUER,
          audience: config.AUTH_AUDIENCE,
          roleClaim: config.AUTH_ROLE_CLAIM,
          defaultRole: config.AUTH_DEFAULT_ROLE,
          onRejected: (reason) => log('info', 'bearer token refused', { reason }),
        })
      : undefined;

  const sources = [tokens && 'API tokens', oidc && `OpenID Connect (${config.AUTH_ISSUER})`].filter(Boolean).join(' and ');
  if (!tokens && !oidc) {
    if (!isLoopback(config.HOST) && !config.ALLOW_ANONYMOUS) {
      throw new AnonymousRefusedError(
        `Refusing to listen on ${config.HOST} without authentication: anyone who can reach it could build with this host's Docker engine and run deploys. ` +
          'Set AUTH_TOKENS_FILE (API tokens: docker-builder-token create) and/or AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE (OpenID Connect), ' +
          'or HOST=127.0.0.1, or ALLOW_ANONYMOUS=true if anonymous access on this address is really meant.',
      );
    }
    if (config.ALLOW_ANONYMOUS) {
      log('warn', `ALLOW_ANONYMOUS=true: anyone who can reach ${config.HOST}:${config.PORT} can submit builds and deploys, cancel jobs and read every log.`);
    }
  }
  return {
    ...(tokens || oidc ? { hook: createBearerAuth({ tokens, oidc }) } : {}),
    reload: async () => tokens?.reload(),
    close: () => tokens?.close(),
    describe: sources || 'none (anonymous)',
  };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./i.test(bare);
}
