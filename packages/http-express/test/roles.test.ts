/**
 * Roles from the auth hook: `read` only reads; `write` submits, retries and cancels its own
 * jobs; `admin` also cancels anyone's and sees `_debug`'s details. Every state-changing
 * request reaches the audit hook with its user and outcome, and jobs record who cancelled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthenticatedUser } from '@docker-builder/core';
import type { AuditEntry } from '@docker-builder/http-express';
import { startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const USERS: Record<string, AuthenticatedUser> = {
  'Bearer r': { sub: 'rita', role: 'read' },
  'Bearer w1': { sub: 'walt', name: 'Walt', role: 'write' },
  'Bearer w2': { sub: 'wanda', role: 'write' },
  'Bearer a': { sub: 'ada', role: 'admin' },
};
const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

async function start(audit: AuditEntry[] = []) {
  harness = await startHarness({
    build: [{ log: 'building' }, { hang: true }],
    router: { auth: (req) => USERS[req.get('authorization') ?? ''] ?? null, onAudit: (entry) => audit.push(entry) },
  });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${harness!.url}${path}`, { method, headers: as(token), ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  return { call, audit };
}

describe('roles', () => {
  it('lets a read user see jobs but change nothing', async () => {
    const { call } = await start();
    const { body } = await call('POST', '/build', 'w1', { service: 'web' });
    expect((await call('GET', '/session', 'r')).body).toEqual({ user: { sub: 'rita' }, role: 'read', canWrite: false });
    expect((await call('GET', `/build/${body.id}`, 'r')).status).toBe(200);
    expect((await call('GET', '/builds', 'r')).body.jobs).toHaveLength(1);
    for (const [method, path, payload] of [
      ['POST', '/build', { service: 'web' }],
      ['POST', '/deploy-services', { mappings: { web: 'img:1' } }],
      ['POST', `/build/${body.id}/cancel`, undefined],
      ['POST', `/build/${body.id}/retry`, undefined],
    ] as const) {
      const refused = await call(method, path, 'r', payload);
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('lets a write user cancel its own jobs, and only an admin cancel someone else\'s, recording who did', async () => {
    const { call } = await start();
    const walts = (await call('POST', '/build', 'w1', { service: 'web' })).body.id as string;
    const wandas = (await call('POST', '/build', 'w2', { service: 'api' })).body.id as string;
    await harness!.build.started(2);

    const refused = await call('POST', `/build/${wandas}/cancel`, 'w1');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(`Job ${wandas} was submitted by "wanda"; only they or an admin may cancel it.`);
    expect((await call('GET', `/build/${wandas}`, 'a')).body.state).toBe('running');

    expect((await call('POST', `/build/${walts}/cancel`, 'w1')).status).toBe(202);
    expect((await call('POST', `/build/${wandas}/cancel`, 'a')).status).toBe(202);
    const ended = async (id: string) => {
      for (;;) {
        const job = (await call('GET', `/build/${id}`, 'r')).body;
        if (job.state !== 'running') return job;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    expect(await ended(walts)).toMatchObject({ state: 'cancelled', user: { sub: 'walt', name: 'Walt' }, cancelledBy: { sub: 'walt', name: 'Walt' } });
    expect(await ended(wandas)).toMatchObject({ state: 'cancelled', user: { sub: 'wanda' }, cancelledBy: { sub: 'ada' } });
  });

  it('records a retry as the retrying user\'s job, and never stores a role', async () => {
    const { call } = await start();
    const first = (await call('POST', '/build', 'w1', { service: 'web' })).body.id as string;
    await call('POST', `/build/${first}/cancel`, 'w1');
    const retry = await call('POST', `/build/${first}/retry`, 'w2');
    expect(retry.status).toBe(202);
    const job = (await call('GET', `/build/${retry.body.id}`, 'r')).body;
    expect(job).toMatchObject({ retryOf: first, user: { sub: 'wanda' } });
    expect(job.user).not.toHaveProperty('role');
  });

  it('shows _debug details to admins only', async () => {
    const { call } = await start();
    const admin = (await call('GET', '/_debug', 'a')).body;
    expect(admin.store).toMatchObject({ name: 'memory', ok: true, details: expect.any(Object) });
    for (const token of ['r', 'w1']) {
      const bare = (await call('GET', '/_debug', token)).body;
      expect(bare.store).toEqual({ name: 'memory', ok: true });
      expect(bare.runners.build).toEqual({ name: 'scripted', ok: true });
      expect(JSON.stringify(bare)).not.toContain('details');
    }
  });

  it('reports every state-changing request to the audit hook, refused ones too', async () => {
    const { call, audit } = await start();
    const id = (await call('POST', '/build', 'w1', { service: 'web' })).body.id as string;
    await call('POST', `/build/${id}/cancel`, 'w2');
    await call('POST', '/deploy-services', 'r', { mappings: { web: 'img:1' } });
    await call('GET', '/builds', 'r');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(audit).toEqual([
      { action: 'createBuild', user: { sub: 'walt', name: 'Walt' }, jobId: id, status: 202 },
      { action: 'cancelJob', user: { sub: 'wanda' }, jobId: id, status: 403 },
      { action: 'createDeploy', user: { sub: 'rita' }, jobId: null, status: 403 },
    ]);
  });
});
