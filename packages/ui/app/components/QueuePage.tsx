/**
 * The queue: jobs newest first, filterable by state, kind and a search, paged, the view kept in
 * the URL; how many jobs each state holds; a queued job's place in line, and the job it waits for
 * when one of its concurrency groups is busy. It reads the list once, then follows `/api/events`
 * (no polling): each job event updates, adds or removes a row, and moves places in line. While
 * the tab is hidden the stream is closed; it resumes from its last event when visible.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError, request, type Job, type JobState } from '../api';
import { followStream } from '../follow-stream';
import { rowFromHeadline, rowFromJob, shortId, type JobHeadline, type QueueRow } from '../headline';
import type { LineEvent } from '../queue-line';
import { MAX_SEARCH, STATES, parseQueueView, queueHash, type QueueView } from '../queue-query';
import { PAGE_SIZE, applyEvent, type Shown } from '../queue-rows';
import { BulkActions } from './BulkActions';
import { useQueueCounts } from './use-queue-counts';
import { ErrorBox, Loading, ProgressBar, StateBadge, formatSpan } from './bits';
import { RelativeTime } from './RelativeTime';
import { WaitingFor } from './WaitingFor';

const JOB_EVENTS = new Set<string>(['created', 'started', 'progress', 'finished', 'requeued', 'cancel-requested', 'waiting']);
/** Events that change how many jobs each state holds. */
const COUNTED_EVENTS = new Set<string>(['created', 'started', 'finished', 'requeued']);

function took(row: QueueRow): string {
  if (!row.startedAt) return '—';
  return formatSpan((row.finishedAt ? Date.parse(row.finishedAt) : Date.now()) - Date.parse(row.startedAt));
}

export function QueuePage({ hash, navigate, canWrite }: { hash: string; navigate: (hash: string) => void; canWrite: boolean }) {
  const view = parseQueueView(hash);
  const viewKey = queueHash(view);
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const [reloads, setReloads] = useState(0);
  /** The cursors of the newer pages this tab came through, for "Newer". */
  const trail = useRef<Array<string | null>>([]);
  const { counts, changed: countsChanged } = useQueueCounts(view.kind, view.q);
  const [search, setSearch] = useState(view.q);
  useEffect(() => setSearch(view.q), [view.q]);

  useEffect(() => {
    const current = parseQueueView(viewKey);
    const controller = new AbortController();
    let lastEventId: string | null = null;
    /** Events that arrive while the list is read: applied on top of it, in order. */
    let pending: Array<[LineEvent, QueueRow]> | null = null;

    const load = async () => {
      pending = [];
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      for (const state of current.states) query.append('state', state);
      if (current.kind) query.set('kind', current.kind);
      if (current.q) query.set('q', current.q);
      if (current.cursor) query.set('cursor', current.cursor);
      try {
        const page = await request<{ jobs: Job[]; nextCursor: string | null }>(`builds?${query}`);
        if (controller.signal.aborted) return;
        let next: Shown = { rows: page.jobs.map(rowFromJob), nextCursor: page.nextCursor };
        for (const [type, row] of pending) next = applyEvent(next, type, row, current);
        setShown(next);
        setError(null);
      } catch (e) {
        if (!controller.signal.aborted && !(e instanceof ApiError && e.status === 401)) setError((e as Error).message);
      } finally {
        pending = null;
      }
    };

    // Every job's events, whatever the filters: places in line move with jobs of either kind, and
    // a job leaving the states shown must leave the view too. The filters are applied here.
    void followStream({
      path: () => 'events',
      lastEventId: () => lastEventId,
      onReconnecting: setReconnecting,
      signal: controller.signal,
      onEvent(message) {
        if (message.id !== undefined) lastEventId = message.id;
        if (message.event === 'ready') {
          if (!(JSON.parse(message.data) as { resumed: boolean }).resumed) void load();
        } else if (message.event === 'reset') {
          void load();
        } else if (JOB_EVENTS.has(message.event)) {
          const type = message.event as LineEvent;
          const row = rowFromHeadline(JSON.parse(message.data) as JobHeadline);
          if (COUNTED_EVENTS.has(type)) countsChanged();
          if (pending) pending.push([type, row]);
          else setShown((before) => before && applyEvent(before, type, row, current));
        }
      },
    });
    return () => controller.abort();
  }, [viewKey, reloads, countsChanged]);

  const show = (change: Partial<QueueView>) => {
    if (change.cursor === undefined) trail.current = [];
    navigate(queueHash({ ...view, cursor: null, ...change }));
  };
  const toggleState = (state: JobState) =>
    show({ states: view.states.includes(state) ? view.states.filter((s) => s !== state) : STATES.filter((s) => s === state || view.states.includes(s)) });

  const filtered = view.states.length > 0 || view.kind !== '' || view.q !== '';
  return (
    <section aria-labelledby="queue-title">
      <div className="toolbar">
        <h1 id="queue-title">Queue</h1>
        <fieldset className="state-filter">
          <legend>State</legend>
          {STATES.map((state) => (
            <label key={state} className={`chip${view.states.includes(state) ? ' chip-on' : ''}`}>
              <input type="checkbox" checked={view.states.includes(state)} onChange={() => toggleState(state)} /> {state}
              {counts && <span className="chip-count">{counts[state].toLocaleString('en-US')}</span>}
            </label>
          ))}
        </fieldset>
        <label>
          Kind{' '}
          <select value={view.kind} onChange={(event) => show({ kind: event.target.value as QueueView['kind'] })}>
            <option value="">all</option>
            <option>build</option>
            <option>deploy</option>
          </select>
        </label>
        <form
          role="search"
          className="queue-search"
          onSubmit={(event) => {
            event.preventDefault();
            show({ q: search.trim() });
          }}
        >
          <input
            type="search"
            value={search}
            maxLength={MAX_SEARCH}
            placeholder="Service, image or user"
            aria-label="Search jobs by service, image or user"
            onChange={(event) => {
              setSearch(event.target.value);
              // The browser's own clear button empties the field: show everything again.
              if (event.target.value === '' && view.q) show({ q: '' });
            }}
          />
          <button type="submit" className="secondary">
            Search
          </button>
        </form>
        {filtered && (
          <button type="button" className="link" onClick={() => show({ states: [], kind: '', q: '' })}>
            Clear filters
          </button>
        )}
        {canWrite && <BulkActions view={view} counts={counts} />}
      </div>
      {reconnecting && <p className="notice">Connection lost; reconnecting to the live queue…</p>}
      {error && <ErrorBox title="Could not load the queue" message={error} onRetry={() => setReloads((n) => n + 1)} />}
      {!shown && !error && <Loading what="jobs" />}
      {shown && shown.rows.length === 0 && <p className="empty">{view.q ? `No job is about “${view.q}” with these filters. A search matches a whole service, image or user name.` : filtered ? 'No job matches these filters.' : 'No jobs yet. Start a build or a deploy.'}</p>}
      {shown && shown.rows.length > 0 && (
        <table className="jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Kind</th>
              <th>State</th>
              <th>What</th>
              <th>Who</th>
              <th>Created</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {shown.rows.map((row) => (
              <tr key={row.id} data-job={row.id}>
                <td data-label="Job">
                  <a href={`#/jobs/${row.id}`} title={row.id} aria-label={`Job ${row.id}`}>
                    <code>{shortId(row.id)}</code>
                  </a>
                </td>
                <td data-label="Kind">{row.kind}</td>
                <td data-label="State">
                  <StateBadge state={row.state} />
                  {row.state === 'queued' && row.placeInLine !== undefined && (
                    <span className="place" title="Its place in line: 1 starts next">
                      #{row.placeInLine} in line
                    </span>
                  )}
                  {row.state === 'queued' && row.waitingFor && <WaitingFor wait={row.waitingFor} />}
                  {row.state === 'running' && <ProgressBar value={row.progress} label={`Progress of ${row.id}`} />}
                </td>
                <td data-label="What">
                  {row.what}
                  {row.state === 'error' && row.error && <span className="row-error">{row.error}</span>}
                </td>
                <td data-label="Who">{row.user?.name ?? row.user?.sub ?? '—'}</td>
                <td data-label="Created">
                  <RelativeTime iso={row.createdAt} />
                </td>
                <td data-label="Took">{took(row)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={!view.cursor}
          onClick={() => navigate(queueHash({ ...view, cursor: trail.current.pop() ?? null }))}
        >
          {view.cursor && trail.current.length === 0 ? '← Newest' : '← Newer'}
        </button>
        <button
          type="button"
          disabled={!shown?.nextCursor}
          onClick={() => {
            if (!shown?.nextCursor) return;
            trail.current.push(view.cursor);
            navigate(queueHash({ ...view, cursor: shown.nextCursor }));
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}
