/**
 * Said before it fails: above every page (the queue, the forms, a job), what would make builds or
 * deploys fail now and the setting to change. Admins also get the details (addresses, paths).
 */
import { Fragment } from 'react';
import { KIND_NAMES, known, type KnownRunners, type RunnerProblem } from '../runners';

export function RunnerBanner({ runners: state }: { runners: KnownRunners }) {
  const runners = known(state);
  if (!runners) return null;
  const failing = (['build', 'deploy'] as const).flatMap((kind) => {
    const status = runners[kind];
    return status && !status.ok ? [{ kind, problems: status.problems }] : [];
  });
  if (failing.length === 0) return null;
  return (
    <div className="banner-wrap">
      <aside className="runner-banner" role="status" aria-label="What would make jobs fail">
        <div className="runner-problems">
          {failing.map(({ kind, problems }) =>
            problems.map((problem, index) => (
              <div className="runner-problem" key={`${kind}-${index}`} data-kind={kind}>
                <strong>{KIND_NAMES[kind]}:</strong> {problem.cause} <SettingsText text={problem.fix} settings={problem.settings} />
                {problem.detail && (
                  <details>
                    <summary>Details</summary>
                    <code>{problem.detail}</code>
                  </details>
                )}
              </div>
            )),
          )}
        </div>
        <a href="#/status">Service health</a>
      </aside>
    </div>
  );
}

/** The fix as text, with each setting it names set as code, so the name stands out and can be copied whole. */
export function SettingsText({ text, settings }: Pick<RunnerProblem, 'settings'> & { text: string }) {
  const names = [...new Set(settings)].filter(Boolean);
  if (names.length === 0) return <span>{text}</span>;
  const pattern = new RegExp(`\\b(${names.map((name) => name.replace(/[^A-Z0-9_]/g, '')).join('|')})\\b`);
  return (
    <span>
      {text.split(pattern).map((part, index) => (
        <Fragment key={index}>{index % 2 === 1 ? <code className="setting">{part}</code> : part}</Fragment>
      ))}
    </span>
  );
}
