/**
 * Checks live answers against the OpenAPI document the router publishes: the status must be one
 * the operation lists, the content type one it lists for that status, the body valid against its
 * schema (ajv, JSON Schema 2020-12, as OpenAPI 3.1 uses), and required headers present. Every
 * problem is a soft expectation, so one run lists all of them.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';

// ajv-formats is CommonJS with its function on `default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

const DOCUMENT_ID = 'https://docker-builder.invalid/openapi.json';

type Json = Record<string, any>;

export interface CheckedResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text of a text body, or the events of an event stream. */
  body: any;
  text: string;
}

export interface SseEventRecord {
  event: string;
  id?: string;
  data: string;
}

export interface Conformance {
  readonly document: Json;
  /** Sends a request to `template` (an OpenAPI path such as `/build/{id}`) and checks the answer. */
  request(method: 'get' | 'post', template: string, init?: RequestOptions): Promise<CheckedResponse>;
  /** Checks a body against a schema in the document, by JSON pointer (`/components/schemas/ErrorBody`). */
  validateAt(pointer: string, value: unknown, what: string): void;
  /** Operation (`GET /build/{id}`) → the statuses seen. */
  readonly seen: Map<string, Set<number>>;
}

export interface RequestOptions {
  params?: Record<string, string>;
  /** Repeated keys as arrays; the values are sent as they are, even when the document says otherwise. */
  query?: Record<string, string | string[] | undefined>;
  headers?: Record<string, string>;
  json?: unknown;
  body?: RequestInit['body'];
  /** For a stream that never ends (`/events`): hang up once this many events (with data) have come. */
  events?: number;
}

export function createConformance(baseUrl: string, document: unknown): Conformance {
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: true });
  addFormats(ajv);
  // OpenAPI's own keyword: an annotation for code generators; `oneOf` does the validating.
  ajv.addKeyword({ keyword: 'discriminator', schemaType: 'object' });
  // The document's own fields, so that its schemas can be reached by pointer from its root.
  ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security', 'webhooks', 'externalDocs', 'jsonSchemaDialect']);
  ajv.addSchema(document as Json, DOCUMENT_ID);
  const compiled = new Map<string, ValidateFunction>();
  const seen = new Map<string, Set<number>>();

  function validatorAt(pointer: string): ValidateFunction {
    let validate = compiled.get(pointer);
    if (!validate) {
      const fragment = pointer.split('/').map((segment) => encodeURIComponent(segment)).join('/');
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${fragment}` });
      compiled.set(pointer, validate);
    }
    return validate;
  }

  function validateAt(pointer: string, value: unknown, what: string) {
    const validate = validatorAt(pointer);
    const valid = validate(value);
    expect.soft(valid ? [] : validate.errors?.map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`), `${what}: ${JSON.stringify(value).slice(0, 600)}`).toEqual([]);
  }

  async function request(method: 'get' | 'post', template: string, init: RequestOptions = {}): Promise<CheckedResponse> {
    let path = template;
    for (const [name, value] of Object.entries(init.params ?? {})) path = path.replace(`{${name}}`, encodeURIComponent(value));
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(init.query ?? {})) for (const one of [value ?? []].flat()) search.append(name, one);
    const url = `${baseUrl}${path}${search.size ? `?${search}` : ''}`;
    const headers: Record<string, string> = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = typeof init.json === 'string' ? init.json : JSON.stringify(init.json);
    }
    const hangUp = new AbortController();
    const response = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body,
      signal: hangUp.signal,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
    const text = init.events !== undefined && response.ok ? await firstEvents(response, init.events, hangUp) : await response.text();
    const what = `${method.toUpperCase()} ${template} → ${response.status}`;
    const key = `${method.toUpperCase()} ${template}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(response.status);

    const checked: CheckedResponse = { status: response.status, headers: response.headers, body: text, text };
    const operation = (document as Json).paths?.[template]?.[method] as Json | undefined;
    expect.soft(operation, `${key} is not in the document`).toBeDefined();
    if (!operation) return parseAnyway(checked);
    const documented = operation.responses?.[String(response.status)] as Json | undefined;
    expect.soft(documented, `${what}: the document lists only ${Object.keys(operation.responses ?? {}).join(', ')} for ${key}`).toBeDefined();
    if (!documented) return parseAnyway(checked);

    for (const [name, header] of Object.entries((documented.headers ?? {}) as Record<string, Json>)) {
      if (header.required) expect.soft(response.headers.get(name), `${what}: header ${name}`).not.toBeNull();
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = (documented.content ?? {}) as Record<string, Json>;
    if (Object.keys(content).length === 0) {
      expect.soft(text, `${what}: documented without a body`).toBe('');
      return checked;
    }
    expect.soft(Object.keys(content), `${what}: content type ${mediaType}`).toContain(mediaType);
    if (!content[mediaType]) return parseAnyway(checked);
    const schemaPointer = `/paths/${escapePointer(template)}/${method}/responses/${response.status}/content/${escapePointer(mediaType)}/schema`;

    if (mediaType === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        expect.soft(text, `${what}: not JSON`).toBe('valid JSON');
        return checked;
      }
      validateAt(schemaPointer, parsed, what);
      return { ...checked, body: parsed };
    }
    validateAt(schemaPointer, text, what);
    if (mediaType === 'text/event-stream') {
      const events = parseEvents(text);
      const described = content[mediaType]!['x-events'] as Record<string, Json> | undefined;
      if (described) {
        for (const event of events) {
          expect.soft(Object.keys(described), `${what}: event "${event.event}"`).toContain(event.event);
          if (!described[event.event]) continue;
          // Each described event: its `data` as text, or as the JSON it encodes.
          const eventPointer = `/paths/${escapePointer(template)}/${method}/responses/${response.status}/content/${escapePointer(mediaType)}/x-events/${event.event}/schema`;
          const data = described[event.event]!.contentType === 'application/json' ? parseData(event.data) : event.data;
          validateAt(eventPointer, data, `${what}: event ${event.event}`);
          if (described[event.event]!.id) {
            expect.soft(event.id, `${what}: event ${event.event} has an id`).toMatch(new RegExp(described[event.event]!.idPattern ?? '^.+$'));
          }
        }
      }
      return { ...checked, body: events };
    }
    return checked;
  }

  return { document: document as Json, request, validateAt, seen };
}

/** The body up to the end of its `count`th event, then the connection is dropped, as a browser tab closing would. */
async function firstEvents(response: Response, count: number, hangUp: AbortController): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  try {
    while (parseEvents(text).length < count || !text.endsWith('\n\n')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += chunk.value;
    }
  } finally {
    hangUp.abort();
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

function parseAnyway(checked: CheckedResponse): CheckedResponse {
  try {
    return { ...checked, body: JSON.parse(checked.text) };
  } catch {
    return checked;
  }
}

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    expect.soft(data, 'event data is not JSON').toBe('valid JSON');
    return undefined;
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The events of a whole stream, parsed as EventSource does (comments and `retry:` skipped). */
export function parseEvents(text: string): SseEventRecord[] {
  const events: SseEventRecord[] = [];
  for (const block of text.split(/\n\n/)) {
    const event: { event?: string; id?: string; data?: string[] } = {};
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') (event.data ??= []).push(value);
      else if (field === 'id') event.id = value;
      else if (field === 'event') event.event = value;
    }
    if (event.data) events.push({ event: event.event ?? 'message', ...(event.id !== undefined ? { id: event.id } : {}), data: event.data.join('\n') });
  }
  return events;
}
