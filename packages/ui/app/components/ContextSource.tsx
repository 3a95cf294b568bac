/**
 * Where a build's context comes from, offering only the sources this server accepts (`GET /runners`):
 * a directory under its context root, a git URL on an allowed host, an uploaded archive. The ones
 * it does not accept are listed below, with the setting that would turn them on.
 */
import type { BuildContextSources, RunnerFeature } from '../runners';
import { formatBytes } from '../tar-build';
import { SettingsText } from './RunnerBanner';

export type Source = 'directory' | 'git' | 'upload';
export const SOURCES: readonly Source[] = ['directory', 'git', 'upload'];

const LABELS: Record<Source, string> = { directory: 'A directory on the server', git: 'A git URL', upload: 'An archive' };
const OFF_NAMES: Record<Source, string> = { directory: 'Directories', git: 'Git URLs', upload: 'Archives' };

/** The sources that work, in the order the form offers them. */
export function workingSources(contexts: BuildContextSources): Source[] {
  return SOURCES.filter((source) => contexts[source].ok);
}

export interface ContextSourceProps {
  contexts: BuildContextSources;
  source: Source | null;
  onSource: (source: Source) => void;
  directory: string;
  onDirectory: (value: string) => void;
  git: string;
  onGit: (value: string) => void;
  onArchive: (file: File | null) => void;
  /** The server's (or the form's own) complaint about the context, if any. */
  error?: string;
}

export function ContextSource(props: ContextSourceProps) {
  const { contexts, source, error } = props;
  const working = workingSources(contexts);
  const off = SOURCES.filter((s) => !contexts[s].ok).map((s) => [s, contexts[s]] as [Source, RunnerFeature]);
  const invalid = error ? { 'aria-invalid': true, 'aria-describedby': 'context-error' } : { 'aria-invalid': false };
  const hosts = contexts.git.hosts?.length ? `from ${contexts.git.hosts.join(', ')}` : 'from a host this server allows';

  return (
    <fieldset className={`context-source${error ? ' invalid' : ''}`}>
      <legend>Context</legend>
      {working.length === 0 && (
        <p className="notice" data-no-context="">
          No context source works on this server, so a build cannot be submitted.
        </p>
      )}
      {working.length > 1 && (
        <div className="source-choice" role="radiogroup" aria-label="Context from">
          {working.map((s) => (
            <label className="check" key={s}>
              <input type="radio" name="source" value={s} checked={source === s} onChange={() => props.onSource(s)} /> {LABELS[s]}
            </label>
          ))}
        </div>
      )}
      {source === 'directory' && (
        <label>
          Directory
          <input name="context" value={props.directory} onChange={(e) => props.onDirectory(e.target.value)} {...invalid} />
          <small>relative to the server&apos;s context root; . is the root itself</small>
        </label>
      )}
      {source === 'git' && (
        <label>
          Git URL
          <input
            name="context"
            value={props.git}
            required
            placeholder="https://github.com/team/repo.git#main:services/api"
            onChange={(e) => props.onGit(e.target.value)}
            {...invalid}
          />
          <small>
            {hosts}
            {contexts.git.ssh ? ', over https or ssh://git@host/repo.git' : ', over https'}; #ref:directory picks a branch and a subdirectory
          </small>
        </label>
      )}
      {source === 'upload' && (
        <label>
          Archive
          <input
            type="file"
            name="archive"
            required
            accept=".tar,.tar.gz,.tgz,application/x-tar,application/gzip"
            onChange={(e) => props.onArchive(e.target.files?.[0] ?? null)}
            {...invalid}
          />
          <small>
            a tar archive of the context, gzipped or not (tar -czf context.tgz -C ./app .)
            {contexts.upload.maxBytes ? `, at most ${formatBytes(contexts.upload.maxBytes)}` : ''}
          </small>
        </label>
      )}
      {error && (
        <span className="field-error" id="context-error">
          {error}
        </span>
      )}
      {off.length > 0 && (
        <div className="source-off">
          <span>Not offered on this server:</span>
          <ul>
            {off.map(([s, feature]) => (
              <li key={s} data-off={s}>
                <strong>{OFF_NAMES[s]}</strong>: {feature.problem ? <SettingsText text={feature.problem.fix} settings={feature.problem.settings} /> : 'off'}
              </li>
            ))}
          </ul>
        </div>
      )}
    </fieldset>
  );
}
