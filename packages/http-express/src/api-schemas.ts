/**
 * The HTTP API's own schemas: query strings, path parameters and response bodies. Request
 * payloads come from core. The OpenAPI document is generated from these and nothing else.
 */
import { z } from 'zod';
import { CreateBuildPayload, CreateDeployPayload, JOB_KINDS, JOB_STATES, ROLES, isJobId } from '@docker-builder/core';

const jobId = z
  .string()
  .refine(isJobId, { error: 'must be a job id, such as "019a1b2c-3d4e-7f00-8a00-0123456789ab"' })
  .describe('A job id (UUIDv7).');

export const JobIdParams = z.strictObject({ id: jobId });

const stateList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => [value].flat().flatMap((part) => part.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(JOB_STATES, { error: `must be one of ${JOB_STATES.join(', ')}` })).max(JOB_STATES.length))
  .describe('Only jobs in these states: one or more of queued, running, done, error, cancelled (comma-separated or repeated).');

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));

export const ListQuery = z.strictObject({
  limit: integer(1, 200).optional().describe('Jobs per page, 1–200 (default 50).'),
  cursor: z.string().max(200).optional().describe('The `nextCursor` of the previous page.'),
  state: stateList.optional(),
  kind: z.enum(JOB_KINDS as ['build', 'deploy'], { error: 'must be "build" or "deploy"' }).optional().describe('Only builds or only deploys.'),
});

/** Log lines `GET /build/:id` returns unless asked for more: a job's log may be 100 000 lines. */
export const DEFAULT_LOG_PAGE_LINES = 1_000;

export const JobQuery = z.strictObject({
  logsFrom: integer(0, Number.MAX_SAFE_INTEGER).optional().describe('Return log lines from this index on (default 0).'),
  logsLimit: integer(0, 1_000_000)
    .optional()
    .describe(
      `Return at most this many log lines (default ${DEFAULT_LOG_PAGE_LINES}). When \`logsNext\` < \`logsTotal\` there is more: ` +
        'ask again with `logsFrom=<logsNext>`, or read the whole log from `/build/{id}/logs.txt` or follow it at `/build/{id}/logs`.',
    ),
});

const pairs = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value, ctx) => {
      const out: Record<string, string> = {};
      for (const pair of [value].flat()) {
        const equals = pair.indexOf('=');
        if (equals <= 0) {
          ctx.addIssue({ code: 'custom', message: `must be ${what}=VALUE` });
          return z.NEVER;
        }
        out[pair.slice(0, equals)] = pair.slice(equals + 1);
      }
      return out;
    });

const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true');

/**
 * The build fields as query parameters, for `POST /build` with a tar archive as the body.
 * The result is checked again as a CreateBuildPayload.
 */
export const TarBuildQuery = z
  .strictObject({
    service: z.string().describe('The service the image is for.'),
    dockerfile: z.string().optional().describe('The Dockerfile, relative to the archive root (default "Dockerfile").'),
    image: z.string().optional(),
    tag: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => [value].flat().flatMap((part) => part.split(',')))
      .optional()
      .describe('Tags, comma-separated or repeated.'),
    buildArg: pairs('NAME').optional().describe('Build arguments as NAME=VALUE, repeated.'),
    label: pairs('KEY').optional().describe('Labels as KEY=VALUE, repeated.'),
    target: z.string().optional(),
    platform: z.string().optional(),
    noCache: flag.optional(),
    pull: flag.optional(),
    push: flag.optional(),
  })
  .transform(({ tag, buildArg, label, ...rest }) => ({
    ...rest,
    ...(tag ? { tags: tag } : {}),
    ...(buildArg ? { buildArgs: buildArg } : {}),
    ...(label ? { labels: label } : {}),
  }));

export const LogTextQuery = z.strictObject({
  download: z.enum(['1', 'true'], { error: 'must be 1 or true' }).optional().describe('Send as an attachment (a file download).'),
});

export const SessionBody = z.object({
  user: z.object({ sub: z.string(), name: z.string().optional() }).nullable(),
  role: z.enum(ROLES).describe('read: jobs and logs; write: also submit, retry and cancel own jobs; admin: also cancel any job and see _debug details.'),
  canWrite: z.boolean().describe('False when the host made this user read-only: submit, cancel and retry answer 403.'),
});

export const LogStreamQuery = z.strictObject({
  from: integer(0, Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('First line to send (default 0). A `Last-Event-ID` header, sent by EventSource on reconnect, takes precedence.'),
});

/** The last line's index; the stream resumes at the next one, which must still be a safe integer. */
export const LogStreamHeaders = z.strictObject({
  'Last-Event-ID': integer(0, Number.MAX_SAFE_INTEGER - 1)
    .optional()
    .describe(
      'The `id` of the last line received, which EventSource sends when it reconnects: the stream resumes after it. ' +
        `A whole number from 0 to ${Number.MAX_SAFE_INTEGER - 1}; anything else is answered 400. An empty header counts as absent.`,
    ),
});

const user = z.object({ sub: z.string(), name: z.string().optional() }).nullable();

const jobFields = {
  id: z.string(),
  kind: z.enum(JOB_KINDS as ['build', 'deploy']),
  state: z.enum(JOB_STATES),
  progress: z.number().int().min(0).max(100),
  createdAt: z.string().describe('ISO 8601.'),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable().describe('Why the job failed or was cancelled.'),
  result: z.unknown().describe('What the runner returned (image references, digest…), once done.'),
  spec: z
    .union([CreateBuildPayload, CreateDeployPayload])
    .describe('The submitted payload with defaults filled in; the values of `secretBuildArgs` appear only sealed (`sealed:v1:…`), never as sent.'),
  user: user.describe('Who submitted the job (for a retry: who retried it, at `createdAt`).'),
  retryOf: z.string().nullable(),
  attempt: z.number().int(),
  cancelRequestedAt: z.string().nullable(),
  cancelledBy: user.describe('Who cancelled the job, or asked it to stop; null when nobody did (or nobody signed in).'),
};

export const JobSummary = z.object(jobFields).describe('A job, without its log.');
export const JobWithLogs = z
  .object({
    ...jobFields,
    logs: z.array(z.string()).describe(`Log lines from \`logsFrom\`: at most \`logsLimit\` (default ${DEFAULT_LOG_PAGE_LINES}).`),
    logsNext: z.number().int().describe('Index after the last line returned.'),
    logsTotal: z.number().int().describe('Lines in the whole log.'),
  })
  .describe('A job with its log.');

export const JobPageBody = z.object({
  jobs: z.array(JobSummary),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page.'),
});

export const SubmitBody = z.object({
  id: z.string(),
  enqueued: z.boolean().describe('False when the queue refused the job and the server runs it itself.'),
});

export const RetryBody = SubmitBody.extend({ retryOf: z.string() });

const health = z.object({
  name: z.string(),
  ok: z.boolean(),
  message: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const DebugBody = z.object({
  version: z.string(),
  store: health,
  queue: health.extend({ workers: z.number().optional(), counts: z.record(z.string(), z.number()).optional() }),
  fallback: health.nullable(),
  runners: z.object({ build: health.nullable(), deploy: health.nullable() }),
});

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
