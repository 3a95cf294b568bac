/** A build context uploaded as a tar archive with the request, through the router, onto a real engine. */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import express from 'express';
import { pack } from 'tar-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import { createBuilderRouter } from '@docker-builder/http-express';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createDockerRunner } from '@docker-builder/runner-docker';
import { startDockerEngine, type DockerEngine } from '../../../test-support/docker-engine.js';
import { makeContextRoot } from './contexts.js';

let engine: DockerEngine;
let builder: Builder;
let api: string;
let uploads: string;
let contextRoot: string;
let close: () => void;
beforeAll(async () => {
  engine = await startDockerEngine();
  contextRoot = makeContextRoot();
  uploads = mkdtempSync(path.join(tmpdir(), 'uploads-'));
  builder = createBuilder({
    store: createMemoryJobStore(),
    runners: { build: createDockerRunner({ docker: engine.docker, uploadsDir: uploads }) },
    concurrency: 1,
    logs: { flushIntervalMs: 10 },
  });
  const server = express()
    .use('/api', createBuilderRouter(builder, { uploads: { dir: uploads, maxBytes: 64 * 1024 } }))
    .listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  close = () => (server.closeAllConnections(), server.close());
}, 60_000);
afterAll(async () => {
  close?.();
  await builder?.close({ deadlineMs: 100 });
  await engine?.stop();
});

const archive = (context: string) => buffer(pack(path.join(contextRoot, context)));
const upload = (query: string, body: Buffer | string) =>
  fetch(`${api}/build?${query}`, { method: 'POST', headers: { 'Content-Type': 'application/x-tar' }, body });
const ended = (id: string) => jobEnded(builder, id, 60_000);

describe('uploaded build contexts', () => {
  it('builds an uploaded tar archive with the fields as query parameters, then removes the archive', async () => {
    const response = await upload('service=uploaded&tag=1.0,latest&buildArg=GREETING=hi&label=team=platform&push=false', await archive('multistage'));
    expect(response.status).toBe(202);
    const { id, enqueued } = (await response.json()) as { id: string; enqueued: boolean };
    expect(enqueued).toBe(true);
    const job = await ended(id);
    expect(job.error).toBeNull();
    expect(job.spec).toMatchObject({ service: 'uploaded', tags: ['1.0', 'latest'], buildArgs: { GREETING: 'hi' }, labels: { team: 'platform' }, push: false });
    expect((await builder.readLogs(id)).lines[0]).toMatch(/^\[docker-builder\] building uploaded:1.0 from an uploaded archive \(\d+ bytes\)$/);
    expect(readdirSync(uploads)).toEqual([]);
    const retry = await fetch(`${api}/build/${id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { error: { message: string } }).error.message).toContain('upload it again');
  }, 60_000);

  it.each([
    ['a body that is not an archive', 'service=x', 'just some text, no tar here', 400, 'body: must be a tar archive'],
    ['a build arg without a value', 'service=x&buildArg=NOVALUE', 'x', 400, 'buildArg: must be NAME=VALUE'],
    ['an unknown parameter', 'service=x&context=../../etc', 'x', 400, 'context: is not a known field'],
    ['a template in a tag', 'service=x&tag=%7B%7B7*7%7D%7D', 'x', 400, 'tags[0]: must not contain template syntax'],
    ['an archive over the limit', 'service=x', 'x'.repeat(100 * 1024), 413, 'larger than this server accepts'],
  ])('refuses %s, keeping nothing', async (_name, query, body, status, message) => {
    const response = await upload(query, body);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
    expect(readdirSync(uploads)).toEqual([]);
    expect((await builder.list({ limit: 50 })).jobs.filter((j) => j.kind === 'build' && j.spec.service === 'x')).toEqual([]);
  });

  it('removes the archive of a job cancelled before it ran', async () => {
    const slow = await upload('service=slow-first&push=false&noCache=true', await archive('slow'));
    const { id: slowId } = (await slow.json()) as { id: string };
    await eventually(async () => (await builder.get(slowId)).state === 'running');
    const queued = await upload('service=never-built&push=false', await archive('simple'));
    const { id } = (await queued.json()) as { id: string };
    const job = await builder.get(id);
    const file = path.join(uploads, `${job.kind === 'build' ? job.spec.upload : ''}.tar`);
    expect(existsSync(file)).toBe(true);
    expect((await builder.cancel(id)).state).toBe('cancelled');
    expect(existsSync(file)).toBe(false);
    await builder.cancel(slowId);
    await ended(slowId);
  }, 60_000);
});
