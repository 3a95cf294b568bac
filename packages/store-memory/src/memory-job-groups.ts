/**
 * The memory store's concurrency groups (core's job-groups.ts): per group, the running jobs
 * that hold a slot and the queued jobs in submission order. Every call happens inside one
 * store operation, so a check and the moves after it are one step.
 */
import type { GroupPolicy, GroupState, GroupWait, Job, JobState } from '@docker-builder/core';

interface Group {
  limit: number;
  policy: GroupPolicy;
  holders: Set<string>;
  /** Queued ids, ascending (submission order). */
  waiting: string[];
}

export interface MemoryJobGroups {
  /** A new job joins the line of each of its groups. */
  join(job: Job): void;
  /** What the job waits for, or null when every group has a slot for it now. */
  blocker(job: Job): Pick<GroupWait, 'group' | 'jobId'> | null;
  /** After a job's state changed from `from`: slots taken or freed, lines left or joined. */
  moved(job: Job, from: JobState): void;
  states(names?: readonly string[]): GroupState[];
}

export function createMemoryJobGroups(): MemoryJobGroups {
  const groups = new Map<string, Group>();
  const group = (name: string) => groups.get(name)!;

  const insert = (ids: string[], id: string) => {
    let at = ids.length;
    while (at > 0 && ids[at - 1]! > id) at -= 1;
    if (ids[at - 1] !== id) ids.splice(at, 0, id);
  };
  const remove = (ids: string[], id: string) => {
    const at = ids.indexOf(id);
    if (at >= 0) ids.splice(at, 1);
  };

  return {
    join(job) {
      for (const { name, limit, policy } of job.groups) {
        const existing = groups.get(name);
        if (existing) Object.assign(existing, { limit, policy });
        else groups.set(name, { limit, policy, holders: new Set(), waiting: [] });
        insert(group(name).waiting, job.id);
      }
    },

    blocker(job) {
      for (const { name } of job.groups) {
        const { limit, holders, waiting } = group(name);
        if (holders.size >= limit) return { group: name, jobId: [...holders].sort()[0]! };
        const ahead = waiting.indexOf(job.id);
        if (ahead >= limit - holders.size) return { group: name, jobId: waiting[0]! };
      }
      return null;
    },

    moved(job, from) {
      if (from === job.state) return;
      for (const { name } of job.groups) {
        const { holders, waiting } = group(name);
        if (from === 'running') holders.delete(job.id);
        if (from === 'queued') remove(waiting, job.id);
        if (job.state === 'running') holders.add(job.id);
        if (job.state === 'queued') insert(waiting, job.id);
      }
    },

    states(names) {
      const wanted = names ?? [...groups.keys()].filter((name) => group(name).holders.size > 0 || group(name).waiting.length > 0);
      return wanted
        .filter((name) => groups.has(name))
        .sort()
        .map((name) => {
          const { limit, policy, holders, waiting } = group(name);
          return { name, limit, policy, holders: [...holders].sort(), waiting: [...waiting] };
        });
    },
  };
}
