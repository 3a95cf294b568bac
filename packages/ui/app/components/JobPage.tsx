/** One job: its state and progress, its live log, its error or result, cancel and retry. */
import { useEffect, useRef, useState } from 'react';
import { ApiError, apiUrl, authHeaders, isTerminal, postJson, request, type Job } from '../api';
import type { JobHeadline } from '../headline';
import { followLog } from '../log-stream';
import { LogTimes } from '../log-times';
import { jobTitle, pageTitle } from '../title';
import { ErrorBox, Loading, ProgressBar, StateBadge, summary } from './bits';
import { ConfirmDialog } from './ConfirmDialog';
import { JobFacts } from './JobFacts';
import { JobLog } from './JobLog';

export interface JobPageProps {
  id: string;
  /** The log line the URL points at (`#L123`), from 1. */
  line?: number | null;
  canWrite: boolean;
  navigate: (hash: string) => void;
}

/** What a stream's state or progress event changes; the full error, result and log length come with the read at the end. */
function withHeadline(job: Job, headline: JobHeadline): Job {
  const { state, progress, attempt, startedAt, finishedAt, cancelRequestedAt, cancelledBy, waitingFor } = headline;
  return {
    ...job,
    state,
    progress,
    attempt,
    startedAt,
    finishedAt,
    cancelRequestedAt,
    cancelledBy,
    error: job.error ?? headline.error,
    // A server older than groups sends none: keep what the read said.
    ...(waitingFor !== undefined ? { waitingFor } : {}),
  };
}

export function JobPage({ id, line = null, canWrite, navigate }: JobPageProps) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [reconnecting, setReconnecting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const lines = useRef<string[]>([]);
  const filled = useRef(0);
  const times = useRef(new LogTimes());
  const [version, setVersion] = useState(0);

  useEffect(() => {
    lines.current = [];
    filled.current = 0;
    times.current = new LogTimes();
    setVersion(0);
    setJob(null);
    let stopped = false;
    const controller = new AbortController();
    let frame = 0;
    /** The stream's newest word on the job: it may come before the read below answers. */
    let latest: JobHeadline | null = null;
    const refresh = async () => {
      try {
        const current = await request<Job>(`build/${id}?logsLimit=0`);
        if (!stopped) setJob(latest && !isTerminal(current.state) ? withHeadline(current, latest) : current);
        setError(null);
        return current;
      } catch (e) {
        if (!stopped && !(e instanceof ApiError && e.status === 401)) setError((e as Error).message);
        return null;
      }
    };
    // The job once, for what the stream does not carry (spec, result, log length); then its stream says what changes.
    void refresh();
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
        onTime: (from, at) => times.current.add(from, at),
        onJob: (headline) => {
          latest = headline;
          if (!stopped) setJob((before) => before && withHeadline(before, headline));
        },
        onEnd: () => void refresh(),
        onReconnecting: (waiting) => setReconnecting(waiting),
      },
      controller.signal,
    );
    return () => {
      stopped = true;
      controller.abort();
      cancelAnimationFrame(frame);
    };
  }, [id]);

  useEffect(() => {
    document.title = job ? jobTitle(job) : pageTitle('Job');
  }, [job]);

  // Nothing left to confirm once the job has ended on its own.
  const ended = job ? isTerminal(job.state) : false;
  useEffect(() => {
    if (ended) setConfirming(false);
  }, [ended]);

  const act = async (action: 'cancel' | 'retry') => {
    setConfirming(false);
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
      <ProgressBar value={job.progress} label="Job progress" state={job.state} />
      <JobFacts job={job} />
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
          <button
            type="button"
            className="danger"
            // Stopping a rollout half-way can leave services on different versions: ask first.
            onClick={() => (job.kind === 'deploy' && job.state === 'running' ? setConfirming(true) : void act('cancel'))}
            disabled={Boolean(job.cancelRequestedAt)}
          >
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
      <JobLog
        jobId={id}
        lines={lines.current}
        version={version}
        filled={filled.current}
        times={times.current}
        line={line}
        jobError={job.error}
        offerFirstError={job.state !== 'done'}
        complete={isTerminal(job.state) && job.logsTotal !== undefined && filled.current >= job.logsTotal}
      />
      {confirming && (
        <ConfirmDialog
          title="Stop this deploy?"
          confirmLabel="Stop the deploy"
          keepLabel="Keep it running"
          onConfirm={() => void act('cancel')}
          onClose={() => setConfirming(false)}
        >
          <p>
            It is rolling out <strong>{summary(job)}</strong> now. Stopping part-way can leave some services on the new image and
            others on the old one.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
