/**
 * Submits a job to a Docker Builder API and follows its log over Server-Sent Events until
 * it ends, resuming with Last-Event-ID if the connection drops. Plain fetch, no SDK needed.
 */

export interface FollowOptions {
  /** Where the router is mounted, e.g. http://127.0.0.1:8000/api */
  api: string;
  kind: 'build' | 'deploy';
  payload: unknown;
  token?: string;
  onLine?: (line: string) => void;
  /** How many times to reconnect after a dropped stream; default 10. */
  reconnects?: number;
}

export interface FollowResult {
  id: string;
  enqueued: boolean;
  state: string;
  error: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string; issues?: Array<{ path: string; message: string }> } },
  ) {
    const issues = body.error?.issues?.map((issue) => `\n  ${issue.path}: ${issue.message}`).join('') ?? '';
    super(`${status} ${body.error?.code ?? 'ERROR'}: ${body.error?.message ?? 'request failed'}${issues}`);
  }
}

export async function submitAndFollow(options: FollowOptions): Promise<FollowResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const path = options.kind === 'build' ? '/build' : '/deploy-services';
  const created = await fetch(`${options.api}${path}`, { method: 'POST', headers, body: JSON.stringify(options.payload) });
  const body = (await created.json()) as { id: string; enqueued: boolean };
  if (!created.ok) throw new ApiError(created.status, body as never);

  let lastEventId: string | undefined;
  for (let attempt = 0; attempt <= (options.reconnects ?? 10); attempt += 1) {
    const end = await readStream(`${options.api}/build/${body.id}/logs`, options, lastEventId, (id) => (lastEventId = id));
    if (end) return { id: body.id, enqueued: body.enqueued, state: end.state, error: end.error };
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
  throw new Error(`lost the log stream of job ${body.id} too many times`);
}

async function readStream(
  url: string,
  options: FollowOptions,
  lastEventId: string | undefined,
  onId: (id: string) => void,
): Promise<{ state: string; error: string | null } | null> {
  const headers: Record<string, string> = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch {
    return null;
  }
  if (!response.ok) throw new ApiError(response.status, (await response.json()) as never);
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { name: 'message', id: undefined as string | undefined, data: [] as string[] };
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (event.name === 'end') return JSON.parse(event.data.join('\n')) as { state: string; error: string | null };
          // An `error` event (the store failed mid-stream) is not a log line: reconnect and resume.
          if (event.name === 'error') return null;
          if (event.name === 'message' && event.data.length > 0) {
            options.onLine?.(event.data.join('\n'));
            if (event.id !== undefined) onId(event.id);
          }
          event = { name: 'message', id: undefined, data: [] };
        } else if (line.startsWith('data:')) event.data.push(line.slice(5).replace(/^ /, ''));
        else if (line.startsWith('id:')) event.id = line.slice(3).trim();
        else if (line.startsWith('event:')) event.name = line.slice(6).trim();
      }
    }
  } catch {
    // The connection dropped; the caller reconnects from the last line it saw.
  }
  return null;
}
