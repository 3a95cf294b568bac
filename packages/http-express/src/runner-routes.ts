/**
 * `GET /runners`: what the UI's banner and forms are built from. Every reader learns which kinds
 * this server runs and what would make their jobs fail, with the setting to change; the details
 * (addresses, paths) go to admins only, and the allowed git hosts to users who may submit (a
 * refused submission would name them anyway).
 */
import { roleAllows, type Builder, type RunnerFeature, type RunnerProblem, type RunnerStatus } from '@docker-builder/core';
import { defineRoute, type RouteDefinition } from './route-definition.js';
import { RunnersBody } from './runner-schemas.js';

export interface RunnerRouteOptions {
  /**
   * Whether the router accepts uploaded build contexts, and up to how many bytes: null when it
   * does not. Absent (a host that mounts the routes itself): the runner's word is taken.
   */
  uploads?: { maxBytes: number } | null;
}

const UPLOADS_OFF: RunnerProblem = {
  cause: 'Uploaded contexts are off: this server does not accept archives.',
  fix: "Give the router an uploads directory (createBuilderRouter's uploads option; the standalone server always has one).",
  settings: [],
};

const NO_SOURCE: RunnerProblem = {
  cause: 'No build context source is on, so every build is refused.',
  fix: 'Set BUILD_CONTEXT_ROOT (directories), GIT_HOSTS (git URLs) or UPLOADS_DIR (uploaded archives).',
  settings: ['BUILD_CONTEXT_ROOT', 'GIT_HOSTS', 'UPLOADS_DIR'],
};

export function createRunnerRoutes(builder: Builder, options: RunnerRouteOptions = {}): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/runners',
      operationId: 'getRunners',
      summary: 'What this server can run, and what would make it fail',
      description:
        'Per kind of job: null when this server has no runner for it (it refuses such jobs), else whether its jobs can run now and, when not, ' +
        'each problem with what to change (`settings` names the setting, as the standalone server spells it). For builds, where a context may come from ' +
        '(a directory, a git URL, an uploaded archive) and whether images may be pushed, so a form offers only what works. ' +
        'Every user who may read jobs may ask; only `admin` users get each problem\'s `detail` (addresses, paths), and only users who may submit get the allowed git hosts.',
      responses: { 200: { description: 'The runners, by kind.', schema: RunnersBody } },
      handler: async ({ role, canWrite }) => {
        const readiness = await builder.readiness();
        const audience = { admin: roleAllows(role, 'admin'), canWrite };
        const view = (status: RunnerStatus | null) => (status ? forCaller(withUploads(status, options.uploads), audience) : null);
        return { status: 200, body: { build: view(readiness.build), deploy: view(readiness.deploy) } };
      },
    }),
  ];
}

/** The router's own word on uploads, and a build that could take no context at all, folded in. */
function withUploads(status: RunnerStatus, uploads: RunnerRouteOptions['uploads']): RunnerStatus {
  if (!status.contexts) return status;
  let upload: RunnerFeature & { maxBytes?: number } = status.contexts.upload;
  if (uploads === null) upload = { ok: false, problem: UPLOADS_OFF };
  else if (uploads && upload.ok) upload = { ...upload, maxBytes: uploads.maxBytes };
  const contexts = { ...status.contexts, upload };
  const anySource = contexts.directory.ok || contexts.git.ok || contexts.upload.ok;
  const problems = anySource ? status.problems : [...status.problems, NO_SOURCE];
  return { ...status, ok: problems.length === 0, problems, contexts };
}

function forCaller(status: RunnerStatus, audience: { admin: boolean; canWrite: boolean }): RunnerStatus {
  const problem = (p: RunnerProblem): RunnerProblem => (audience.admin || p.detail === undefined ? p : { cause: p.cause, fix: p.fix, settings: p.settings });
  const feature = <F extends RunnerFeature>(f: F): F => (f.problem ? { ...f, problem: problem(f.problem) } : f);
  const { contexts, push } = status;
  return {
    ...status,
    problems: status.problems.map(problem),
    ...(contexts
      ? {
          contexts: {
            directory: feature(contexts.directory),
            git: audience.canWrite ? feature(contexts.git) : withoutHosts(feature(contexts.git)),
            upload: feature(contexts.upload),
          },
        }
      : {}),
    ...(push ? { push: feature(push) } : {}),
  };
}

function withoutHosts<G extends { hosts?: string[] }>(git: G): G {
  const { hosts: _hosts, ...rest } = git;
  return rest as G;
}
