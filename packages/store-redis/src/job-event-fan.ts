/**
 * One reader of the event stream per store instance, shared by every follower in the process:
 * a blocking XREAD on a connection of its own, started by the first follower and stopped (its
 * connection closed) when the last one leaves. Whatever it reads goes to each follower's inbox,
 * to followers of one job only their job's events, so a thousand browsers cost one reader.
 */
import type { JobEvent } from '@docker-builder/core';
import type { Redis } from 'ioredis';
import type { StreamEntry } from './job-event-entry.js';

export interface FanInbox {
  /** Only this job's events; undefined for all. */
  readonly jobId?: string;
  /** Events the reader read, in order (only this inbox's job's, when it has one). */
  deliver(events: readonly JobEvent[]): void;
  /** The reader may have skipped events (it lost its connection while the stream was trimmed past it). */
  lost(): void;
  /** The store is closing. */
  end(): void;
}

export interface EventFan {
  /**
   * Adds the inbox; resolves (with the function that removes it) once the reader is reading, so
   * every event recorded from then on reaches it. Rejects when the stream cannot be read.
   */
  join(inbox: FanInbox): Promise<() => void>;
  /** Inboxes joined now. */
  readonly followers: number;
  /** Whether a reader (and its connection) is running now. */
  readonly reading: boolean;
  close(): void;
}

export interface EventFanOptions {
  /** A new connection for the reader; it blocks, so it is never shared with commands. */
  connect(): Redis;
  stream: string;
  /** The stream's newest id now, and whether following on from `after` would miss events. */
  position(after?: string): Promise<{ head: string; missed: boolean }>;
  /** Entries to events, in order (dropping those it cannot read). */
  toEvents(entries: StreamEntry[]): Promise<JobEvent[]>;
  /** How long one XREAD blocks before it asks again; default 10 000 ms. */
  blockMs?: number;
  /** Entries per read; default 1 000. */
  count?: number;
}

interface Reader {
  active: boolean;
  connection: Redis;
  started: Promise<void>;
}

export function createEventFan(options: EventFanOptions): EventFan {
  const blockMs = options.blockMs ?? 10_000;
  const count = options.count ?? 1_000;
  const everyJob = new Set<FanInbox>();
  const byJob = new Map<string, Set<FanInbox>>();
  let joined = 0;
  let reader: Reader | null = null;
  let closed = false;

  const all = () => [...everyJob, ...[...byJob.values()].flatMap((set) => [...set])];

  const deliver = (events: JobEvent[]) => {
    if (events.length === 0) return;
    for (const inbox of [...everyJob]) inbox.deliver(events);
    if (byJob.size === 0) return;
    const perJob = new Map<string, JobEvent[]>();
    for (const event of events) {
      if (!byJob.has(event.job.id)) continue;
      const list = perJob.get(event.job.id) ?? [];
      list.push(event);
      perJob.set(event.job.id, list);
    }
    for (const [jobId, list] of perJob) for (const inbox of [...(byJob.get(jobId) ?? [])]) inbox.deliver(list);
  };

  const stop = (stopping: Reader) => {
    stopping.active = false;
    // The only way to end a blocking XREAD at once: its pending command rejects, and the loop sees it is no longer active.
    stopping.connection.disconnect();
    if (reader === stopping) reader = null;
  };

  const start = (): Reader => {
    const connection = options.connect();
    // Errors show as failed reads, which the loop retries; without a listener ioredis would print each one.
    connection.on('error', () => undefined);
    const current: Reader = { active: true, connection, started: Promise.resolve() };
    current.started = (async () => {
      let cursor: string;
      try {
        cursor = (await options.position()).head;
      } catch (error) {
        stop(current);
        throw error;
      }
      void run(current, cursor);
    })();
    return current;
  };

  async function run(current: Reader, from: string): Promise<void> {
    let cursor = from;
    let unsure = false;
    while (current.active) {
      try {
        if (unsure) {
          // Back after an outage: if the stream was trimmed past us meanwhile, say so rather than skip silently.
          const { head, missed } = await options.position(cursor);
          unsure = false;
          if (missed) {
            cursor = head;
            for (const inbox of all()) inbox.lost();
          }
        }
        const reply = (await current.connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', options.stream, cursor)) as
          | Array<[string, StreamEntry[]]>
          | null;
        if (!current.active) return;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        const events = await options.toEvents(entries);
        cursor = entries[entries.length - 1]![0];
        deliver(events);
      } catch {
        if (!current.active) return;
        unsure = true;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  return {
    async join(inbox) {
      if (closed) throw new Error('the store is closed');
      const set = inbox.jobId === undefined ? everyJob : (byJob.get(inbox.jobId) ?? new Set<FanInbox>());
      if (inbox.jobId !== undefined) byJob.set(inbox.jobId, set);
      set.add(inbox);
      joined += 1;
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        set.delete(inbox);
        if (inbox.jobId !== undefined && set.size === 0 && byJob.get(inbox.jobId) === set) byJob.delete(inbox.jobId);
        joined -= 1;
        if (joined === 0 && reader) stop(reader);
      };
      reader ??= start();
      try {
        await reader.started;
      } catch (error) {
        leave();
        throw error;
      }
      return leave;
    },
    get followers() {
      return joined;
    },
    get reading() {
      return reader !== null;
    },
    close() {
      closed = true;
      if (reader) stop(reader);
      for (const inbox of all()) inbox.end();
    },
  };
}
