/** The tab's title: what a person sees among twenty tabs, so a job's state comes first. */
import type { Job, JobState } from './api';
import { summary } from './components/bits';

const APP = 'Docker Builder';
const SYMBOL: Record<JobState, string> = { queued: '…', running: '▶', done: '✓', error: '✗', cancelled: '⊘' };

export const pageTitle = (what: string) => `${what} — ${APP}`;

/** `✓ done · deploy rag-service — Docker Builder`; a running job shows how far it is. */
export function jobTitle(job: Pick<Job, 'state' | 'kind' | 'progress' | 'spec'>): string {
  const state = job.state === 'running' ? `running ${job.progress}%` : job.state;
  return pageTitle(`${SYMBOL[job.state]} ${state} · ${job.kind} ${summary(job as Job)}`);
}
