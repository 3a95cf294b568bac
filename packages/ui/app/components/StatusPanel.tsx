/**
 * What the service runs on (`_debug`), so a user sees at once why jobs are not running; for the
 * runners, what would make their jobs fail and the setting to change (`GET /runners`), which
 * every user sees, where `_debug`'s messages are for admins; and the concurrency groups a job
 * holds or waits for, so a queued job's wait has a visible cause.
 */
import { useEffect, useState } from 'react';
import { request } from '../api';
import { groupRule, type GroupState } from '../groups';
import { shortId } from '../headline';
import { known, type KnownRunners, type RunnerStatus } from '../runners';
import { ErrorBox, Loading } from './bits';
import { SettingsText } from './RunnerBanner';

interface Health {
  name: string;
  ok: boolean;
  message?: string;
  details?: Record<string, unknown>;
  workers?: number;
  counts?: Record<string, number>;
}

interface Debug {
  version: string;
  store: Health;
  queue: Health;
  fallback: Health | null;
  runners: { build: Health | null; deploy: Health | null };
  /** Null when the store did not answer; absent from servers older than groups. */
  groups?: GroupState[] | null;
}

/** Jobs shown per list: a group with hundreds waiting says how many more. */
const SHOWN_IDS = 8;

function JobLinks({ ids, none }: { ids: string[]; none: string }) {
  if (ids.length === 0) return <span className="muted">{none}</span>;
  return (
    <span className="job-links">
      {ids.slice(0, SHOWN_IDS).map((id) => (
        <a key={id} href={`#/jobs/${id}`} title={id}>
          <code>{shortId(id)}</code>
        </a>
      ))}
      {ids.length > SHOWN_IDS && <span className="muted">+{ids.length - SHOWN_IDS} more</span>}
    </span>
  );
}

function Groups({ groups }: { groups: GroupState[] | null }) {
  return (
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">Concurrency groups</h2>
      {groups === null ? (
        <p className="notice">The store did not say which groups are busy; see Store above.</p>
      ) : groups.length === 0 ? (
        <p className="muted">No job holds or waits for a group now.</p>
      ) : (
        <table className="jobs groups-table">
          <thead>
            <tr>
              <th>Group</th>
              <th>Runs</th>
              <th>Running</th>
              <th>Waiting, next first</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <tr key={group.name} data-group={group.name}>
                <td data-label="Group">
                  <code>{group.name}</code>
                </td>
                <td data-label="Runs">{groupRule(group)}</td>
                <td data-label="Running">
                  <JobLinks ids={group.holders} none="none" />
                </td>
                <td data-label="Waiting">
                  <JobLinks ids={group.waiting} none="none" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const SOURCE_NAMES = { directory: 'directories', git: 'git URLs', upload: 'archives' } as const;

export function StatusPanel({ runners: state }: { runners?: KnownRunners }) {
  const runners = known(state);
  const [debug, setDebug] = useState<Debug | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      request<Debug>('_debug').then(
        (value) => (setDebug(value), setError(null)),
        (e: Error) => setError(e.message),
      );
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, []);

  if (error && !debug) return <ErrorBox title="Could not reach the service" message={error} />;
  if (!debug) return <Loading what="the status" />;
  const cards: Array<[string, Health | null, RunnerStatus | null | undefined]> = [
    ['Store', debug.store, undefined],
    ['Queue', debug.queue, undefined],
    ['Builds', debug.runners.build, runners?.build],
    ['Deploys', debug.runners.deploy, runners?.deploy],
  ];
  return (
    <section aria-labelledby="status-title">
      <h1 id="status-title">Status</h1>
      <div className="cards">
        {cards.map(([title, health, runner]) => (
          <article key={title} className={`card ${health ? (health.ok ? 'ok' : 'failing') : 'absent'}`}>
            <h2>
              {title} <span className="muted">{health?.name ?? 'not configured'}</span>
            </h2>
            <p className="card-state">{health ? (health.ok ? 'working' : 'not working') : 'not configured on this server'}</p>
            {health?.message && <p>{health.message}</p>}
            {/* An admin already has the engine's own words above: the same problem is not said twice. */}
            {runner?.problems.filter((problem) => !health?.message || problem.detail !== health.message).map((problem) => (
              <p key={problem.cause} className="card-fix">
                {problem.cause} <SettingsText text={problem.fix} settings={problem.settings} />
              </p>
            ))}
            {runner?.contexts && (
              <p>
                Contexts:{' '}
                {(['directory', 'git', 'upload'] as const)
                  .filter((source) => runner.contexts![source].ok)
                  .map((source) => SOURCE_NAMES[source])
                  .join(', ') || 'none'}
              </p>
            )}
            {health?.workers !== undefined && <p>Workers: {health.workers}</p>}
            {health?.counts && (
              <p>
                {Object.entries(health.counts)
                  .map(([name, count]) => `${name} ${count}`)
                  .join(' · ')}
              </p>
            )}
            {health?.details && (
              <dl>
                {Object.entries(health.details)
                  .filter(([, value]) => value !== null && typeof value !== 'object')
                  .map(([name, value]) => (
                    <div key={name}>
                      <dt>{name}</dt>
                      <dd>{String(value)}</dd>
                    </div>
                  ))}
              </dl>
            )}
          </article>
        ))}
      </div>
      {debug.groups !== undefined && <Groups groups={debug.groups} />}
      <p className="muted">Docker Builder {debug.version}</p>
    </section>
  );
}
