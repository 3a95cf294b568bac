/**
 * For write users: retry every failed job of the view's kind and search, or cancel every queued
 * one, after saying how many. The jobs are the ones the server lists when the action starts (all
 * pages); each is retried or cancelled on its own, and the result says how many were and why the
 * others were not (a write user may cancel only their own jobs; a job may have started).
 */
import { useState } from 'react';
import { ApiError, postJson, request, type Job } from '../api';
import type { QueueView } from '../queue-query';
import { ConfirmDialog } from './ConfirmDialog';
import type { Counts } from './use-queue-counts';

type Action = 'retry' | 'cancel';

const WORKERS = 4;

interface Outcome {
  action: Action;
  done: number;
  total: number;
  failures: string[];
}

/** Every job of the view's kind and search in this state, across pages. */
async function idsOf(view: QueueView, state: 'error' | 'queued'): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ state, limit: '200' });
    if (view.kind) query.set('kind', view.kind);
    if (view.q) query.set('q', view.q);
    if (cursor) query.set('cursor', cursor);
    const page: { jobs: Job[]; nextCursor: string | null } = await request(`builds?${query}`);
    ids.push(...page.jobs.map((job) => job.id));
    cursor = page.nextCursor;
  } while (cursor);
  // Oldest first: retries and cancels go in the order the jobs were submitted.
  return ids.reverse();
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function describeView(view: QueueView): string {
  const kind = view.kind ? `${view.kind}s` : 'jobs';
  return view.q ? `${kind} matching “${view.q}”` : kind;
}

export function BulkActions({ view, counts }: { view: QueueView; counts: Counts | null }) {
  const [asking, setAsking] = useState<Action | null>(null);
  const [running, setRunning] = useState<{ action: Action; done: number; total: number } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const failed = counts?.error ?? 0;
  const queued = counts?.queued ?? 0;
  if (!running && !outcome && failed === 0 && queued === 0) return null;

  const run = async (action: Action) => {
    setAsking(null);
    setOutcome(null);
    setRunning({ action, done: 0, total: 0 });
    const failures: string[] = [];
    let done = 0;
    let total = 0;
    try {
      const ids = await idsOf(view, action === 'retry' ? 'error' : 'queued');
      total = ids.length;
      setRunning({ action, done: 0, total });
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          try {
            await postJson(action === 'retry' ? `build/${id}/retry` : `build/${id}/cancel?onlyQueued=true`);
            done += 1;
          } catch (error) {
            failures.push(`${id.slice(-8)}: ${error instanceof ApiError ? error.message : String(error)}`);
          }
          setRunning({ action, done: done + failures.length, total });
        }
      };
      await Promise.all(Array.from({ length: Math.min(WORKERS, ids.length) }, worker));
    } catch (error) {
      failures.push(error instanceof ApiError ? error.message : String(error));
    }
    setRunning(null);
    setOutcome({ action, done, total, failures });
  };

  return (
    <div className="bulk">
      {failed > 0 && !running && (
        <button type="button" className="secondary" onClick={() => setAsking('retry')}>
          Retry {plural(failed, 'failed job')}…
        </button>
      )}
      {queued > 0 && !running && (
        <button type="button" className="secondary" onClick={() => setAsking('cancel')}>
          Cancel {plural(queued, 'queued job')}…
        </button>
      )}
      <p className="bulk-status" role="status">
        {running && `${running.action === 'retry' ? 'Retrying' : 'Cancelling'}: ${running.done} of ${running.total || '…'}`}
        {outcome && (
          <>
            {outcome.action === 'retry' ? 'Retried' : 'Cancelled'} {outcome.done} of {plural(outcome.total, 'job')}.
            {outcome.failures.length > 0 &&
              ` ${outcome.failures.length} ${outcome.failures.length === 1 ? 'was' : 'were'} not: ${outcome.failures.slice(0, 3).join('; ')}${outcome.failures.length > 3 ? '…' : ''}`}{' '}
            <button type="button" className="link" onClick={() => setOutcome(null)}>
              Dismiss
            </button>
          </>
        )}
      </p>
      {asking === 'retry' && (
        <ConfirmDialog
          title={`Retry ${plural(failed, 'failed job')}?`}
          confirmLabel={`Retry ${plural(failed, 'job')}`}
          keepLabel="Keep them as they are"
          onConfirm={() => void run('retry')}
          onClose={() => setAsking(null)}
        >
          <p>
            Every failed job among the {describeView(view)} gets a new job with the same spec, queued in the order they were first
            submitted.
          </p>
        </ConfirmDialog>
      )}
      {asking === 'cancel' && (
        <ConfirmDialog
          title={`Cancel ${plural(queued, 'queued job')}?`}
          confirmLabel={`Cancel ${plural(queued, 'job')}`}
          keepLabel="Keep them queued"
          onConfirm={() => void run('cancel')}
          onClose={() => setAsking(null)}
        >
          <p>
            Every queued job among the {describeView(view)} is cancelled before it starts. A job that starts meanwhile is left
            running.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
