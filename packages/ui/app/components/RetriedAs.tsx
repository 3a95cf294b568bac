/** The jobs that retry a finished one, newest first: where to look when "it was retried" is the answer. */
import { useEffect, useState } from 'react';
import { isTerminal, request, type Job } from '../api';
import { shortId } from '../headline';
import { StateBadge } from './bits';
import { RelativeTime } from './RelativeTime';

const SHOWN = 10;

export function RetriedAs({ job }: { job: Job }) {
  const [retries, setRetries] = useState<{ jobs: Job[]; more: boolean } | null>(null);
  const ended = isTerminal(job.state);

  useEffect(() => {
    if (!ended) return;
    let stopped = false;
    request<{ jobs: Job[]; nextCursor: string | null }>(`builds?retryOf=${job.id}&limit=${SHOWN}`).then(
      (page) => !stopped && setRetries({ jobs: page.jobs, more: page.nextCursor !== null }),
      () => undefined,
    );
    return () => {
      stopped = true;
    };
  }, [job.id, ended]);

  if (!retries || retries.jobs.length === 0) return null;
  return (
    <>
      <dt>Retried as</dt>
      <dd>
        <ul className="retries">
          {retries.jobs.map((retry) => (
            <li key={retry.id}>
              <a href={`#/jobs/${retry.id}`} title={retry.id}>
                <code>{shortId(retry.id)}</code>
              </a>{' '}
              <StateBadge state={retry.state} /> <RelativeTime iso={retry.createdAt} />
              {retry.user ? ` by ${retry.user.name ?? retry.user.sub}` : ''}
            </li>
          ))}
          {retries.more && <li className="muted">and older retries, not shown</li>}
        </ul>
      </dd>
    </>
  );
}
