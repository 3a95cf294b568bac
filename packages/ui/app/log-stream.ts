/**
 * Follows a job's log over Server-Sent Events with fetch (EventSource cannot send a bearer
 * token). After a dropped connection it reconnects with Last-Event-ID, so no line is lost or
 * repeated; lines are handed over by index, and the caller stores them by index too.
 */
import { apiUrl, authHeaders } from './api';

export interface FollowHandlers {
  onLines(first: number, lines: string[]): void;
  onEnd(end: { state: string; error: string | null; progress: number }): void;
  onReconnecting?(waiting: boolean): void;
}

export async function followLog(jobId: string, handlers: FollowHandlers, signal: AbortSignal): Promise<void> {
  let next = 0;
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      const headers: Record<string, string> = { ...authHeaders(), Accept: 'text/event-stream' };
      if (next > 0) headers['Last-Event-ID'] = String(next - 1);
      const response = await fetch(await apiUrl(`build/${jobId}/logs`), { headers, signal });
      if (!response.ok || !response.body) throw new Error(`log stream answered ${response.status}`);
      handlers.onReconnecting?.(false);
      attempt = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let event = { name: 'message', id: undefined as string | undefined, data: [] as string[] };
      let batch: string[] = [];
      let batchStart = next;
      const flush = () => {
        if (batch.length > 0) handlers.onLines(batchStart, batch);
        batch = [];
        batchStart = next;
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (event.name === 'end') {
              flush();
              handlers.onEnd(JSON.parse(event.data.join('\n')) as { state: string; error: string | null; progress: number });
              return;
            }
            if (event.data.length > 0 && event.id !== undefined) {
              const index = Number(event.id);
              if (index === next) {
                batch.push(event.data.join('\n'));
                next += 1;
              }
            }
            event = { name: 'message', id: undefined, data: [] };
          } else if (line.startsWith('data:')) event.data.push(line.slice(5).replace(/^ /, ''));
          else if (line.startsWith('id:')) event.id = line.slice(3).trim();
          else if (line.startsWith('event:')) event.name = line.slice(6).trim();
        }
        flush();
      }
    } catch (error) {
      if (signal.aborted) return;
      void error;
    }
    handlers.onReconnecting?.(true);
    await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5_000)));
  }
}
