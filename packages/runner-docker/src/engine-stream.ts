/**
 * Reads the JSON-lines stream the Docker engine answers /build and /images/push with. A
 * failed build still answers 200: the failure is an `error`/`errorDetail` object inside the
 * stream, so every object is checked here (dockerode's followProgress would report success).
 */

export interface EngineEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
}

export class EngineError extends Error {
  override name = 'EngineError';
}

/** Calls `onEvent` for each object as it arrives; rejects with the engine's message on an error object. */
export async function followEngineStream(stream: AsyncIterable<unknown> | NodeJS.ReadableStream, onEvent: (event: EngineEvent) => void): Promise<void> {
  let buffer = '';
  // A stream decoder, so a character split across two chunks is not garbled.
  const decoder = new TextDecoder();
  const handle = (text: string) => {
    if (!text.trim()) return;
    let event: EngineEvent;
    try {
      event = JSON.parse(text) as EngineEvent;
    } catch {
      event = { stream: `${text}\n` };
    }
    if (event.error || event.errorDetail) throw new EngineError(event.errorDetail?.message || event.error || 'the engine reported an error');
    onEvent(event);
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      handle(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  handle(buffer);
}

/**
 * Assembles log lines from events: the engine sends a line's text and its newline in separate
 * `stream` events, so only complete lines are emitted (the rest at `flush`). Status events
 * (pull and push) become lines without their progress bars.
 */
export function createLineAssembler(emit: (line: string) => void) {
  let partial = '';
  return {
    add(event: EngineEvent) {
      if (event.stream !== undefined) {
        const parts = (partial + event.stream).split('\n');
        partial = parts.pop()!;
        for (const line of parts) emit(line);
      } else if (event.status !== undefined && !(event.progressDetail && (event.progressDetail.current !== undefined || event.progress))) {
        emit(event.id ? `${event.id}: ${event.status}` : event.status);
      }
    },
    flush() {
      if (partial) emit(partial);
      partial = '';
    },
  };
}
