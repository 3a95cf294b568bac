/** `GET /build/:id` answers a bounded page of the log unless asked for more, and says where the rest is. */
import { afterEach, describe, expect, it } from 'vitest';
import { jobEnded } from '@docker-builder/core/testing';
import { getJson, postJson, startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('GET /build/:id', () => {
  it('answers the first 1,000 lines by default; logsNext and logsFrom page through the rest', async () => {
    const lines = Array.from({ length: 2_500 }, (_, i) => `line ${i}`);
    harness = await startHarness({ build: [{ log: lines }, { result: { ok: true } }] });
    const { body } = await postJson(`${harness.url}/build`, { service: 'app', push: false });
    await jobEnded(harness.builder, body.id, 5_000);

    const first = (await getJson(`${harness.url}/build/${body.id}`)).body;
    expect(first.logs).toEqual(lines.slice(0, 1_000));
    expect(first).toMatchObject({ state: 'done', logsNext: 1_000, logsTotal: 2_500 });

    const second = (await getJson(`${harness.url}/build/${body.id}?logsFrom=${first.logsNext}`)).body;
    expect(second.logs).toEqual(lines.slice(1_000, 2_000));
    const last = (await getJson(`${harness.url}/build/${body.id}?logsFrom=${second.logsNext}`)).body;
    expect(last.logs).toEqual(lines.slice(2_000));
    expect(last.logsNext).toBe(last.logsTotal);

    expect((await getJson(`${harness.url}/build/${body.id}?logsLimit=2500`)).body.logs).toEqual(lines);
    expect((await getJson(`${harness.url}/build/${body.id}?logsLimit=0`)).body.logs).toEqual([]);
    expect(await (await fetch(`${harness.url}/build/${body.id}/logs.txt`)).text()).toBe(`${lines.join('\n')}\n`);
  });

  it('documents the default page and the way to the rest in the OpenAPI document', async () => {
    harness = await startHarness();
    const document = (await getJson(`${harness.url}/openapi.json`)).body;
    const operation = document.paths['/build/{id}'].get;
    expect(operation.description).toContain('at most `logsLimit` lines (default 1000)');
    expect(operation.description).toContain('`/build/{id}/logs.txt`');
    const limit = operation.parameters.find((p: { name: string }) => p.name === 'logsLimit');
    expect(limit.description ?? limit.schema.description).toContain('default 1000');
  });
});
