/** Starts a real HTTP server around the router, on a free loopback port. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBuilder, type Builder, type BuilderOptions } from '@docker-builder/core';
import { createScriptedRunner, type ScriptStep } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter, type BuilderRouterOptions } from '@docker-builder/http-express';

/** Does what the seed's example playbook prints: mappings, each tag, PROGRESS 1..100, done. */
export function seedPlaybookScript(mappings: Record<string, string>): ScriptStep[] {
  const steps: ScriptStep[] = [{ log: ['TASK [Print received mappings (raw)]', `ok: [localhost] => ${JSON.stringify({ mappings })}`] }];
  for (const [service, image] of Object.entries(mappings)) {
    const tag = image.includes(':') ? image.split(':').pop() : 'latest';
    steps.push({ log: `    "msg": "${service} -> image=${image} ; tag=${tag}"` });
  }
  for (let n = 1; n <= 100; n += 1) steps.push({ log: `    "msg": "PROGRESS ${n}"` }, { progress: n });
  steps.push({ log: '    "msg": "Simulation complete"' }, { result: { ok: true } });
  return steps;
}

export interface Harness {
  url: string;
  server: Server;
  builder: Builder;
  build: ReturnType<typeof createScriptedRunner<'build'>>;
  deploy: ReturnType<typeof createScriptedRunner<'deploy'>>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    build?: ScriptStep[];
    router?: BuilderRouterOptions;
    builder?: Partial<BuilderOptions>;
    wrap?: (builder: Builder) => Builder;
    /** The host app's own middleware, mounted before the router (a global `express.json()`). */
    host?: (app: express.Express) => void;
  } = {},
): Promise<Harness> {
  const build = createScriptedRunner({ kind: 'build', script: options.build ?? [{ log: 'Step 1/1 : FROM scratch' }, { result: { image: 'r/x:1' } }] });
  const deploy = createScriptedRunner({ kind: 'deploy', script: (spec) => seedPlaybookScript(spec.mappings) });
  const builder = createBuilder({
    store: createMemoryJobStore(),
    runners: { build, deploy },
    logs: { flushIntervalMs: 5 },
    progressIntervalMs: 0,
    ...options.builder,
  });
  const app = express();
  options.host?.(app);
  app.use('/api', createBuilderRouter(options.wrap ? options.wrap(builder) : builder, { onError: () => undefined, ...options.router }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    server,
    builder,
    build,
    deploy,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await builder.close({ deadlineMs: 100 });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

export async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

export interface ParsedEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads an SSE stream and parses it the way EventSource does. Stops after `maxEvents`
 * message events (disconnecting, as a browser tab closing would), at the `end` event, or once
 * `until` says so. `lastId` is what EventSource would send as `Last-Event-ID` on a reconnect:
 * the last `id:` seen, whether or not its event had data.
 */
export async function readEvents(
  url: string,
  options: { lastEventId?: string; maxEvents?: number; until?: (events: ParsedEvent[]) => boolean; headers?: Record<string, string> } = {},
) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { ...options.headers, ...(options.lastEventId === undefined ? {} : { 'Last-Event-ID': options.lastEventId }) },
    signal: controller.signal,
  });
  const events: ParsedEvent[] = [];
  const comments: string[] = [];
  let lastId = options.lastEventId;
  const result = () => ({ response, events, comments, lastId });
  if (!response.body) return result();
  const decoder = new TextDecoder();
  let buffer = '';
  let current: { id?: string; event?: string; data?: string[] } = {};
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (current.id !== undefined) lastId = current.id;
          if (current.data) {
            const event: ParsedEvent = { event: current.event ?? 'message', data: current.data.join('\n') };
            if (current.id !== undefined) event.id = current.id;
            events.push(event);
            if (event.event === 'end') return result();
            if (options.maxEvents && events.filter((e) => e.event === 'message').length >= options.maxEvents) return result();
            if (options.until?.(events)) return result();
          }
          current = {};
        } else if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') (current.data ??= []).push(value);
          else if (field === 'id') current.id = value;
          else if (field === 'event') current.event = value;
        }
      }
    }
  } finally {
    controller.abort();
  }
  return result();
}
