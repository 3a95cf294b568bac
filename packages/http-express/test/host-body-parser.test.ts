/**
 * A host app whose own `express.json()` runs before the router (`app.use(express.json())`).
 * Its parser reads the body first: what it refuses (bad JSON, a body over its limit) it answers
 * itself; what it hands on, the router still validates, answers in its own format, and holds
 * to its own bodyLimit. express4.test.ts runs this file on Express 4 too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';
import { toErrorResponse } from '@docker-builder/http-express';
import { tarArchive } from '../../../test-support/tar-fixtures.js';
import { getJson, postJson, startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const KiB = 1024;
/** Valid JSON of about `bytes` bytes that is not a valid deploy: its size is what is tested. */
const padded = (bytes: number) => JSON.stringify({ mappings: SEED_MAPPINGS, note: 'x'.repeat(bytes) });
const hostJson = (app: express.Express) => void app.use(express.json());

describe("a host's express.json() in front of the router", () => {
  it('hands the router parsed bodies: a good one is accepted, a bad one answered in the router\'s format with its issues', async () => {
    harness = await startHarness({ host: hostJson });
    const accepted = await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS });
    expect(accepted.status).toBe(202);
    expect((await getJson(`${harness.url}/build/${accepted.body.id}`)).body.spec).toEqual({ mappings: SEED_MAPPINGS });

    const refused = await postJson(`${harness.url}/deploy-services`, { mappings: { 'rag-service': 'not a reference!' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'mappings.rag-service' })] });
    const wrongType = await fetch(`${harness.url}/build`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as any).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it("still refuses, with the router's 413, a body over the router's bodyLimit that the host's parser let through", async () => {
    harness = await startHarness({ host: hostJson, router: { bodyLimit: '2kb' } });
    const response = await postJson(`${harness.url}/deploy-services`, padded(8 * KiB));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this server accepts.' } });
    expect((await harness.builder.list({ limit: 10 })).jobs).toEqual([]);
  });

  it("leaves what the host's parser refuses (bad JSON, over its own 100kb limit) to the host, as the README says", async () => {
    harness = await startHarness({ host: hostJson, router: { bodyLimit: '1mb' } });
    const badJson = await fetch(`${harness.url}/deploy-services`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"mappings":' });
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('content-type')).not.toMatch(/json/);
    const overHostLimit = await fetch(`${harness.url}/deploy-services`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: padded(200 * KiB) });
    expect(overHostLimit.status).toBe(413);
    expect(overHostLimit.headers.get('content-type')).not.toMatch(/json/);
  });

  it("answers in the router's format when the host's error handler uses toErrorResponse, as the README shows", async () => {
    harness = await startHarness({
      host: (app) => {
        app.use(express.json());
        // Registered before the router, it only sees errors raised before it: the parser's.
        app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
          const { status, body } = toErrorResponse(error);
          res.status(status).json(body);
        });
      },
    });
    const badJson = await postJson(`${harness.url}/deploy-services`, '{"mappings":');
    expect(badJson).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON', message: 'The request body is not valid JSON.' } } });
    const tooLarge = await postJson(`${harness.url}/deploy-services`, padded(200 * KiB));
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('lets a tar upload through to the router untouched', async () => {
    harness = await startHarness({ host: hostJson, router: { uploads: { dir: mkdtempSync(path.join(tmpdir(), 'uploads-')) } } });
    const archive = tarArchive([{ name: 'Dockerfile', body: 'FROM scratch\n' }]);
    const response = await fetch(`${harness.url}/build?service=app&push=false`, { method: 'POST', headers: { 'Content-Type': 'application/x-tar' }, body: archive });
    expect(response.status, await response.clone().text()).toBe(202);
  });
});

describe("a host's express.text() or express.raw() in front of the router", () => {
  it('parses the JSON the host left as text, and answers bad JSON in its own format', async () => {
    harness = await startHarness({ host: (app) => void app.use(express.text({ type: '*/*' })) });
    expect((await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS })).status).toBe(202);
    const bad = await postJson(`${harness.url}/deploy-services`, '{"mappings":');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
  });

  it("parses the JSON the host left as bytes, holding it to the router's bodyLimit", async () => {
    harness = await startHarness({ host: (app) => void app.use(express.raw({ type: 'application/json' })), router: { bodyLimit: 2 * KiB } });
    expect((await postJson(`${harness.url}/deploy-services`, { mappings: SEED_MAPPINGS })).status).toBe(202);
    expect((await postJson(`${harness.url}/deploy-services`, padded(8 * KiB))).status).toBe(413);
  });
});

describe('bodyLimit', () => {
  it('refuses, when the router is made, a limit Express would read as "no limit"', async () => {
    await expect(startHarness({ router: { bodyLimit: '1 megabyte' } })).rejects.toThrow(/bodyLimit \("1 megabyte"\) must be a whole number of bytes \(at least 1\) or a size such as "512kb"/);
    await expect(startHarness({ router: { bodyLimit: 0 } })).rejects.toThrow(/bodyLimit/);
  });

  it('reads sizes as Express does: "1kb" is 1024 bytes', async () => {
    harness = await startHarness({ router: { bodyLimit: '1kb' } });
    const body = (n: number) => JSON.stringify({ mappings: SEED_MAPPINGS, note: 'x'.repeat(n) });
    const base = body(0).length;
    expect((await postJson(`${harness.url}/deploy-services`, body(1024 - base))).status).toBe(400);
    expect((await postJson(`${harness.url}/deploy-services`, body(1025 - base))).status).toBe(413);
  });
});

describe("the router mounted before the host's express.json(), as the README advises", () => {
  it("reads its own bodies, with its own limit and errors, and leaves the host's routes to the host's parser", async () => {
    harness = await startHarness({ router: { bodyLimit: '2kb' } });
    // The harness mounts the router; the host's parser and route come after it, on the same app.
    const app = harness.server.listeners('request')[0] as express.Express;
    app.use(express.json());
    app.post('/echo', (req: Request, res: Response) => void res.json(req.body));
    const badJson = await postJson(`${harness.url}/deploy-services`, '{"mappings":');
    expect(badJson).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect((await postJson(`${harness.url}/deploy-services`, padded(8 * KiB))).status).toBe(413);
    expect((await postJson(harness.url.replace(/\/api$/, '/echo'), { hello: 'host' })).body).toEqual({ hello: 'host' });
  });
});
