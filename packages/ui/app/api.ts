/**
 * The HTTP API as the UI uses it. Every URL is relative to the page (or to ui-config.json's
 * `api`), so the UI works wherever it is mounted. A bearer token, when the server asks for
 * one, lives in sessionStorage and goes with every request.
 */

import type { GroupWait, JobGroup } from './groups';

export type JobState = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface JobUser {
  sub: string;
  name?: string;
}

export interface Job {
  id: string;
  kind: 'build' | 'deploy';
  state: JobState;
  progress: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  result: unknown;
  spec: { service?: string; image?: string; tags?: string[]; mappings?: Record<string, string>; context?: string };
  user: JobUser | null;
  retryOf: string | null;
  attempt: number;
  cancelRequestedAt: string | null;
  /** Who cancelled it (or asked it to stop); absent from servers older than the field. */
  cancelledBy?: JobUser | null;
  /** A queued job's place in line, 1 for the next to start. */
  placeInLine?: number;
  /** The concurrency groups it holds a slot in while it runs; absent from servers older than groups. */
  groups?: JobGroup[];
  /** Why a queued job has not started yet; null otherwise (absent from servers older than groups). */
  waitingFor?: GroupWait | null;
  /** Lines in the whole log (the job's own GET answers with it). */
  logsTotal?: number;
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'docker-builder-token';
let apiBase: Promise<string> | undefined;
const unauthorizedListeners = new Set<() => void>();

/** Where the API is: ui-config.json's `api` if the host serves one, else `api` next to the UI. */
export function apiRoot(): Promise<string> {
  apiBase ??= fetch(new URL('ui-config.json', document.baseURI))
    .then((response): Promise<{ api?: string }> | { api?: string } => (response.ok ? (response.json() as Promise<{ api?: string }>) : {}))
    .catch((): { api?: string } => ({}))
    .then((config) => new URL(`${(config.api ?? 'api').replace(/\/+$/, '')}/`, document.baseURI).href);
  return apiBase;
}

export async function apiUrl(path: string): Promise<string> {
  return new URL(path.replace(/^\//, ''), await apiRoot()).href;
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function authHeaders(): Record<string, string> {
  const value = token.get();
  return value ? { Authorization: `Bearer ${value}` } : {};
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(await apiUrl(path), { ...init, headers: { ...authHeaders(), ...init.headers } });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; issues?: FieldIssue[] } } | null)?.error;
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    throw new ApiError(response.status, error?.code ?? 'HTTP_ERROR', error?.message ?? `The server answered ${response.status}.`, error?.issues ?? []);
  }
  return body as T;
}

export const postJson = <T>(path: string, body?: unknown) =>
  request<T>(path, { method: 'POST', headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

export const isTerminal = (state: JobState) => state === 'done' || state === 'error' || state === 'cancelled';
