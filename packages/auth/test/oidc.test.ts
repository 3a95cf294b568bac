/**
 * OpenID Connect tokens against a key set this test serves on 127.0.0.1: a good token passes
 * with its sub and role; expired, not yet valid, another issuer or audience, `alg: none`,
 * HS256 "signed" with the public key, and a key the set does not hold are each refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createOidcAuth, type OidcAuth } from '@docker-builder/auth';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://login.example.test/realms/ops';
const AUDIENCE = 'docker-builder';
let server: Server;
let jwksUrl: string;
let key: PrivateKey;
let publicJwk: JWK;
let stranger: PrivateKey;
let auth: OidcAuth;
const rejections: string[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  stranger = (await generateKeyPair('RS256')).privateKey;
  server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  auth = createOidcAuth({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, roleClaim: 'realm_access.roles', onRejected: (reason) => rejections.push(reason) });
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const now = () => Math.floor(Date.now() / 1000);
interface TokenOptions {
  kid?: string;
  signWith?: PrivateKey;
  exp?: number;
  nbf?: number;
  iss?: string;
  aud?: string;
  sub?: string;
}
function token(claims: Record<string, unknown> = {}, options: TokenOptions = {}) {
  return new SignJWT({ realm_access: { roles: ['offline_access', 'write'] }, name: 'Alice', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
    .setSubject(options.sub ?? 'alice@example.com')
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 300)
    .setNotBefore(options.nbf ?? now() - 10)
    .sign(options.signWith ?? key);
}
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('OpenID Connect bearer tokens', () => {
  it('accepts a valid token: its sub, its name, and the highest role its claim names', async () => {
    expect(await auth.authenticate(await token())).toEqual({ sub: 'alice@example.com', name: 'Alice', role: 'write' });
    expect(await auth.authenticate(await token({ realm_access: { roles: ['read', 'admin'] } }))).toMatchObject({ role: 'admin' });
    expect(await auth.authenticate(await token({ realm_access: { roles: ['viewer'] } }))).toMatchObject({ role: 'read' });
  });

  it.each([
    ['expired', () => token({}, { exp: now() - 120 })],
    ['not yet valid', () => token({}, { nbf: now() + 120 })],
    ['from another issuer', () => token({}, { iss: 'https://evil.example.test' })],
    ['for another audience', () => token({}, { aud: 'someone-else' })],
    ['signed by a key the set does not hold (unknown kid)', () => token({}, { kid: 'k2', signWith: stranger })],
    ['signed by another key under a known kid', () => token({}, { signWith: stranger })],
    ['unsigned (alg: none)', async () => `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })}.`],
    [
      'HS256 "signed" with the public key',
      async () =>
        new SignJWT({ realm_access: { roles: ['admin'] } })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setSubject('mallory')
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime(now() + 300)
          .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
    ],
    ['not a JWT at all', async () => 'hello'],
  ])('refuses a token %s', async (_name, make) => {
    const before = rejections.length;
    expect(await auth.authenticate(await make())).toBeNull();
    expect(rejections.length).toBe(before + 1);
  });

  it('refuses a token whose sub is not acceptable text (it would reach playbooks)', async () => {
    expect(await auth.authenticate(await token({}, { sub: 'alice\u0007' }))).toBeNull();
  });
});
