/**
 * Places in line and searched views kept true from events alone (no browser needed): who moves
 * up when a job ahead starts or is cancelled while waiting, who moves down when one joins, and
 * which new jobs a search lets into the view.
 */
import { describe, expect, it } from 'vitest';
import type { QueueRow } from '../app/headline';
import { rowFromHeadline, type JobHeadline } from '../app/headline';
import { applyLineEvent } from '../app/queue-line';
import { applyEvent, type Shown } from '../app/queue-rows';
import { parseQueueView } from '../app/queue-query';
import { termsOfHeadline } from '../app/search-terms';

const row = (id: string, state: QueueRow['state'], placeInLine?: number, startedAt: string | null = null): QueueRow => ({
  id,
  kind: 'deploy',
  state,
  progress: 0,
  createdAt: '2026-11-28T10:00:00Z',
  startedAt,
  finishedAt: null,
  error: null,
  user: null,
  what: id,
  terms: [],
  ...(placeInLine === undefined ? {} : { placeInLine }),
});
const places = (rows: QueueRow[]) => Object.fromEntries(rows.map((r) => [r.id, r.placeInLine]));

describe('places in line from events', () => {
  const line = [row('a', 'running', undefined, 'x'), row('b', 'queued', 1), row('c', 'queued', 2), row('d', 'queued', 3)];

  it('moves everyone after a job up one when it starts, and the job loses its place', () => {
    const { rows, row: started } = applyLineEvent(line, 'started', row('b', 'running', undefined, 'x'));
    expect(places(rows)).toEqual({ a: undefined, b: 1, c: 1, d: 2 });
    expect(started.placeInLine).toBeUndefined();
  });

  it('moves everyone after a job up one when it is cancelled while waiting, and nobody when a running one ends', () => {
    expect(places(applyLineEvent(line, 'finished', row('c', 'cancelled')).rows)).toEqual({ a: undefined, b: 1, c: 2, d: 2 });
    expect(places(applyLineEvent(line, 'finished', row('a', 'done', undefined, 'x')).rows)).toEqual(places(line));
    // Not shown (another page): it was queued if it never started.
    expect(places(applyLineEvent(line, 'finished', row('bb', 'cancelled')).rows)).toEqual({ a: undefined, b: 1, c: 1, d: 2 });
  });

  it('gives a created job the place its event says, and a requeued one the place after the job ahead of it', () => {
    expect(applyLineEvent(line, 'created', row('e', 'queued', 4)).row.placeInLine).toBe(4);
    const { rows, row: requeued } = applyLineEvent(line, 'requeued', row('bb', 'queued'));
    expect(requeued.placeInLine).toBe(2);
    expect(places(rows)).toEqual({ a: undefined, b: 1, c: 3, d: 4 });
  });

  it('keeps a queued job\'s place through events that do not move the line', () => {
    expect(applyLineEvent(line, 'progress', row('c', 'queued')).row.placeInLine).toBe(2);
  });
});

describe('a searched view', () => {
  const headline = (services: string[], images: string[], user: JobHeadline['user'] = null): JobHeadline => ({
    id: `01a2${services.join('')}`,
    kind: 'deploy',
    state: 'queued',
    progress: 0,
    attempt: 0,
    createdAt: '2026-11-28T10:00:00Z',
    startedAt: null,
    finishedAt: null,
    cancelRequestedAt: null,
    error: null,
    user,
    cancelledBy: null,
    retryOf: null,
    services,
    images,
    placeInLine: 1,
  });

  it('matches a service, an image, its repository, its last part and a user, whole and without case, as the server does', () => {
    const terms = termsOfHeadline(headline(['rag-service'], ['Registry.example:5000/team/rag-image:1.2@sha256:abc'], { sub: 'alice', name: 'Alice M' }));
    expect(terms).toEqual(
      expect.arrayContaining(['rag-service', 'registry.example:5000/team/rag-image:1.2@sha256:abc', 'registry.example:5000/team/rag-image', 'rag-image', 'alice', 'alice m']),
    );
    expect(terms).not.toContain('rag');
  });

  it('lets a new job in only when it matches the search', () => {
    const view = parseQueueView('#/?q=RAG-service');
    const empty: Shown = { rows: [], nextCursor: null };
    expect(applyEvent(empty, 'created', rowFromHeadline(headline(['rag-service'], ['r/rag:1'])), view).rows).toHaveLength(1);
    expect(applyEvent(empty, 'created', rowFromHeadline(headline(['other'], ['r/other:1'])), view).rows).toHaveLength(0);
  });
});
