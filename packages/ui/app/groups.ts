/**
 * Concurrency groups as the API gives them, and the words for them: the same as the server's
 * (`waiting for 9f3c2a1b (deploy of rag-service)`), so the queue, a job's page and its log agree.
 */
export type GroupPolicy = 'queue' | 'supersede';

export interface JobGroup {
  name: string;
  limit: number;
  policy: GroupPolicy;
}

/** Why a queued job has not started: the job ahead of it in one of its groups. */
export interface GroupWait {
  group: string;
  jobId: string;
  since: string;
}

/** A group as `_debug` shows it: who holds its slots, who waits (oldest first). */
export interface GroupState extends JobGroup {
  holders: string[];
  waiting: string[];
}

/** What a group is about: `deploy of rag-service`, `build of registry/app`, `deploy to production`. */
export function describeGroup(name: string): string {
  const colon = name.indexOf(':');
  const [prefix, rest] = colon > 0 ? [name.slice(0, colon), name.slice(colon + 1)] : ['', name];
  if (prefix === 'deploy') return `deploy of ${rest}`;
  if (prefix === 'build') return `build of ${rest}`;
  if (prefix === 'environment') return `deploy to ${rest}`;
  return `group ${name}`;
}

/** How a group runs its jobs: `one at a time`, `3 at a time, a newer job replaces the queued ones`. */
export function groupRule(group: JobGroup): string {
  const limit = group.limit === 1 ? 'one at a time' : `${group.limit} at a time`;
  return group.policy === 'supersede' ? `${limit}, a newer job replaces the queued ones` : limit;
}
