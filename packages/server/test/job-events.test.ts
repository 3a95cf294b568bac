/**
 * The live event feed across processes, as deployed with Redis: `docker-builder serve` answers
 * `/api/events` while a separate `docker-builder worker` runs the job, and a client that drops
 * its connection mid-job and comes back with `Last-Event-ID` misses nothing and sees nothing twice.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SEED_MAPPINGS, eventually } from '@docker-builder/core/testing';
import { uniquePrefix } from '../../../test-support/prefix.js';
import { readEvents, type ParsedEvent } from '../../http-express/test/harness.js';
import { killServers, spawnService, startServer } from './running-server.js';

afterEach(() => killServers());

const job = (event: ParsedEvent) => JSON.parse(event.data) as { id: string; state: string; progress: number; services?: string[] };

describe('/api/events with a separate worker', () => {
  it('shows the worker\'s job start, progress and finish, and resumes after a disconnect without a gap or a repeat', async () => {
    const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: uniquePrefix('events') };
    const { base } = await startServer(env);
    const worker = spawnService('worker', env);
    await eventually(() => worker.lines.some((line) => line.msg === 'worker ready: taking jobs'), 20_000, 'the worker to start');

    const url = `${base}/api/events`;
    // The first client: there when the job is submitted, gone once it has started.
    let id = '';
    let live!: (event: ParsedEvent) => void;
    const readyCame = new Promise<ParsedEvent>((resolve) => (live = resolve));
    const first = readEvents(url, {
      until: (events) => {
        live(events[0]!);
        return events.some((event) => event.event === 'started' && job(event).id === id);
      },
    });
    // The job is submitted once the first client follows.
    expect(await readyCame).toMatchObject({ event: 'ready', data: '{"resumed":false}' });
    const submitted = await fetch(`${base}/api/deploy-services`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mappings: SEED_MAPPINGS }) });
    const body = (await submitted.json()) as { id: string; enqueued: boolean };
    id = body.id;
    expect(body.enqueued).toBe(true);
    const before = await first;
    expect(before.events[0]!.event).toBe('ready');

    // The second: comes back with what EventSource would send, after the job may have moved on.
    const after = await readEvents(url, { lastEventId: before.lastId, until: (events) => events.some((event) => event.event === 'finished' && job(event).id === id) });
    expect(after.events[0]).toMatchObject({ event: 'ready', id: before.lastId, data: '{"resumed":true}' });

    const mine = (events: ParsedEvent[]) => events.filter((event) => !['ready', 'reset'].includes(event.event) && job(event).id === id);
    const seen = [...mine(before.events), ...mine(after.events)];
    const names = seen.map((event) => event.event);
    expect(names[0]).toBe('created');
    expect(names[1]).toBe('started');
    expect(names.at(-1)).toBe('finished');
    expect(names.slice(2, -1).every((name) => name === 'progress')).toBe(true);
    expect(names.filter((name) => name === 'progress').length).toBeGreaterThan(0);
    const progress = seen.filter((event) => event.event === 'progress').map((event) => job(event).progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(job(seen.at(-1)!)).toMatchObject({ state: 'done', progress: 100, services: Object.keys(SEED_MAPPINGS) });

    // Nothing missed or repeated: the same events as one client that never left, read from where the first began.
    const whole = await readEvents(`${url}?after=${encodeURIComponent(before.events[0]!.id!)}`, {
      until: (events) => events.some((event) => event.event === 'finished' && job(event).id === id),
    });
    expect(seen.map((event) => event.id)).toEqual(mine(whole.events).map((event) => event.id));
    expect(new Set(seen.map((event) => event.id)).size).toBe(seen.length);
  }, 60_000);
});
