/**
 * Server-Sent Events read with fetch, because EventSource cannot send the bearer token. One
 * connection: events are handed over as they arrive; it resolves when the handler says stop or
 * the server ends the stream, and rejects when the connection fails (the caller decides what next).
 */
import { apiUrl, authHeaders } from './api';

export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

export async function readSse(
  path: string,
  lastEventId: string | null,
  signal: AbortSignal,
  onEvent: (message: SseMessage) => 'stop' | void,
  onOpen?: () => void,
): Promise<'stopped' | 'ended'> {
  const headers: Record<string, string> = { ...authHeaders(), Accept: 'text/event-stream' };
  if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
  const response = await fetch(await apiUrl(path), { headers, signal, cache: 'no-store' });
  if (!response.ok || !response.body) throw new Error(`${path} answered ${response.status}`);
  onOpen?.();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { name: 'message', id: undefined as string | undefined, data: [] as string[] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          // An `id:` alone moves the position on with nothing to handle (a filtered-out event).
          if (event.data.length > 0 || event.id !== undefined) {
            if (onEvent({ event: event.name, id: event.id, data: event.data.join('\n') }) === 'stop') return 'stopped';
          }
          event = { name: 'message', id: undefined, data: [] };
        } else if (line.startsWith('data:')) event.data.push(line.slice(5).replace(/^ /, ''));
        else if (line.startsWith('id:')) event.id = line.slice(3).trim();
        else if (line.startsWith('event:')) event.name = line.slice(6).trim();
      }
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}
