/**
 * Streamed responses. Server-Sent Events: headers that stop proxies from buffering,
 * a heartbeat comment, and backpressure. The next event is pulled only after the socket has
 * drained, so a slow client holds at most one socket buffer of log in this process. Nothing
 * starts for a client that has already gone, and everything stops when it goes.
 */
import type { ServerResponse } from 'node:http';
import type { SseEvent } from './route-definition.js';
import { isClientGone } from './client-gone.js';
import { toErrorResponse } from './error-response.js';

export interface StreamOptions {
  /** Aborted when the client goes (clientGoneSignal); the source is given it too. */
  signal: AbortSignal;
  /** For an error we did not raise on purpose, once headers are out: the host's log. */
  onUnexpectedError(error: unknown): void;
  /** Told when the stream starts and when it ends, once each: the host's gauge of open streams. */
  onStream?: (change: StreamChange) => void;
}

/** A stream started (+1) or ended (-1): a job's log live (`sse`) or as text (`text`), or the job event feed (`events`). */
export interface StreamChange {
  format: 'sse' | 'text' | 'events';
  delta: 1 | -1;
}

export interface SseOptions extends StreamOptions {
  heartbeatMs: number;
  /** Suggested reconnect delay for EventSource. */
  retryMs: number;
  /** What onStream counts it as; default `sse`. */
  gauge?: 'sse' | 'events';
}

export async function streamSse(
  response: ServerResponse,
  events: (signal: AbortSignal) => AsyncIterable<SseEvent>,
  options: SseOptions,
): Promise<void> {
  const { signal } = options;
  if (signal.aborted || isClientGone(response)) return;

  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.write(`retry: ${options.retryMs}\n\n`);
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), options.heartbeatMs);
  const format = options.gauge ?? 'sse';
  options.onStream?.({ format, delta: 1 });

  try {
    for await (const event of events(signal)) {
      if (signal.aborted) break;
      if (!response.write(formatEvent(event))) await drained(response, signal);
    }
  } catch (error) {
    // A failure after the client left has no one to tell, and is most likely the abort itself.
    if (!signal.aborted) {
      // The status line is long gone, so the error travels as an event with the JSON error body.
      const { body, unexpected } = toErrorResponse(error);
      if (unexpected) options.onUnexpectedError(error);
      response.write(formatEvent({ event: 'error', data: JSON.stringify(body) }));
    }
  } finally {
    clearInterval(heartbeat);
    if (!response.writableEnded) response.end();
    options.onStream?.({ format, delta: -1 });
  }
}

/** Writes a text body chunk by chunk, pulling the next chunk only once the socket has drained. */
export async function streamText(
  response: ServerResponse,
  result: { text: (signal: AbortSignal) => AsyncIterable<string>; contentType: string; headers?: Record<string, string> },
  options: StreamOptions,
): Promise<void> {
  const { signal } = options;
  if (signal.aborted || isClientGone(response)) return;

  response.writeHead(200, { 'Content-Type': result.contentType, 'Cache-Control': 'no-cache', ...result.headers });
  options.onStream?.({ format: 'text', delta: 1 });
  try {
    for await (const chunk of result.text(signal)) {
      if (signal.aborted) break;
      if (!response.write(chunk)) await drained(response, signal);
    }
  } catch (error) {
    if (!signal.aborted && toErrorResponse(error).unexpected) options.onUnexpectedError(error);
    // Ending the body normally would make a cut-short log look whole. Ending the connection
    // instead delivers what was written, then closes without the body's last chunk.
    if (response.socket) response.socket.end();
    else response.destroy();
    return;
  } finally {
    options.onStream?.({ format: 'text', delta: -1 });
  }
  if (!response.writableEnded) response.end();
}

export function formatEvent(event: SseEvent): string {
  let out = '';
  if (event.event) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.data !== undefined) for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Resolves when the socket takes more, or at once when it never will (the client has gone). */
function drained(response: ServerResponse, signal: AbortSignal): Promise<void> {
  if (signal.aborted || isClientGone(response)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
