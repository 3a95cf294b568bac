/** What a job is and what happened to it, when and by whom: the facts above its log. */
import type { Job, JobUser } from '../api';
import { groupRule } from '../groups';
import { Time, formatSpan } from './bits';
import { RetriedAs } from './RetriedAs';
import { WaitingFor } from './WaitingFor';

const who = (user: JobUser) => user.name ?? user.sub;

/** How long it waited in the queue: until it started, or until it was cancelled there, or so far. */
function waited(job: Job): string {
  const end = job.startedAt ?? job.finishedAt;
  const span = formatSpan((end ? Date.parse(end) : Date.now()) - Date.parse(job.createdAt));
  return end ? span : `${span} so far`;
}

function took(job: Job): string {
  if (!job.startedAt) return '—';
  const span = formatSpan((job.finishedAt ? Date.parse(job.finishedAt) : Date.now()) - Date.parse(job.startedAt));
  return job.finishedAt ? span : `${span} so far`;
}

export function JobFacts({ job }: { job: Job }) {
  return (
    <dl className="facts">
      <dt>{job.retryOf ? 'Retried' : 'Submitted'}</dt>
      <dd>
        <Time iso={job.createdAt} />
        {job.user ? ` by ${who(job.user)}` : ''}
      </dd>
      {job.retryOf && (
        <>
          <dt>Retry of</dt>
          <dd>
            <a href={`#/jobs/${job.retryOf}`}>
              <code>{job.retryOf}</code>
            </a>
          </dd>
        </>
      )}
      <RetriedAs job={job} />
      <dt>Waited</dt>
      <dd>{waited(job)}</dd>
      {job.state === 'queued' && job.waitingFor && (
        <>
          <dt>Waiting for</dt>
          <dd>
            <WaitingFor wait={job.waitingFor} words={false} />, since <Time iso={job.waitingFor.since} />
          </dd>
        </>
      )}
      {job.startedAt && (
        <>
          <dt>Started</dt>
          <dd>
            <Time iso={job.startedAt} />
          </dd>
        </>
      )}
      {job.finishedAt && (
        <>
          <dt>Finished</dt>
          <dd>
            <Time iso={job.finishedAt} />
          </dd>
        </>
      )}
      <dt>Took</dt>
      <dd>{took(job)}</dd>
      {job.cancelledBy && (
        <>
          <dt>{job.state === 'cancelled' ? 'Cancelled' : 'Cancel asked'}</dt>
          <dd>
            {job.state === 'cancelled' && job.finishedAt ? <Time iso={job.finishedAt} /> : job.cancelRequestedAt ? <Time iso={job.cancelRequestedAt} /> : null}
            {` by ${who(job.cancelledBy)}`}
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
      {job.groups && job.groups.length > 0 && (
        <>
          <dt>Groups</dt>
          <dd>
            <ul className="groups">
              {job.groups.map((group) => (
                <li key={group.name}>
                  <code>{group.name}</code> <span className="muted">{groupRule(group)}</span>
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}
