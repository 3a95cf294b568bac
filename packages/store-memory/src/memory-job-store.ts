/**
 * The in-memory JobStore: the embedded default. Everything lives in this process and is
 * gone when it exits. Lists, counts and places in line: memory-job-queries.ts; logs and their
 * times: memory-job-log.ts.
 */
import {
  JobNotFoundError,
  ValidationError,
  assertTransition,
  describeWait,
  initialJob,
  isTerminal,
  type ComponentHealth,
  type DeployMetadata,
  type Fence,
  type Job,
  type JobCountQuery,
  type JobCounts,
  type JobListQuery,
  type JobPage,
  type JobStore,
  type JobTransition,
  type LogEntry,
  type LogSlice,
  type NewJob,
} from '@docker-builder/core';
import { createEventRing } from './event-ring.js';
import { createMemoryJobQueries } from './memory-job-queries.js';
import { createMemoryJobGroups } from './memory-job-groups.js';
import { createMemoryJobLog, type MemoryJobLog } from './memory-job-log.js';

export interface MemoryJobStoreOptions {
  name?: string;
  /** The clock leases and log times are measured by, in milliseconds; default Date.now. */
  clock?: () => number;
  /** Job events kept for followers to resume from (a ring buffer); default 10 000. */
  maxEvents?: number;
}

interface Entry {
  job: Job;
  logs: MemoryJobLog;
  deploy: DeployMetadata | null;
  /** When the lease runs out (clock ms); null once the job has ended or when it never had one. */
  leaseUntil: number | null;
  /** Woken on every change to the job or its log. */
  listeners: Set<() => void>;
}

export function createMemoryJobStore(options: MemoryJobStoreOptions = {}): JobStore {
  const entries = new Map<string, Entry>();
  const clock = options.clock ?? Date.now;
  /** Unfinished jobs that hold a lease: what the reaper looks through. */
  const leased = new Set<Entry>();
  const setLease = (e: Entry, ms: number | undefined | null) => {
    e.leaseUntil = ms === undefined || ms === null ? null : clock() + ms;
    if (e.leaseUntil === null) leased.delete(e);
    else leased.add(e);
  };
  const queries = createMemoryJobQueries((id) => entries.get(id)!.job);
  const groups = createMemoryJobGroups();
  const events = createEventRing(options.maxEvents);

  const entry = (id: string): Entry => {
    const found = entries.get(id);
    if (!found) throw new JobNotFoundError(id);
    return found;
  };
  const notify = (e: Entry) => {
    for (const wake of [...e.listeners]) wake();
  };
  const fenced = (e: Entry, fence: Fence | undefined) => fence !== undefined && e.job.attempt !== fence.attempt;

  /** Resolves at the next change to the job, or when the signal aborts. */
  const nextChange = (e: Entry, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        e.listeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      e.listeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });

  const store: JobStore = {
    name: options.name ?? 'memory',

    async create(input: NewJob, createOptions = {}) {
      if (entries.has(input.id)) throw new ValidationError([{ path: 'id', message: `job ${input.id} already exists` }]);
      const job = initialJob(input);
      const deploy = job.kind === 'deploy' ? { mappings: { ...job.spec.mappings }, user: job.user } : null;
      const e: Entry = { job: structuredClone(job), logs: createMemoryJobLog(clock), deploy, listeners: new Set(), leaseUntil: null };
      setLease(e, createOptions.leaseMs);
      entries.set(job.id, e);
      queries.add(job);
      groups.join(e.job);
      events.record('created', e.job, 0, queries.placesInLine([job.id]).get(job.id));
      return job;
    },

    async get(id) {
      const found = entries.get(id);
      return found ? structuredClone(found.job) : null;
    },

    async list(query: JobListQuery): Promise<JobPage> {
      return queries.list(query);
    },

    async count(query: JobCountQuery): Promise<JobCounts> {
      return queries.count(query);
    },

    async placesInLine(ids) {
      return queries.placesInLine(ids);
    },

    async transition(id, change: JobTransition) {
      const e = entry(id);
      for (const from of change.from) assertTransition(from, change.to);
      if (!change.from.includes(e.job.state)) return null;
      if (change.attempt !== undefined && e.job.attempt !== change.attempt) return null;
      if (change.ifLeaseExpired && (e.leaseUntil === null || e.leaseUntil > clock())) return null;
      assertTransition(e.job.state, change.to);
      const job = e.job;
      const from = job.state;
      e.logs.append(change.logs ?? []);
      job.state = change.to;
      if (change.to === 'running') {
        job.attempt += 1;
        job.startedAt = change.at;
        job.waitingFor = null;
      }
      if (isTerminal(change.to)) job.waitingFor = null;
      groups.moved(job, from);
      setLease(e, isTerminal(change.to) ? null : (change.leaseMs ?? null));
      if (isTerminal(change.to)) job.finishedAt = change.at;
      if (change.error !== undefined) job.error = change.error;
      if (change.result !== undefined) job.result = structuredClone(change.result);
      if (change.progress !== undefined) job.progress = change.progress;
      if (change.cancelledBy !== undefined) job.cancelledBy = change.cancelledBy === null ? null : { ...change.cancelledBy };
      queries.moved(job);
      const place = change.to === 'queued' ? queries.placesInLine([id]).get(id) : undefined;
      events.record(change.to === 'running' ? 'started' : change.to === 'queued' ? 'requeued' : 'finished', job, e.logs.length, place);
      notify(e);
      return structuredClone(job);
    },

    async claim(id, claim) {
      const e = entry(id);
      if (e.job.state !== 'queued') return null;
      const blocker = groups.blocker(e.job);
      if (!blocker) {
        const job = await store.transition(id, { from: ['queued'], to: 'running', at: claim.at, leaseMs: claim.leaseMs });
        return job ? { job, started: true } : null;
      }
      const job = e.job;
      job.waits += 1;
      setLease(e, claim.leaseMs);
      if (job.waitingFor?.group !== blocker.group || job.waitingFor.jobId !== blocker.jobId) {
        job.waitingFor = { ...blocker, since: claim.at };
        e.logs.append([`[docker-builder] ${describeWait(blocker)}`]);
        events.record('waiting', job, e.logs.length);
        notify(e);
      }
      return { job: structuredClone(job), started: false };
    },

    async groupStates(names) {
      return groups.states(names);
    },

    async setProgress(id, progress, fence) {
      const e = entry(id);
      if (fenced(e, fence) || e.job.state !== 'running') return false;
      if (e.job.progress === progress) return true;
      e.job.progress = progress;
      events.record('progress', e.job, e.logs.length);
      notify(e);
      return true;
    },

    async renewLease(id, leaseMs, fence) {
      const e = entry(id);
      if (fenced(e, fence) || isTerminal(e.job.state)) return false;
      setLease(e, leaseMs);
      return true;
    },

    async expiredLeases(limit) {
      const now = clock();
      return [...leased]
        .filter((e) => e.leaseUntil !== null && e.leaseUntil <= now)
        .sort((a, b) => a.leaseUntil! - b.leaseUntil!)
        .slice(0, Math.max(0, limit))
        .map((e) => ({ id: e.job.id, state: e.job.state, attempt: e.job.attempt, expiredAt: new Date(e.leaseUntil!).toISOString() }));
    },

    async requestCancel(id, at, by) {
      const e = entry(id);
      if (e.job.state !== 'running') return null;
      if (e.job.cancelRequestedAt === null) {
        e.job.cancelledBy = by ? { ...by } : null;
        e.job.cancelRequestedAt = at;
        events.record('cancel-requested', e.job, e.logs.length);
      }
      notify(e);
      return structuredClone(e.job);
    },

    async watchCancel(id, signal) {
      const e = entry(id);
      while (e.job.cancelRequestedAt === null) {
        signal.throwIfAborted();
        await nextChange(e, signal);
      }
    },

    async appendLogs(id, lines, fence) {
      const e = entry(id);
      // A fenced write belongs to a running attempt; once the job is queued again it is refused too.
      if (fenced(e, fence) || isTerminal(e.job.state) || (fence && e.job.state !== 'running')) return null;
      e.logs.append(lines);
      if (lines.length > 0) notify(e);
      return e.logs.length;
    },

    async readLogs(id, { from, limit }): Promise<LogSlice> {
      const { logs } = entry(id);
      const start = Math.max(0, from);
      const { lines, times } = logs.slice(start, limit);
      return { lines, next: start + lines.length, total: logs.length, times };
    },

    async *followLogs(id, { from, signal }): AsyncGenerator<LogEntry> {
      const e = entry(id);
      let next = Math.max(0, from);
      while (!signal?.aborted) {
        while (next < e.logs.length) {
          yield e.logs.entry(next)!;
          next += 1;
          if (signal?.aborted) return;
        }
        if (isTerminal(e.job.state)) return;
        await nextChange(e, signal);
      }
    },

    followEvents: (followOptions = {}) =>
      events.follow(followOptions, (jobId) => {
        const found = entries.get(jobId);
        return found ? { job: found.job, logLength: found.logs.length } : null;
      }),

    lastEventId: async () => events.lastId(),

    async getDeployMetadata(id) {
      const found = entries.get(id);
      return found?.deploy ? structuredClone(found.deploy) : null;
    },

    async health(): Promise<ComponentHealth> {
      return { name: this.name, ok: true, details: { jobs: entries.size, persistent: false, eventFollowers: events.followers } };
    },

    async close() {
      events.close();
      for (const e of entries.values()) notify(e);
    },
  };
  return store;
}
