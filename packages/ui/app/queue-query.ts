/**
 * The queue's view as the URL holds it (`#/?state=error&state=queued&kind=build&q=rag-service&cursor=…`), so a
 * reload keeps it and a link shares it. Anything unknown in the URL is dropped, not trusted.
 */
import type { JobState } from './api';

export const STATES: JobState[] = ['queued', 'running', 'done', 'error', 'cancelled'];

export interface QueueView {
  states: JobState[];
  kind: '' | 'build' | 'deploy';
  /** A search: a service, an image or a user, matched whole (empty: none). */
  q: string;
  cursor: string | null;
}

/** The longest search the API takes. */
export const MAX_SEARCH = 256;

export function parseQueueView(hash: string): QueueView {
  const query = new URLSearchParams(hash.split('?')[1] ?? '');
  const asked = new Set(query.getAll('state').flatMap((value) => value.split(',')));
  const kind = query.get('kind');
  const cursor = query.get('cursor');
  const q = (query.get('q') ?? '').trim();
  return {
    states: STATES.filter((state) => asked.has(state)),
    kind: kind === 'build' || kind === 'deploy' ? kind : '',
    q: q.length <= MAX_SEARCH ? q : '',
    cursor: cursor && cursor.length <= 200 ? cursor : null,
  };
}

export function queueHash(view: QueueView): string {
  const query = new URLSearchParams();
  for (const state of view.states) query.append('state', state);
  if (view.kind) query.set('kind', view.kind);
  if (view.q) query.set('q', view.q);
  if (view.cursor) query.set('cursor', view.cursor);
  const text = query.toString();
  return text ? `#/?${text}` : '#/';
}
