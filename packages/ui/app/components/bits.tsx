/** Small shared pieces: state badge, progress bar, times, error and loading boxes. */
import type { Job, JobState } from '../api';

export function StateBadge({ state }: { state: JobState }) {
  return <span className={`badge badge-${state}`}>{state}</span>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${value}%` }} />
      <span className="progress-text">{value}%</span>
    </div>
  );
}

export function duration(job: Job): string {
  if (!job.startedAt) return '—';
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  const seconds = Math.max(0, Math.round((end - Date.parse(job.startedAt)) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString();
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
