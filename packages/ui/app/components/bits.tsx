/** Small shared pieces: state badge, progress bar, times, error and loading boxes. */
import type { Job, JobState } from '../api';

export function StateBadge({ state }: { state: JobState }) {
  return <span className={`badge badge-${state}`}>{state}</span>;
}

/** The bar takes the job's colour once it ends (red when it failed), and says where it stopped. */
export function ProgressBar({ value, label, state }: { value: number; label: string; state?: JobState }) {
  const text = state === 'error' ? `failed at ${value}%` : state === 'cancelled' ? `cancelled at ${value}%` : `${value}%`;
  return (
    <div
      className={`progress${state ? ` progress-${state}` : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={text}
    >
      <div className="progress-fill" style={{ width: `${value}%` }} />
      <span className="progress-text">
        <span>{text}</span>
      </span>
    </div>
  );
}

/** A span of time as a person says it: 42 s, 3 min 5 s, 2 h 4 min. */
export function formatSpan(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function duration(job: Job): string {
  if (!job.startedAt) return '—';
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  return formatSpan(end - Date.parse(job.startedAt));
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A moment, readable, with the exact ISO time for machines and on hover. */
export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={iso}>
      {when(iso)}
    </time>
  );
}

export function summary(job: Job): string {
  if (job.kind === 'build') return `${job.spec.service ?? '?'}${job.spec.tags?.length ? `:${job.spec.tags[0]}` : ''}`;
  const services = Object.keys(job.spec.mappings ?? {});
  return services.length <= 2 ? services.join(', ') : `${services.slice(0, 2).join(', ')} +${services.length - 2}`;
}

export function ErrorBox({ title, message, onRetry }: { title: string; message: string; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" aria-busy="true">
      Loading {what}…
    </p>
  );
}
