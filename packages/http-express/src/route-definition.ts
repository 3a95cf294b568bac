/**
 * A framework-neutral route: what it accepts (zod schemas, also the source of the OpenAPI
 * document) and a handler from parsed input to a status and body. An adapter for Express,
 * Fastify or Koa is a loop over these.
 */
import type { JobUser, Role } from '@docker-builder/core';
import type { z } from 'zod';

export interface SseEvent {
  id?: string;
  event?: string;
  /** Absent: an `id:` alone, which moves the client's `Last-Event-ID` on without an event (EventSource dispatches none). */
  data?: string;
}

export type RouteResult =
  | { status: number; body: unknown }
  /**
   * A Server-Sent Events stream; the adapter handles heartbeats, backpressure and disconnects.
   * `gauge`: what the host's stream gauge counts it as (`onStream`); default `sse`, a log.
   */
  | { status: 200; events: (signal: AbortSignal) => AsyncIterable<SseEvent>; gauge?: 'sse' | 'events' }
  /** A streamed text body, written chunk by chunk with backpressure. */
  | { status: 200; text: (signal: AbortSignal) => AsyncIterable<string>; contentType: string; headers?: Record<string, string> };

export interface RouteInput<P, Q, B, H = Record<string, never>> {
  params: P;
  query: Q;
  body: B;
  /** The request headers the route declares, parsed. */
  headers: H;
  user: JobUser | null;
  /** What the user may do: `admin` when there is no auth hook or it gave no role. */
  role: Role;
  /** False for a user the host made read-only. */
  canWrite: boolean;
  header(name: string): string | undefined;
}

export interface ResponseDefinition {
  description: string;
  /** The JSON body. */
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
  /** For `text/event-stream`: the events the stream sends, by name. */
  events?: Record<string, StreamEventDefinition>;
}

export interface StreamEventDefinition {
  description: string;
  /** What the event's `data` holds: text, or with `json`, the JSON encoding of a value. */
  data: z.ZodType;
  json?: boolean;
  /** The event carries an `id` (its position, for `Last-Event-ID`). */
  id?: boolean;
  /** What such an id looks like: a regular expression. */
  idPattern?: string;
}

export interface RouteDefinition<P = any, Q = any, B = any, H = any> {
  method: 'get' | 'post';
  /** Express-style path relative to the mount point, e.g. `/build/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Routes that change nothing and reveal no job data skip the auth hook. */
  public?: boolean;
  /** Routes that change something; refused (403) for users the host made read-only. */
  mutates?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** A JSON request body, required with `Content-Type: application/json`. */
  body?: z.ZodType<B>;
  /**
   * Request headers the route reads, as an object schema keyed by header name (any case): the
   * adapter hands it those headers, an empty one as absent, and documents them.
   */
  headers?: z.ZodType<H> & { shape: Record<string, unknown> };
  responses: Record<number, ResponseDefinition>;
  handler(input: RouteInput<P, Q, B, H>): Promise<RouteResult>;
}

/** Keeps each route's parameter types tied to its schemas. */
export function defineRoute<P, Q, B, H = Record<string, never>>(route: RouteDefinition<P, Q, B, H>): RouteDefinition {
  return route as RouteDefinition;
}
