/** New build: the build payload as a form; the server's validation errors appear at their field. */
import { useState } from 'react';
import { ErrorBox } from './bits';
import { errorsByField, fieldOf } from './field-errors';
import { useSubmit } from './use-submit';

interface Values {
  service: string;
  context: string;
  dockerfile: string;
  image: string;
  tags: string;
  target: string;
  buildArgs: string;
  push: boolean;
  noCache: boolean;
  pull: boolean;
}

export function toBuildPayload(values: Values): Record<string, unknown> {
  const payload: Record<string, unknown> = { service: values.service.trim(), push: values.push, noCache: values.noCache, pull: values.pull };
  if (values.context.trim()) payload.context = values.context.trim();
  if (values.dockerfile.trim()) payload.dockerfile = values.dockerfile.trim();
  if (values.image.trim()) payload.image = values.image.trim();
  if (values.target.trim()) payload.target = values.target.trim();
  const tags = values.tags.split(',').map((t) => t.trim()).filter(Boolean);
  if (tags.length) payload.tags = tags;
  const args = values.buildArgs.split('\n').map((l) => l.trim()).filter(Boolean);
  if (args.length) payload.buildArgs = Object.fromEntries(args.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]));
  return payload;
}

const FIELDS = new Set(['service', 'context', 'dockerfile', 'image', 'tags', 'target', 'buildArgs']);

export function BuildForm({ navigate }: { navigate: (hash: string) => void }) {
  const [values, setValues] = useState<Values>({
    service: '', context: '.', dockerfile: 'Dockerfile', image: '', tags: '', target: '', buildArgs: '', push: true, noCache: false, pull: false,
  });
  const { issues, failure, busy, submit, form } = useSubmit('build', navigate);
  const errors = errorsByField(issues);
  // Issues about no field of the form (a key it does not offer, the payload as a whole) still show.
  const general = issues.filter((issue) => !FIELDS.has(fieldOf(issue.path).field)).map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  const text = (name: keyof Values, label: string, hint?: string) => (
    <label className={errors[name] ? 'invalid' : undefined}>
      {label}
      <input
        name={name}
        value={values[name] as string}
        onChange={(e) => setValues({ ...values, [name]: e.target.value })}
        aria-invalid={Boolean(errors[name])}
        aria-describedby={errors[name] ? `${name}-error` : undefined}
      />
      {hint && <small>{hint}</small>}
      {errors[name] && (
        <span className="field-error" id={`${name}-error`}>
          {errors[name]}
        </span>
      )}
    </label>
  );
  const check = (name: 'push' | 'noCache' | 'pull', label: string) => (
    <label className="check">
      <input type="checkbox" name={name} checked={values[name]} onChange={(e) => setValues({ ...values, [name]: e.target.checked })} /> {label}
    </label>
  );

  return (
    <section aria-labelledby="build-title">
      <h1 id="build-title">New build</h1>
      <form
        ref={form}
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(toBuildPayload(values));
        }}
      >
        {text('service', 'Service', 'e.g. rag-service')}
        {text('context', 'Context', 'a directory under the server\'s context root, or a git URL')}
        {text('dockerfile', 'Dockerfile')}
        {text('image', 'Image repository', 'optional: by default the registry prefix and the service')}
        {text('tags', 'Tags', 'comma-separated; default a YYYYMMDD-HHMMSS timestamp')}
        {text('target', 'Target stage', 'optional')}
        <label className={errors.buildArgs ? 'invalid' : undefined}>
          Build arguments
          <textarea
            name="buildArgs"
            rows={3}
            value={values.buildArgs}
            placeholder="NAME=value, one per line"
            onChange={(e) => setValues({ ...values, buildArgs: e.target.value })}
            aria-invalid={Boolean(errors.buildArgs)}
          />
          {errors.buildArgs && <span className="field-error">{errors.buildArgs}</span>}
        </label>
        <div className="checks">
          {check('push', 'Push')}
          {check('noCache', 'No cache')}
          {check('pull', 'Pull base images')}
        </div>
        {general.map((message) => (
          <p className="field-error" key={message} tabIndex={-1} data-issue="">
            {message}
          </p>
        ))}
        {failure && <ErrorBox title="The build was not accepted" message={failure} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Build'}
        </button>
      </form>
    </section>
  );
}
