/**
 * The queue: jobs newest first, filterable, paged, the view kept in the URL. It reads the list
 * once, then follows `/api/events` (no polling): each job event updates, adds or removes a row.
 * While the tab is hidden the stream is closed; it resumes from its last event when visible.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError, request, type Job, type JobState } from '../api';
import { followStream } from '../follow-stream';
import { rowFromHeadline, rowFromJob, shortId, type JobHeadline, type QueueRow } from '../headline';
import { STATES, parseQueueView, queueHash, type QueueView } from '../queue-query';
import { ErrorBox, Loading, ProgressBar, StateBadge, formatSpan } from './bits';
import { RelativeTime } from './RelativeTime';

const PAGE_SIZE = 25;
const JOB_EVENTS = new Set(['created', 'started', 'progress', 'finished', 'requeued', 'cancel-requested']);

interface Shown {
  rows: QueueRow[];
  nextCursor: string | null;
}

/** A job event applied to the rows shown: updated, dropped once it leaves the filter, or added where it sorts. */
export function applyEvent(shown: Shown, row: QueueRow, view: QueueView): Shown {
  const matches = (view.states.length === 0 || view.states.includes(row.state)) && (!view.kind || view.kind === row.kind);
  const at = shown.rows.findIndex((r) => r.id === row.id);
  if (at >= 0) {
    const rows = matches ? shown.rows.with(at, row) : shown.rows.toSpliced(at, 1);
    return { ...shown, rows };
  }
  // Older pages do not move under the reader; the first page shows what is new.
  if (!matches || view.cursor) return shown;
  const last = shown.rows[shown.rows.length - 1];
  if (shown.rows.length >= PAGE_SIZE && last && row.id < last.id) return shown;
  const rows = [...shown.rows, row].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, PAGE_SIZE);
  return { ...shown, rows };
}

function took(row: QueueRow): string {
  if (!row.startedAt) return '—';
  return formatSpan((row.finishedAt ? Date.parse(row.finishedAt) : Date.now()) - Date.parse(row.startedAt));
}

export function QueuePage({ hash, navigate }: { hash: string; navigate: (hash: string) => void }) {
  const view = parseQueueView(hash);
  const viewKey = queueHash(view);
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const [reloads, setReloads] = useState(0);
  /** The cursors of the newer pages this tab came through, for "Newer". */
  const trail = useRef<Array<string | null>>([]);

  useEffect(() => {
    const current = parseQueueView(viewKey);
    const controller = new AbortController();
    let lastEventId: string | null = null;
    /** Events that arrive while the list is read: applied on top of it, in order. */
    let pending: QueueRow[] | null = null;

    const load = async () => {
      pending = [];
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      for (const state of current.states) query.append('state', state);
      if (current.kind) query.set('kind', current.kind);
      if (current.cursor) query.set('cursor', current.cursor);
      try {
        const page = await request<{ jobs: Job[]; nextCursor: string | null }>(`builds?${query}`);
        if (controller.signal.aborted) return;
        let next: Shown = { rows: page.jobs.map(rowFromJob), nextCursor: page.nextCursor };
        for (const row of pending) next = applyEvent(next, row, current);
        setShown(next);
        setError(null);
      } catch (e) {
        if (!controller.signal.aborted && !(e instanceof ApiError && e.status === 401)) setError((e as Error).message);
      } finally {
        pending = null;
      }
    };

    // Kind never changes, so the server filters it; a state filter is applied here, because a
    // job leaving the states shown must leave the view too.
    void followStream({
      path: () => `events${current.kind ? `?kind=${current.kind}` : ''}`,
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
          const row = rowFromHeadline(JSON.parse(message.data) as JobHeadline);
          if (pending) pending.push(row);
          else setShown((before) => before && applyEvent(before, row, current));
        }
      },
    });
    return () => controller.abort();
  }, [viewKey, reloads]);

  const show = (change: Partial<QueueView>) => {
    if (change.cursor === undefined) trail.current = [];
    navigate(queueHash({ ...view, cursor: null, ...change }));
  };
  const toggleState = (state: JobState) =>
    show({ states: view.states.includes(state) ? view.states.filter((s) => s !== state) : STATES.filter((s) => s === state || view.states.includes(s)) });

  const filtered = view.states.length > 0 || view.kind !== '';
  return (
    <section aria-labelledby="queue-title">
      <div className="toolbar">
        <h1 id="queue-title">Queue</h1>
        <fieldset className="state-filter">
          <legend>State</legend>
          {STATES.map((state) => (
            <label key={state} className={`chip${view.states.includes(state) ? ' chip-on' : ''}`}>
              <input type="checkbox" checked={view.states.includes(state)} onChange={() => toggleState(state)} /> {state}
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
        {filtered && (
          <button type="button" className="link" onClick={() => show({ states: [], kind: '' })}>
            Clear filters
          </button>
        )}
      </div>
      {reconnecting && <p className="notice">Connection lost; reconnecting to the live queue…</p>}
      {error && <ErrorBox title="Could not load the queue" message={error} onRetry={() => setReloads((n) => n + 1)} />}
      {!shown && !error && <Loading what="jobs" />}
      {shown && shown.rows.length === 0 && <p className="empty">{filtered ? 'No job matches these filters.' : 'No jobs yet. Start a build or a deploy.'}</p>}
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
