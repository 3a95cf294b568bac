/** Small HTTP helpers for the programs the packed tests start (all on 127.0.0.1). */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests poke at untyped JSON answers
  body: any;
}

export async function request(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('json')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Asks for a job until it has ended (the runners of these tests end at once). */
export async function waitForEnd(jobUrl: string, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  for (let i = 0; i < 200; i += 1) {
    const answer = await request(jobUrl, { headers });
    if (answer.status !== 200 || ['done', 'error', 'cancelled'].includes(answer.body.state)) return answer;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${jobUrl} did not end after 200 polls`);
}

/** Our JSON error format: `{"error": {"code", "message", "issues"?}}` and nothing else. */
export function isErrorBody(body: unknown, code: string): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const keys = Object.keys(body);
  const error = (body as { error?: Record<string, unknown> }).error;
  return keys.length === 1 && !!error && error.code === code && typeof error.message === 'string' && error.message.length > 0;
}
