/** The queue: jobs newest first, live, filterable, paged. */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, request, type Job } from '../api';
import { ErrorBox, Loading, ProgressBar, StateBadge, duration, summary, when } from './bits';

const STATES = ['queued', 'running', 'done', 'error', 'cancelled'];

export function QueuePage() {
  const [state, setState] = useState('');
  const [kind, setKind] = useState('');
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [page, setPage] = useState<{ jobs: Job[]; nextCursor: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];

  const load = useCallback(async () => {
    const query = new URLSearchParams({ limit: '25' });
    if (state) query.set('state', state);
    if (kind) query.set('kind', kind);
    if (cursor) query.set('cursor', cursor);
    try {
      setPage(await request(`builds?${query}`));
      setError(null);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) setError((e as Error).message);
    }
  }, [state, kind, cursor]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2_000);
    return () => clearInterval(timer);
  }, [load]);

  const filter = (set: (value: string) => void) => (event: React.ChangeEvent<HTMLSelectElement>) => {
    set(event.target.value);
    setCursors([null]);
  };

  return (
    <section aria-labelledby="queue-title">
      <div className="toolbar">
        <h1 id="queue-title">Queue</h1>
        <label>
          State{' '}
          <select value={state} onChange={filter(setState)}>
            <option value="">all</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Kind{' '}
          <select value={kind} onChange={filter(setKind)}>
            <option value="">all</option>
            <option>build</option>
            <option>deploy</option>
          </select>
        </label>
      </div>
      {error && <ErrorBox title="Could not load the queue" message={error} onRetry={() => void load()} />}
      {!page && !error && <Loading what="jobs" />}
      {page && page.jobs.length === 0 && (
        <p className="empty">{state || kind ? 'No job matches these filters.' : 'No jobs yet. Start a build or a deploy.'}</p>
      )}
      {page && page.jobs.length > 0 && (
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
            {page.jobs.map((job) => (
              <tr key={job.id} data-job={job.id}>
                <td data-label="Job">
                  <a href={`#/jobs/${job.id}`}>{job.id.slice(0, 8)}</a>
                </td>
                <td data-label="Kind">{job.kind}</td>
                <td data-label="State">
                  <StateBadge state={job.state} />
                  {job.state === 'running' && <ProgressBar value={job.progress} label={`Progress of ${job.id}`} />}
                </td>
                <td data-label="What">{summary(job)}</td>
                <td data-label="Who">{job.user?.name ?? job.user?.sub ?? '—'}</td>
                <td data-label="Created">{when(job.createdAt)}</td>
                <td data-label="Took">{duration(job)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Newer
        </button>
        <button type="button" disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
          Older →
        </button>
      </nav>
    </section>
  );
}
