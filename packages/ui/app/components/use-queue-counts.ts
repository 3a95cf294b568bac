/**
 * Jobs per state for the queue's kind and search, read once and again after the jobs change: at
 * most one read in flight and one every two seconds, the last change always followed by a read,
 * so a burst of events costs a read or two, and a quiet queue none.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { request, type JobState } from '../api';

export type Counts = Record<JobState, number>;

const MIN_GAP_MS = 2_000;

export function useQueueCounts(kind: string, q: string): { counts: Counts | null; changed(): void } {
  const [counts, setCounts] = useState<Counts | null>(null);
  const schedule = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let again = false;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const query = new URLSearchParams();
    if (kind) query.set('kind', kind);
    if (q) query.set('q', q);

    const read = async () => {
      inFlight = true;
      again = false;
      last = Date.now();
      try {
        const answer = await request<{ counts: Counts }>(`builds/counts${query.size ? `?${query}` : ''}`);
        if (!stopped) setCounts(answer.counts);
      } catch {
        // The list shows what went wrong; the counts are extra.
      } finally {
        inFlight = false;
        if (again && !stopped) later();
      }
    };
    const later = () => {
      if (inFlight) {
        again = true;
        return;
      }
      timer ??= setTimeout(() => {
        timer = undefined;
        void read();
      }, Math.max(0, last + MIN_GAP_MS - Date.now()));
    };

    setCounts(null);
    void read();
    schedule.current = later;
    return () => {
      stopped = true;
      clearTimeout(timer);
      schedule.current = () => undefined;
    };
  }, [kind, q]);

  const changed = useCallback(() => schedule.current(), []);
  return { counts, changed };
}
