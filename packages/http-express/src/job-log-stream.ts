/**
 * `GET /build/:id/logs`: a job's log lines, with its `state` and `progress` woven in, so a job
 * page needs nothing else. First the job as it is now; then each line (`id`: its index) and each
 * change of the job, a change after the lines its log held when it happened (an event records
 * that length), so "PROGRESS 60" comes before the progress event it caused. State and progress
 * events carry no `id`: `Last-Event-ID` stays a line index, as clients before them expect. Nor
 * does `time`, sent before a line whose time differs from the line before it (the first line
 * sent has one too, so a resumed stream starts with the time of the run it resumes in).
 */
import { isFeedMark, isTerminal, jobHeadline, type Builder, type JobEvent, type JobFeedItem, type JobHeadline, type LogEntry } from '@docker-builder/core';
import type { SseEvent } from './route-definition.js';

type Step = { source: 'log'; result: IteratorResult<LogEntry> } | { source: 'feed'; result: IteratorResult<JobFeedItem> } | { source: 'failed'; error: unknown };

/**
 * One state event per change: the same state seen from the feed and from the final read is sent
 * once. A queued job found waiting for another job (a `waiting` event) is a change a page shows.
 */
const stateKey = (job: JobHeadline) => [job.state, job.attempt, job.finishedAt, job.cancelRequestedAt, job.waitingFor?.jobId, job.waitingFor?.group].join('|');

export async function* jobLogStream(builder: Builder, id: string, from: number, signal: AbortSignal): AsyncIterable<SseEvent> {
  // The feed stops with the client, or when the log has ended and no more of it is wanted.
  const feedStop = new AbortController();
  const stopFeed = () => feedStop.abort();
  signal.addEventListener('abort', stopFeed, { once: true });
  const feed = builder.followEvents({ jobId: id, signal: feedStop.signal })[Symbol.asyncIterator]();
  let logs: AsyncIterator<LogEntry> | undefined;
  let sentState: string | null = null;
  const state = (job: JobHeadline): SseEvent => {
    sentState = stateKey(job);
    return { event: 'state', data: JSON.stringify(job) };
  };
  const toSse = (event: JobEvent): SseEvent | null => {
    if (event.type === 'progress') return { event: 'progress', data: JSON.stringify(event.job) };
    return stateKey(event.job) === sentState ? null : state(event.job);
  };

  try {
    const first = await feed.next();
    if (first.done || signal.aborted) return;
    if (isFeedMark(first.value) && first.value.job) yield state(first.value.job);

    logs = builder.followLogs(id, { from, signal })[Symbol.asyncIterator]();
    const lines = logs;
    // The two sources merged through one inbox: each pending read gets exactly one reaction. A
    // Promise.race per line would add a reaction to the feed's read, pending until the job's next
    // event, for every line sent, and keep each of those lines alive until then.
    const arrived: Step[] = [];
    let wake: (() => void) | null = null;
    const request = (source: 'log' | 'feed', next: Promise<IteratorResult<LogEntry | JobFeedItem>>) => {
      void next
        .then(
          (result) => ({ source, result }) as Step,
          (error: unknown): Step => ({ source: 'failed', error }),
        )
        .then((step) => {
          arrived.push(step);
          wake?.();
        });
    };
    const take = async (): Promise<Step> => {
      while (arrived.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      return arrived.shift()!;
    };
    request('log', lines.next());
    request('feed', feed.next());
    /** Events waiting for the lines before them. */
    const held: JobEvent[] = [];
    let next = from;
    /** The time of the last line sent: a `time` event goes out only when it changes. */
    let sentAt: number | undefined;

    for (;;) {
      const taken = await take();
      if (taken.source === 'failed') throw taken.error;
      if (taken.source === 'log') {
        const { result } = taken;
        if (result.done) break;
        while (held.length > 0 && held[0]!.logLength <= result.value.index) {
          const due = toSse(held.shift()!);
          if (due) yield due;
        }
        const { index, line, at } = result.value;
        if (at !== undefined && at !== sentAt) {
          sentAt = at;
          yield { event: 'time', data: JSON.stringify({ from: index, at: new Date(at).toISOString() }) };
        }
        yield { id: String(index), data: line };
        next = index + 1;
        // An event that came right after this line goes now, not with the next line: a job found
        // waiting writes one line and then nothing until it starts.
        while (held.length > 0 && held[0]!.logLength <= next) {
          const due = toSse(held.shift()!);
          if (due) yield due;
        }
        request('log', lines.next());
        continue;
      }
      const { result } = taken;
      if (result.done) continue;
      const item = result.value;
      if (isFeedMark(item)) {
        // Fell behind the feed (very rarely, for one job): the job as it is now replaces what was waiting.
        held.length = 0;
        if (item.job) yield state(item.job);
      } else if (item.logLength <= next && held.length === 0) {
        const due = toSse(item);
        if (due) yield due;
      } else {
        held.push(item);
      }
      request('feed', feed.next());
    }
    if (signal.aborted) return;

    // The log has ended, so the job has: what was waiting is due, then how it ended (if the feed has not said yet).
    for (const event of held) {
      const due = toSse(event);
      if (due) yield due;
    }
    const job = await builder.get(id);
    if (isTerminal(job.state) && stateKey(jobHeadline(job)) !== sentState) yield state(jobHeadline(job));
    yield { event: 'end', data: JSON.stringify({ state: job.state, error: job.error, progress: job.progress }) };
  } finally {
    signal.removeEventListener('abort', stopFeed);
    feedStop.abort();
    // Not awaited: a read still pending ends once the client's signal has (the response ending aborts it).
    void logs?.return?.()?.catch(() => undefined);
    await feed.return?.();
  }
}
