/**
 * Streamed responses. Server-Sent Events: headers that stop proxies from buffering,
 * a heartbeat comment, and backpressure. The next event is pulled only after the socket has
 * drained, so a slow client holds at most one socket buffer of log in this process.
 */
import type { ServerResponse } from 'node:http';
import type { SseEvent } from './route-definition.js';

export interface SseOptions {
  heartbeatMs: number;
  /** Suggested reconnect delay for EventSource. */
  retryMs: number;
}

export async function streamSse(
  response: ServerResponse,
  events: (signal: AbortSignal) => AsyncIterable<SseEvent>,
  options: SseOptions,
): Promise<void> {
  const controller = new AbortController();
  const onClose = () => controller.abort();
  response.on('close', onClose);

  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.write(`retry: ${options.retryMs}\n\n`);
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), options.heartbeatMs);

  try {
    for await (const event of events(controller.signal)) {
      if (controller.signal.aborted) break;
      if (!response.write(formatEvent(event))) await drained(response, controller.signal);
    }
  } finally {
    clearInterval(heartbeat);
    response.off('close', onClose);
    controller.abort();
    if (!response.writableEnded) response.end();
  }
}

/** Writes a text body chunk by chunk, pulling the next chunk only once the socket has drained. */
export async function streamText(
  response: ServerResponse,
  result: { text: (signal: AbortSignal) => AsyncIterable<string>; contentType: string; headers?: Record<string, string> },
): Promise<void> {
  const controller = new AbortController();
  const onClose = () => controller.abort();
  response.on('close', onClose);
  response.writeHead(200, { 'Content-Type': result.contentType, 'Cache-Control': 'no-cache', ...result.headers });
  try {
    for await (const chunk of result.text(controller.signal)) {
      if (controller.signal.aborted) break;
      if (!response.write(chunk)) await drained(response, controller.signal);
    }
  } finally {
    response.off('close', onClose);
    if (!response.writableEnded) response.end();
  }
}

export function formatEvent(event: SseEvent): string {
  let out = '';
  if (event.event) out += `event: ${event.event}\n`;
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

function drained(response: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    response.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
