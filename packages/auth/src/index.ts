/** @docker-builder/auth: auth hooks for the router — hashed API tokens from a file, and OpenID Connect bearer tokens. */
export { createBearerAuth, type BearerAuthSources, type HasAuthorization } from './bearer-auth.js';
export { createTokenAuth, readTokenFile, writeTokenFile, type TokenAuth, type TokenAuthOptions, type TokenEntry } from './token-file.js';
export { createOidcAuth, type OidcAuth, type OidcAuthOptions } from './oidc.js';
export { issueToken, type IssuedToken } from './api-token.js';
export { bearerToken } from './bearer.js';
