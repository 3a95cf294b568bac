/** Ready-made jobs for contract suites and adapter tests. */
import { createJobId } from '../job-id.js';
import type { JobKind, JobUser, NewJob } from '../job.js';
import type { BuildSpec, DeploySpec } from '../schemas/payloads.js';

export const SEED_MAPPINGS: Record<string, string> = {
  'rag-service': 'us-central1-docker.pkg.dev/PROJECT/REPO/rag-service:20251025-111006',
  'neuroboss-service': 'us-central1-docker.pkg.dev/PROJECT/REPO/neuroboss-service:20251025-183318',
  'agent-service': 'us-central1-docker.pkg.dev/PROJECT/REPO/agent-service:20251025-184200',
};

export function buildSpec(overrides: Partial<BuildSpec> = {}): BuildSpec {
  return {
    service: 'rag-service',
    context: '.',
    dockerfile: 'Dockerfile',
    tags: ['20251025-111006'],
    buildArgs: {},
    labels: {},
    noCache: false,
    pull: false,
    push: false,
    ...overrides,
  };
}

export function deploySpec(mappings: Record<string, string> = SEED_MAPPINGS): DeploySpec {
  return { mappings };
}

export function newJob(kind: JobKind = 'build', options: { user?: JobUser | null; at?: Date } = {}): NewJob {
  const at = options.at ?? new Date();
  const base = { id: createJobId(at.getTime()), user: options.user ?? null, retryOf: null, createdAt: at.toISOString() };
  return kind === 'build' ? { ...base, kind, spec: buildSpec() } : { ...base, kind, spec: deploySpec() };
}
