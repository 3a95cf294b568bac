/** The answer of `GET /runners`: per kind of job, whether this server runs it and what would make it fail. */
import { z } from 'zod';

export const RunnerProblemSchema = z
  .object({
    cause: z.string().describe('What is wrong, for every user: no addresses, paths or versions.'),
    fix: z.string().describe('What to do, naming the setting to change.'),
    settings: z.array(z.string()).describe('The settings that fix it, as the standalone server names them (`DOCKER_HOST`, `BUILD_CONTEXT_ROOT`); may be empty.'),
    detail: z.string().optional().describe('`admin` users only: the whole story, with the address, path or the engine\'s own words.'),
  })
  .describe('One thing that makes jobs fail or be refused, and what to change.');

const feature = (what: string) =>
  z
    .object({
      ok: z.boolean(),
      problem: RunnerProblemSchema.optional().describe('When `ok` is false: why, and what to change.'),
    })
    .describe(what);

export const BuildContextSourcesSchema = z
  .object({
    directory: feature('A directory under the server\'s context root (`"context": "services/api"`).'),
    git: feature('A git URL the engine clones (`"context": "https://github.com/team/repo.git#main:dir"`).').extend({
      hosts: z.array(z.string()).optional().describe('The hosts a git context may be cloned from; for users who may submit.'),
      ssh: z.boolean().describe('ssh://git@host/repo.git URLs are allowed too.'),
    }),
    upload: feature('A tar archive sent as the body of `POST /build` (`Content-Type: application/x-tar`).').extend({
      maxBytes: z.number().int().optional().describe('The largest archive accepted, in bytes.'),
    }),
  })
  .describe('Where a build\'s context may come from on this server: a form offers only the sources that work.');

export const RunnerStatusSchema = z
  .object({
    name: z.string().describe('The runner, as `_debug` names it.'),
    ok: z.boolean().describe('False when `problems` is not empty.'),
    problems: z.array(RunnerProblemSchema).describe('What makes this kind\'s jobs fail or be refused now; empty when nothing known does.'),
    contexts: BuildContextSourcesSchema.optional().describe('Builds: where a context may come from, when the runner says.'),
    push: feature('Builds: whether images may be pushed (a registry is configured).').optional(),
  })
  .describe('A runner this server has.');

export const RunnersBody = z
  .object({
    build: RunnerStatusSchema.nullable().describe('null: this server has no build runner, and refuses builds.'),
    deploy: RunnerStatusSchema.nullable().describe('null: this server has no deploy runner, and refuses deploys.'),
  })
  .describe('Per kind of job: whether this server runs it, and what would make its jobs fail now.');
