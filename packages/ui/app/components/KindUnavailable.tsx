/** A form's page when this server has no runner for its kind: said plainly, instead of a form that can only be refused. */
import { KIND_NAMES } from '../runners';

export function KindUnavailable({ kind }: { kind: 'build' | 'deploy' }) {
  const title = kind === 'build' ? 'New build' : 'New deploy';
  return (
    <section aria-labelledby="unavailable-title">
      <h1 id="unavailable-title">{title}</h1>
      <p className="notice" data-unavailable={kind}>
        {KIND_NAMES[kind]} are not available here: this server has no {kind} runner, so it refuses {kind} jobs. An operator adds one with{' '}
        <code className="setting">JOB_KINDS</code> (the standalone server) or the builder&apos;s <code>runners</code> option.
      </p>
      <p>
        <a href="#/">Back to the queue</a>
      </p>
    </section>
  );
}
