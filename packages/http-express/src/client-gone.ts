/**
 * Knowing that a client has gone, from the first middleware of a route on. A route may await
 * the store (or the auth hook) for a while; a `close` that fires meanwhile is never seen by a
 * listener added afterwards, and a stream started then would wait for a `drain` that never
 * comes (client-disconnect.test.ts hangs clients up at exactly that moment).
 */
import type { ServerResponse } from 'node:http';

/** Aborted once the response closes: the client hung up, or the response is complete. */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (isClientGone(response)) controller.abort();
  else response.once('close', () => controller.abort());
  return controller.signal;
}

export function isClientGone(response: ServerResponse): boolean {
  return response.destroyed || response.closed || response.socket?.destroyed === true;
}
