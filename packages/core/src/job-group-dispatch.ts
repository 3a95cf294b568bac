/**
 * What the builder does with concurrency groups around the store's atomic claim: the groups a
 * new job gets (and whether its `environment` is allowed), the older queued jobs a `supersede`
 * group's new job ends, and the wake-up when slots free: the jobs at the head of each group's
 * line are handed to the queue at once, so a waiting job starts when its turn comes, not when
 * a timer fires. If a wake-up is lost (the process dies between the two steps), the waiting
 * job's queued lease hands it over again later: slower, never stuck.
 */
import { ValidationError } from './errors.js';
import { jobGroups, type ConcurrencyOptions, type JobGroup } from './job-groups.js';
import type { Job, NewJob } from './job.js';
import type { JobStore } from './ports/job-store.js';
import type { DeploySpec } from './schemas/payloads.js';

export interface GroupDispatchDeps {
  store: JobStore;
  options: ConcurrencyOptions;
  now: () => Date;
  /** Hands a queued job to the queue (keyed on its waits, so a job found waiting gets a new delivery). */
  hand(job: Job): Promise<unknown>;
  /** After a queued job was ended by a `supersede` group: its runner's leftovers, events. */
  ended(job: Job): Promise<void>;
}

export interface GroupDispatch {
  /** The new job's groups; throws ValidationError for an environment the server does not allow. */
  groupsOf(job: NewJob): JobGroup[];
  /** Ends the older queued jobs of the new job's `supersede` groups; never touches a running one. */
  supersede(job: Job): Promise<void>;
  /** Hands the jobs that may start now in these groups to the queue; never throws, never waits. */
  wake(groups: readonly JobGroup[]): void;
}

export function createGroupDispatch(deps: GroupDispatchDeps): GroupDispatch {
  const { store, options } = deps;
  const environments = new Set(options.environments ?? []);

  const wakeNow = async (names: string[]) => {
    const heads = new Set<string>();
    for (const group of await store.groupStates(names)) {
      for (const id of group.waiting.slice(0, Math.max(0, group.limit - group.holders.length))) heads.add(id);
    }
    for (const id of heads) {
      const job = await store.get(id);
      if (job?.state === 'queued') await deps.hand(job);
    }
  };

  return {
    groupsOf(job) {
      const environment = job.kind === 'deploy' ? (job.spec as Partial<DeploySpec>).environment : undefined;
      if (environment !== undefined && !environments.has(environment)) {
        const allowed = [...environments];
        throw new ValidationError([
          {
            path: 'environment',
            message:
              allowed.length === 0
                ? 'is not taken by this server: it deploys to no named environment (set DEPLOY_ENVIRONMENTS to allow some)'
                : `must be one of ${allowed.join(', ')} (DEPLOY_ENVIRONMENTS)`,
          },
        ]);
      }
      return jobGroups(job, options);
    },

    async supersede(job) {
      for (const { name, policy } of job.groups) {
        if (policy !== 'supersede') continue;
        const [group] = await store.groupStates([name]);
        for (const older of group?.waiting.filter((id) => id < job.id) ?? []) {
          // Only a job still queued: one that started meanwhile is left to finish.
          const ended = await store.transition(older, {
            from: ['queued'],
            to: 'cancelled',
            at: deps.now().toISOString(),
            error: `Superseded by ${job.id}: a newer job of ${name} was submitted (its policy is supersede).`,
            logs: [`[docker-builder] superseded by ${job.id}, a newer job of ${name}; cancelled before it started`],
          });
          if (ended) await deps.ended(ended);
        }
      }
    },

    wake(groups) {
      if (groups.length === 0) return;
      void wakeNow(groups.map((group) => group.name)).catch(() => undefined);
    },
  };
}
