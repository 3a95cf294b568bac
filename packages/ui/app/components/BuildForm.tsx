/**
 * New build: the build payload as a form; the server's validation errors appear at their field.
 * With the runner's word (`GET /runners`), it offers only the context sources that work here and
 * no push when no registry is configured, so nothing it suggests is refused.
 */
import { useState } from 'react';
import type { RunnerStatus } from '../runners';
import { postTarBuild } from '../tar-build';
import { ErrorBox } from './bits';
import { ContextSource, workingSources, type Source } from './ContextSource';
import { errorsByField, fieldOf } from './field-errors';
import { SettingsText } from './RunnerBanner';
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

const FIELDS = new Set(['service', 'context', 'upload', 'dockerfile', 'image', 'tags', 'target', 'buildArgs']);

/** `runner`: the build runner's status; absent when the server does not say (the form offers a free context field then). */
export function BuildForm({ navigate, runner }: { navigate: (hash: string) => void; runner?: RunnerStatus }) {
  const [values, setValues] = useState<Values>({
    service: '', context: '.', dockerfile: 'Dockerfile', image: '', tags: '', target: '', buildArgs: '', push: true, noCache: false, pull: false,
  });
  const [chosen, setChosen] = useState<Source | null>(null);
  const [gitUrl, setGitUrl] = useState('');
  const [archive, setArchive] = useState<File | null>(null);
  const [archiveError, setArchiveError] = useState<string | null>(null);
  const { issues, failure, busy, submit, form } = useSubmit('build', navigate);
  const errors = errorsByField(issues);
  const contexts = runner?.contexts;
  const working = contexts ? workingSources(contexts) : null;
  // The user's choice while it still works; else the first source that does.
  const source: Source | null = working ? (chosen && working.includes(chosen) ? chosen : (working[0] ?? null)) : null;
  const pushProblem = runner?.push?.ok === false ? runner.push.problem : undefined;
  const push = values.push && !pushProblem;
  const cannotBuild = working !== null && working.length === 0;
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
  const check = (name: 'push' | 'noCache' | 'pull', label: string, off = false) => (
    <label className="check">
      <input
        type="checkbox"
        name={name}
        checked={name === 'push' ? push : values[name]}
        disabled={off}
        onChange={(e) => setValues({ ...values, [name]: e.target.checked })}
      />{' '}
      {label}
    </label>
  );

  const send = () => {
    setArchiveError(null);
    if (!contexts) return void submit(toBuildPayload({ ...values, push }));
    const payload = toBuildPayload({ ...values, push, context: source === 'git' ? gitUrl : source === 'directory' ? values.context : '' });
    if (source !== 'upload') return void submit(payload);
    const maxBytes = contexts.upload.maxBytes;
    if (archive && maxBytes !== undefined && archive.size > maxBytes) {
      setArchiveError(`This archive is ${archive.size} bytes; the server takes at most ${maxBytes}.`);
      form.current?.querySelector<HTMLElement>('input[name=archive]')?.focus();
      return;
    }
    void submit(payload, () => postTarBuild(payload, archive!));
  };

  return (
    <section aria-labelledby="build-title">
      <h1 id="build-title">New build</h1>
      <form
        ref={form}
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        {text('service', 'Service', 'e.g. rag-service')}
        {contexts ? (
          <ContextSource
            contexts={contexts}
            source={source}
            onSource={setChosen}
            directory={values.context}
            onDirectory={(context) => setValues({ ...values, context })}
            git={gitUrl}
            onGit={setGitUrl}
            onArchive={(file) => (setArchive(file), setArchiveError(null))}
            error={archiveError ?? errors.context ?? errors.upload}
          />
        ) : (
          text('context', 'Context', 'a directory under the server\'s context root, or a git URL')
        )}
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
          {check('push', 'Push', Boolean(pushProblem))}
          {check('noCache', 'No cache')}
          {check('pull', 'Pull base images')}
        </div>
        {pushProblem && (
          <small className="push-off" data-push-off="">
            {pushProblem.cause} <SettingsText text={pushProblem.fix} settings={pushProblem.settings} />
          </small>
        )}
        {general.map((message) => (
          <p className="field-error" key={message} tabIndex={-1} data-issue="">
            {message}
          </p>
        ))}
        {failure && <ErrorBox title="The build was not accepted" message={failure} />}
        <button type="submit" disabled={busy || cannotBuild}>
          {busy ? 'Submitting…' : 'Build'}
        </button>
      </form>
    </section>
  );
}
