/**
 * Concurrency groups: a job holds a slot in each of its groups while it runs, and a group has
 * a limit (1 by default), so deploys that share a service run one at a time while deploys of
 * unrelated services run side by side. Jobs of a group start in submission order. The store
 * checks and takes the slots in the same atomic step as the claim (see JobStore.transition),
 * and frees them in the step that moves the job out of `running`: a lost worker's slots are
 * freed when its job is declared lost, and a stale attempt cannot free what it does not hold.
 */
import { parseImageReference } from './schemas/docker-reference.js';
import type { NewJob } from './job.js';
import type { BuildSpec, DeploySpec } from './schemas/payloads.js';

export type GroupPolicy = 'queue' | 'supersede';

export interface JobGroup {
  /** `deploy:rag-service`, `build:registry.example/team/app`, `environment:production`, or the server's own. */
  name: string;
  /** How many of its jobs may run at once. */
  limit: number;
  /**
   * `queue`: every job waits its turn. `supersede`: a newer job ends the group's older
   * *queued* jobs as cancelled ("superseded by …"); a running job is never cancelled.
   */
  policy: GroupPolicy;
}

/** Why a queued job has not started: a job ahead of it holds, or waits for, a slot of this group. */
export interface GroupWait {
  group: string;
  /** The job that runs in the group, or waits in it ahead of this one. */
  jobId: string;
  /** When the job was first found waiting for this group and job (ISO 8601). */
  since: string;
}

/** A group's limit and policy, for the group names that match `match` (`*` stands for any characters). */
export interface GroupRule {
  match: string;
  limit?: number;
  policy?: GroupPolicy;
}

export interface ConcurrencyOptions {
  /**
   * The groups every job gets: a deploy `deploy:<service>` for each service it maps, a build
   * `build:<image repository>` (its `image`, else its service). Default true.
   */
  defaultGroups?: boolean;
  /** More groups for a job: e.g. `() => ['builds']` with a rule `{ match: 'builds', limit: 3 }`. */
  groups?: (job: NewJob) => readonly string[];
  /** Limits and policies by group name; the first rule that matches applies; otherwise limit 1, `queue`. */
  rules?: readonly GroupRule[];
  /**
   * Environments a deploy may name (its optional `environment` field); each is a group
   * `environment:<name>` (one deploy at a time per environment unless a rule says otherwise).
   * Empty or absent: a deploy that names one is refused.
   */
  environments?: readonly string[];
}

/** The longest group name a store keeps: a service id or an image repository fits. */
export const MAX_GROUP_NAME = 300;

export function jobGroups(job: NewJob, options: ConcurrencyOptions = {}): JobGroup[] {
  const names = new Set<string>();
  // NewJob's spec is a union by kind that a Pick cannot narrow: read it as either.
  const spec = job.spec as Partial<BuildSpec & DeploySpec>;
  if (options.defaultGroups !== false) {
    if (job.kind === 'deploy') {
      for (const service of Object.keys(spec.mappings ?? {})) names.add(`deploy:${service}`);
    } else {
      const repository = spec.image ? (parseImageReference(spec.image)?.repository ?? spec.image) : spec.service;
      if (repository) names.add(`build:${repository}`);
    }
  }
  if (job.kind === 'deploy' && spec.environment) names.add(`environment:${spec.environment}`);
  for (const name of options.groups?.(job) ?? []) names.add(name);
  return [...names]
    .filter((name) => name.length > 0 && name.length <= MAX_GROUP_NAME)
    .map((name) => {
      const rule = options.rules?.find((candidate) => globMatches(candidate.match, name));
      return { name, limit: Math.max(1, Math.floor(rule?.limit ?? 1)), policy: rule?.policy ?? 'queue' };
    });
}

/** What a group is about, in words: `deploy of rag-service`, `build of registry/app`, `deploy to production`. */
export function describeGroup(name: string): string {
  const colon = name.indexOf(':');
  const [prefix, rest] = colon > 0 ? [name.slice(0, colon), name.slice(colon + 1)] : ['', name];
  if (prefix === 'deploy') return `deploy of ${rest}`;
  if (prefix === 'build') return `build of ${rest}`;
  if (prefix === 'environment') return `deploy to ${rest}`;
  return `group ${name}`;
}

/** The waiting reason as the API, the UI and the log say it: `waiting for 01a2…c1b9 (deploy of rag-service)`. */
export function describeWait(wait: Pick<GroupWait, 'group' | 'jobId'>): string {
  return `waiting for ${wait.jobId} (${describeGroup(wait.group)})`;
}

function globMatches(pattern: string, name: string): boolean {
  const expression = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${expression}$`).test(name);
}
