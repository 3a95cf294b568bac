/** One job: its state and progress, its live log, its error or result, cancel and retry. */
import { useEffect, useRef, useState } from 'react';
import { ApiError, apiUrl, authHeaders, isTerminal, postJson, request, type Job } from '../api';
import { followLog } from '../log-stream';
import { ErrorBox, Loading, ProgressBar, StateBadge, duration, when } from './bits';
import { LogView } from './LogView';

export function JobPage({ id, canWrite, navigate }: { id: string; canWrite: boolean; navigate: (hash: string) => void }) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const lines = useRef<string[]>([]);
  const filled = useRef(0);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    lines.current = [];
    filled.current = 0;
    setVersion(0);
    setJob(null);
    let stopped = false;
    const controller = new AbortController();
    let frame = 0;
    const refresh = async () => {
      try {
        const current = await request<Job>(`build/${id}?logsLimit=0`);
        if (!stopped) setJob(current);
        setError(null);
        return current;
      } catch (e) {
        if (!stopped && !(e instanceof ApiError && e.status === 401)) setError((e as Error).message);
        return null;
      }
    };
    void refresh();
    const timer = setInterval(async () => {
      const current = await refresh();
      if (current && isTerminal(current.state)) clearInterval(timer);
    }, 1_000);
    void followLog(
      id,
      {
        onLines(first, added) {
          for (let i = 0; i < added.length; i += 1) {
            if (lines.current[first + i] === undefined) filled.current += 1;
            lines.current[first + i] = added[i]!;
          }
          // Many lines in one frame re-render once.
          if (!frame) frame = requestAnimationFrame(() => ((frame = 0), setVersion((v) => v + 1)));
        },
        onEnd: () => void refresh(),
        onReconnecting: (waiting) => setReconnecting(waiting),
      },
      controller.signal,
    );
    return () => {
      stopped = true;
      controller.abort();
      clearInterval(timer);
      cancelAnimationFrame(frame);
    };
  }, [id]);

  const act = async (action: 'cancel' | 'retry') => {
    setActionError(null);
    try {
      const result = await postJson<{ id: string } & Partial<Job>>(`build/${id}/${action}`);
      if (action === 'retry') navigate(`#/jobs/${result.id}`);
      else setJob(result as Job);
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  const openLog = async (download: boolean) => {
    const url = await apiUrl(`build/${id}/logs.txt${download ? '?download=1' : ''}`);
    if (!authHeaders().Authorization) {
      window.open(url, '_blank', 'noopener');
      return;
    }
    // A link cannot carry the bearer token: fetch it, then hand the browser the file.
    const blob = await (await fetch(url, { headers: authHeaders() })).blob();
    const objectUrl = URL.createObjectURL(blob);
    const link = Object.assign(document.createElement('a'), { href: objectUrl, target: '_blank', rel: 'noopener' });
    if (download) link.download = `job-${id}.log`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
  };

  if (error && !job) return <ErrorBox title="Could not load the job" message={error} />;
  if (!job) return <Loading what="the job" />;
  const result = job.result as { references?: string[]; digest?: string | null; pushed?: string[] } | null;

  return (
    <section aria-labelledby="job-title" className="job">
      <div className="toolbar">
        <h1 id="job-title">
          {job.kind === 'build' ? 'Build' : 'Deploy'} <code>{job.id}</code>
        </h1>
        <StateBadge state={job.state} />
      </div>
      <ProgressBar value={job.progress} label="Job progress" />
      <dl className="facts">
        <dt>Submitted</dt>
        <dd>
          {when(job.createdAt)}
          {job.user ? ` by ${job.user.name ?? job.user.sub}` : ''}
        </dd>
        <dt>Took</dt>
        <dd>{duration(job)}</dd>
        {job.cancelledBy && (
          <>
            <dt>{job.state === 'cancelled' ? 'Cancelled' : 'Cancel asked'}</dt>
            <dd>
              {job.state === 'cancelled' && job.finishedAt ? when(job.finishedAt) : job.cancelRequestedAt ? when(job.cancelRequestedAt) : ''}
              {` by ${job.cancelledBy.name ?? job.cancelledBy.sub}`}
            </dd>
          </>
        )}
        {job.retryOf && (
          <>
            <dt>Retry of</dt>
            <dd>
              <a href={`#/jobs/${job.retryOf}`}>{job.retryOf.slice(0, 8)}</a>
            </dd>
          </>
        )}
        {job.kind === 'deploy' ? (
          <>
            <dt>Mappings</dt>
            <dd>
              <ul className="mappings">
                {Object.entries(job.spec.mappings ?? {}).map(([service, image]) => (
                  <li key={service}>
                    <strong>{service}</strong> → <code>{image}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : (
          <>
            <dt>Service</dt>
            <dd>
              {job.spec.service} <span className="muted">from {job.spec.context}</span>
            </dd>
          </>
        )}
      </dl>
      {job.state === 'error' && job.error && <ErrorBox title="This job failed" message={job.error} />}
      {job.state === 'cancelled' && <p className="notice">Cancelled{job.error ? `: ${job.error}` : '.'}</p>}
      {job.state === 'done' && result?.references && (
        <div className="result">
          <strong>Images</strong>
          <ul>
            {result.references.map((reference) => (
              <li key={reference}>
                <code>{reference}</code> {result.pushed?.includes(reference) ? <span className="muted">pushed</span> : null}
              </li>
            ))}
          </ul>
          {result.digest && (
            <p>
              Digest <code>{result.digest}</code>
            </p>
          )}
        </div>
      )}
      <div className="actions">
        {canWrite && !isTerminal(job.state) && (
          <button type="button" className="danger" onClick={() => void act('cancel')} disabled={Boolean(job.cancelRequestedAt)}>
            {job.cancelRequestedAt ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
        {canWrite && isTerminal(job.state) && (
          <button type="button" onClick={() => void act('retry')}>
            Retry
          </button>
        )}
        <button type="button" className="link" onClick={() => void openLog(false)}>
          Raw log
        </button>
        <button type="button" className="link" onClick={() => void openLog(true)}>
          Download log
        </button>
      </div>
      {actionError && <ErrorBox title="That did not work" message={actionError} />}
      {reconnecting && <p className="notice">Connection lost; reconnecting to the log…</p>}
      <LogView lines={lines.current} version={version} filled={filled.current} />
    </section>
  );
}
