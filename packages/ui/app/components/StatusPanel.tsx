/** What the service runs on (`_debug`), so a user sees at once why jobs are not running. */
import { useEffect, useState } from 'react';
import { request } from '../api';
import { ErrorBox, Loading } from './bits';

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
}

export function StatusPanel() {
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
  const cards: Array<[string, Health | null]> = [
    ['Store', debug.store],
    ['Queue', debug.queue],
    ['Builds', debug.runners.build],
    ['Deploys', debug.runners.deploy],
  ];
  return (
    <section aria-labelledby="status-title">
      <h1 id="status-title">Status</h1>
      <div className="cards">
        {cards.map(([title, health]) => (
          <article key={title} className={`card ${health ? (health.ok ? 'ok' : 'failing') : 'absent'}`}>
            <h2>
              {title} <span className="muted">{health?.name ?? 'not configured'}</span>
            </h2>
            <p className="card-state">{health ? (health.ok ? 'working' : 'not working') : 'not configured on this server'}</p>
            {health?.message && <p>{health.message}</p>}
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
      <p className="muted">Docker Builder {debug.version}</p>
    </section>
  );
}
