/**
 * Authentication in the standalone server, as a real process: API tokens from AUTH_TOKENS_FILE
 * (re-read on SIGHUP), OpenID Connect tokens checked against a key set this test serves on
 * 127.0.0.1, roles, the audit log, DEPLOY_USER_SUB from the signed-in user, and the refusal to
 * serve anonymously beyond loopback. Builds are never run here: DOCKER_HOST points nowhere.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, stripAnsi } from '@docker-builder/core/testing';
import { issueToken, readTokenFile, writeTokenFile } from '@docker-builder/auth';
import { killServers, spawnServer, startServer, type RunningServer } from './running-server.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const NOWHERE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const ISSUER = 'https://login.example.test/realms/ops';
const AUDIENCE = 'docker-builder';
let dir: string;
let playbook: string;
let jwks: Server;
let jwksUrl: string;
let signingKey: PrivateKey;
let strangerKey: PrivateKey;
let publicJwk: JWK;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dbt-auth-'));
  // Prints who the deploy runs for, as a real playbook would pass it on.
  playbook = path.join(dir, 'playbook.yml');
  await writeFile(
    playbook,
    ['- hosts: localhost', '  connection: local', '  gather_facts: no', '  tasks:', '    - debug:', '        msg: "deploying for {{ lookup(\'env\', \'DEPLOY_USER_SUB\') }}"', ''].join('\n'),
  );
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`;
});
afterAll(() => new Promise((resolve) => jwks.close(resolve)));
afterEach(() => killServers());

async function tokensFile(entries: Record<string, 'read' | 'write' | 'admin'>) {
  const file = path.join(await mkdtemp(path.join(dir, 'tokens-')), 'tokens.json');
  const tokens: Record<string, string> = {};
  const written = Object.entries(entries).map(([sub, role]) => {
    const issued = issueToken();
    tokens[sub] = issued.token;
    return { id: issued.id, sha256: issued.sha256, sub, role };
  });
  await writeTokenFile(file, written);
  return { file, tokens };
}

async function call(server: RunningServer, method: string, route: string, token?: string, body?: unknown) {
  const response = await fetch(`${server.base}/api${route}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

async function finished(server: RunningServer, id: string, token: string) {
  return eventually(async () => {
    const job = (await call(server, 'GET', `/build/${id}`, token)).body;
    return ['done', 'error', 'cancelled'].includes(job.state as string) ? job : undefined;
  }, 30_000, `job ${id} to end`);
}

describe('API tokens (AUTH_TOKENS_FILE)', () => {
  it('answers 401 without a valid token, lets each role do what it may, and logs who changed what', async () => {
    const { file, tokens } = await tokensFile({ 'rita@example.com': 'read', 'ci@example.com': 'write', 'ada@example.com': 'admin' });
    const server = await startServer({ ...NOWHERE, AUTH_TOKENS_FILE: file, PLAYBOOK: playbook });
    expect(server.lines[0]).toMatchObject({ msg: 'API tokens loaded from ' + file, tokens: 3 });

    for (const token of [undefined, 'dbt_000000000000_' + 'A'.repeat(43), 'not-a-token']) {
      const refused = await call(server, 'GET', '/builds', token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await call(server, 'GET', '/builds', tokens['rita@example.com'])).status).toBe(200);
    expect((await call(server, 'POST', '/deploy-services', tokens['rita@example.com'], { mappings: { web: 'img:1' } })).status).toBe(403);

    const submitted = await call(server, 'POST', '/deploy-services', tokens['ci@example.com'], { mappings: { web: 'registry.example.com/web:1' } });
    expect(submitted.status).toBe(202);
    const job = await finished(server, submitted.body.id as string, tokens['rita@example.com']!);
    expect(job).toMatchObject({ state: 'done', user: { sub: 'ci@example.com' } });
    expect((job.logs as string[]).map(stripAnsi)).toContain('    "msg": "deploying for ci@example.com"');

    expect((await call(server, 'GET', '/session', tokens['ci@example.com'])).body).toEqual({ user: { sub: 'ci@example.com' }, role: 'write', canWrite: true });
    expect((await call(server, 'GET', '/_debug', tokens['ci@example.com'])).body.runners.deploy).toEqual({ name: 'ansible', ok: true });
    expect((await call(server, 'GET', '/_debug', tokens['ada@example.com'])).body.runners.deploy.details).toMatchObject({ playbook });

    await eventually(() => server.lines.find((line) => line.msg === 'audit' && line.status === 202), 5_000, 'the audit line');
    expect(server.lines.filter((line) => line.msg === 'audit')).toEqual([
      expect.objectContaining({ level: 'warn', action: 'createDeploy', user: 'rita@example.com', jobId: null, status: 403 }),
      expect.objectContaining({ level: 'info', action: 'createDeploy', user: 'ci@example.com', jobId: submitted.body.id, status: 202 }),
    ]);
  }, 60_000);

  it('accepts a token added to the file after a SIGHUP, and forgets a removed one', async () => {
    const { file, tokens } = await tokensFile({ 'old@example.com': 'read' });
    const server = await startServer({ ...NOWHERE, AUTH_TOKENS_FILE: file });
    const added = issueToken();
    await writeTokenFile(file, [{ id: added.id, sha256: added.sha256, sub: 'new@example.com', role: 'read' }]);
    server.process.kill('SIGHUP');
    await eventually(async () => (await call(server, 'GET', '/builds', added.token)).status === 200, 5_000, 'the new token to work');
    expect((await call(server, 'GET', '/builds', tokens['old@example.com'])).status).toBe(401);
    expect((await readTokenFile(file)).map((entry) => entry.sub)).toEqual(['new@example.com']);
  });
});

describe('OpenID Connect (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const jwt = (options: { sub?: string; roles?: string[]; iss?: string; aud?: string; exp?: number; nbf?: number; kid?: string; key?: PrivateKey } = {}) =>
    new SignJWT({ groups: options.roles ?? ['write'] })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
      .setSubject(options.sub ?? 'alice@example.com')
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setExpirationTime(options.exp ?? now() + 300)
      .setNotBefore(options.nbf ?? now() - 5)
      .sign(options.key ?? signingKey);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('runs a deploy for the token\'s sub, and answers 401 to every kind of bad token', async () => {
    const server = await startServer({
      ...NOWHERE,
      PLAYBOOK: playbook,
      AUTH_JWKS_URL: jwksUrl,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_ROLE_CLAIM: 'groups',
    });
    const good = await jwt();
    const submitted = await call(server, 'POST', '/deploy-services', good, { mappings: { web: 'registry.example.com/web:2' } });
    expect(submitted.status).toBe(202);
    const job = await finished(server, submitted.body.id as string, good);
    expect(job.user).toEqual({ sub: 'alice@example.com' });
    expect((job.logs as string[]).map(stripAnsi)).toContain('    "msg": "deploying for alice@example.com"');

    const bad: Record<string, string> = {
      expired: await jwt({ exp: now() - 120 }),
      'not yet valid': await jwt({ nbf: now() + 120 }),
      'another issuer': await jwt({ iss: 'https://evil.example.test' }),
      'another audience': await jwt({ aud: 'someone-else' }),
      'unknown kid': await jwt({ kid: 'k9', key: strangerKey }),
      'alg none': `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: now() + 300, groups: ['admin'] })}.`,
      'HS256 with the public key': await new SignJWT({ groups: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setSubject('mallory')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(now() + 300)
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
    };
    for (const [what, token] of Object.entries(bad)) {
      expect((await call(server, 'POST', '/deploy-services', token, { mappings: { web: 'img:1' } })).status, what).toBe(401);
    }
    expect((await call(server, 'POST', '/deploy-services', await jwt({ roles: ['read'] }), { mappings: { web: 'img:1' } })).status).toBe(403);
    expect((await call(server, 'GET', '/builds', good)).body.jobs).toHaveLength(1);
  }, 60_000);
});

describe('listening beyond loopback', () => {
  it('refuses to start without authentication, naming the settings', async () => {
    const { process: server, output } = spawnServer({ ...NOWHERE, HOST: '0.0.0.0' });
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(2);
    for (const setting of ['AUTH_TOKENS_FILE', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'ALLOW_ANONYMOUS=true']) expect(output()).toContain(setting);
  });

  it('starts with ALLOW_ANONYMOUS=true, warning that anyone may use it', async () => {
    const server = await startServer({ ...NOWHERE, HOST: '0.0.0.0', ALLOW_ANONYMOUS: 'true' });
    expect(server.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('ALLOW_ANONYMOUS=true: anyone who can reach 0.0.0.0') }));
  });
});
