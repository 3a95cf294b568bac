/**
 * `GET /events`: every job's changes as Server-Sent Events, as EventSource reads them: `ready`
 * first, then each event with its feed id, resumable with `Last-Event-ID` (or `?after=`) without
 * a gap or a repeat, `reset` when the id is too old, filters, heartbeats, and auth.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Request } from 'express';
import type { AuthenticatedUser } from '@docker-builder/core';
import { eventually, jobEnded } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { apiSchemas } from '@docker-builder/http-express';
import { parseEvents } from './openapi-conformance.js';
import { postJson, readEvents, startHarness, type Harness, type ParsedEvent } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const job = (event: ParsedEvent) => JSON.parse(event.data) as { id: string; kind: string; state: string; progress: number; service?: string; services?: string[] };
const describeEvent = (event: ParsedEvent) => (['ready', 'reset'].includes(event.event) ? event.event : `${event.event} ${job(event).state} ${job(event).progress}`);

/** Reads the feed until `count` events (any name) have come, then hangs up. */
const readFeed = (url: string, count: number, options: { lastEventId?: string; headers?: Record<string, string> } = {}) =>
  readEvents(url, { ...options, until: (events) => events.length >= count });

describe('GET /events', () => {
  it('says ready, then each change of every job with the job as a list shows it', async () => {
    harness = await startHarness({ build: [{ log: 'Step 1/2' }, { progress: 40 }, { gate: 'go' }, { log: 'Step 2/2' }, { result: { ok: true } }] });
    const h = harness;
    const reading = readFeed(`${h.url}/events`, 6);
    await eventually(async () => (await h.builder.store.health()).details?.eventFollowers === 1, 5_000, 'the feed to be followed');
    const id = (await postJson(`${h.url}/build`, { service: 'web', tags: ['1.0'] })).body.id;
    await h.build.reached('go');
    await postJson(`${h.url}/deploy-services`, { mappings: { api: 'registry.example.com/api:2' } });
    h.build.open('go');
    const { response, events } = await reading;
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(events[0]).toMatchObject({ event: 'ready', data: '{"resumed":false}', id: expect.any(String) });
    expect(events.slice(1, 4).map(describeEvent)).toEqual(['created queued 0', 'started running 0', 'progress running 40']);
    expect(events.slice(1).every((event) => event.id !== undefined)).toBe(true);
    expect(job(events[1]!)).toMatchObject({ id, kind: 'build', service: 'web', image: null, tags: ['1.0'], user: null, error: null });
    // The deploy is created (queued behind nothing: it runs at once), and the build ends.
    const rest = events.slice(4);
    expect(rest.map((event) => `${event.event} ${job(event).kind}`)).toContain('created deploy');
    expect(rest.map((event) => job(event).services ?? job(event).service)).toContainEqual(['api']);
  });

  it('goes on after Last-Event-ID (or ?after=) with no event missed or repeated, across disconnects', async () => {
    harness = await startHarness({ builder: { concurrency: 1 } });
    const h = harness;
    const seen: ParsedEvent[] = [];
    let lastId: string | undefined;
    const ids: string[] = [];
    // Five short reads, each hanging up after two events, while ten builds run.
    const submitting = (async () => {
      for (let n = 0; n < 10; n += 1) ids.push((await postJson(`${h.url}/build`, { service: `svc-${n}` })).body.id);
    })();
    for (let read = 0; read < 12; read += 1) {
      const { events, lastId: last } = await readFeed(`${h.url}/events`, 3, { lastEventId: lastId });
      expect(events[0]!.event).toBe('ready');
      seen.push(...events.slice(1));
      lastId = last;
    }
    await submitting;
    await Promise.all(ids.map((id) => jobEnded(h.builder, id)));
    const { events: tail } = await readEvents(`${h.url}/events?after=${encodeURIComponent(lastId!)}`, {
      until: (events) => events.filter((event) => event.event === 'finished').length + seen.filter((event) => event.event === 'finished').length >= 10,
    });
    expect(tail[0]).toMatchObject({ event: 'ready', data: '{"resumed":true}', id: lastId });
    seen.push(...tail.slice(1));
    // Each job: created, started, finished, once each, in that order.
    for (const id of ids) {
      expect(seen.filter((event) => job(event).id === id).map((event) => event.event)).toEqual(['created', 'started', 'finished']);
    }
    expect(new Set(seen.map((event) => event.id)).size).toBe(seen.length);
  });

  it('says reset, from now, when the id given is no longer kept or not one of this server\'s', async () => {
    harness = await startHarness({ builder: { store: createMemoryJobStore({ maxEvents: 5 }) } });
    const h = harness;
    const { events: first } = await readFeed(`${h.url}/events`, 1);
    for (let n = 0; n < 3; n += 1) await jobEnded(h.builder, (await postJson(`${h.url}/build`, { service: 'x' })).body.id);
    const newest = await h.builder.lastEventId();
    for (const lastEventId of [first[0]!.id!, 'a1b2c3-7', '1700000000000-0']) {
      const { events } = await readFeed(`${h.url}/events`, 1, { lastEventId });
      expect(events[0]).toMatchObject({ event: 'reset', id: newest });
      expect(JSON.parse(events[0]!.data).reason).toMatch(/read the jobs again/);
    }
  });

  it('filters by kind and state, moving the position on past what it leaves out', async () => {
    harness = await startHarness();
    const h = harness;
    const { events: ready } = await readFeed(`${h.url}/events`, 1);
    const build = (await postJson(`${h.url}/build`, { service: 'x' })).body.id;
    const deploy = (await postJson(`${h.url}/deploy-services`, { mappings: { api: 'r.example.com/api:1' } })).body.id;
    await Promise.all([jobEnded(h.builder, build), jobEnded(h.builder, deploy)]);
    const url = `${h.url}/events?kind=deploy&state=done,error`;
    const { events, lastId } = await readFeed(url, 2, { lastEventId: ready[0]!.id });
    expect(events.map((event) => `${event.event} ${job(event)?.id ?? ''}`.trim())).toEqual(['ready', `finished ${deploy}`]);
    // The ids of the events left out went by too: resuming from here repeats nothing.
    expect(lastId).toBe(events[1]!.id);
    const raw = await fetch(`${h.url}/events?kind=deploy&state=done&after=${encodeURIComponent(ready[0]!.id!)}`);
    const reader = raw.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: finished')) text += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(text).toMatch(/\nid: [^\n]+\n\n/);
    expect(text).not.toContain('event: created');
  });

  it('sends heartbeat comments while nothing happens', async () => {
    harness = await startHarness({ router: { sseHeartbeatSeconds: 0.05 } });
    const controller = new AbortController();
    const response = await fetch(`${harness.url}/events`, { signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/: heartbeat/g) ?? []).length < 2) text += (await reader.read()).value ?? '';
    controller.abort();
    expect(text).toContain('event: ready');
  });

  it('needs what reading jobs needs: credentials with any role', async () => {
    const users: Record<string, AuthenticatedUser> = { rita: { sub: 'rita', role: 'read' } };
    harness = await startHarness({ router: { auth: (req: Request) => users[req.get('authorization')?.replace(/^Bearer /, '') ?? ''] ?? null } });
    const refused = await fetch(`${harness.url}/events`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const { events } = await readFeed(`${harness.url}/events`, 1, { headers: { Authorization: 'Bearer rita' } });
    expect(events[0]!.event).toBe('ready');
  });

  it('is what the README shows', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/\$ curl -sS -N '?http:\/\/127\.0\.0\.1:8000\/api\/(events|build\/[^/]+\/logs)[^\n]*\n([\s\S]*?)```/g)];
    expect(blocks.map(([, route]) => route!.startsWith('events'))).toEqual([false, true, true, true]);
    for (const [, route, body] of blocks) {
      const definitions: Record<string, { data: { parse(value: unknown): unknown }; json?: boolean }> = route!.startsWith('events')
        ? apiSchemas.FEED_EVENTS
        : apiSchemas.LOG_STREAM_EVENTS;
      const events = parseEvents(body!.replace(/^ {2}/gm, ''));
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) {
        expect(Object.keys(definitions), route).toContain(event.event);
        const definition = definitions[event.event]!;
        expect(() => definition.data.parse(definition.json ? JSON.parse(event.data) : event.data), `${route} ${event.event}`).not.toThrow();
      }
    }
  });

  it('refuses a malformed id or filter before streaming', async () => {
    harness = await startHarness();
    for (const query of ['after=not%20an%20id', 'state=finished', 'kind=image', 'job=x']) {
      const response = await fetch(`${harness.url}/events?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    }
    const response = await fetch(`${harness.url}/events`, { headers: { 'Last-Event-ID': 'x'.repeat(101) } });
    expect(response.status).toBe(400);
  });
});
