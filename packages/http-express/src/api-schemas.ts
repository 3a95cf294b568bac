/**
 * The HTTP API's own schemas: query strings, path parameters and response bodies. Request
 * payloads come from core. The OpenAPI document is generated from these and nothing else.
 */
import { z } from 'zod';
import { HEADLINE_ERROR_CHARS, JOB_KINDS, JOB_STATES, MAX_SEARCH_LENGTH, ROLES, StoredBuildSpec, StoredDeploySpec, isJobId, unsafeTextReason, type ErrorCode } from '@docker-builder/core';
import { STATUS_BY_CODE } from './error-response.js';
import type { StreamEventDefinition } from './route-definition.js';

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

const kindFilter = z.enum(JOB_KINDS as ['build', 'deploy'], { error: 'must be "build" or "deploy"' }).optional().describe('Only builds or only deploys.');

const search = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(MAX_SEARCH_LENGTH, { error: `must be at most ${MAX_SEARCH_LENGTH} characters` })
  .superRefine((text, ctx) => {
    // No job is found by such text (every term is a validated name), and none of it belongs in a key name.
    const reason = unsafeTextReason(text, { allowLeadingDash: true });
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  })
  .optional()
  .describe(
    'Only jobs about this word, matched whole and without case: a service (`rag-service`), an image as written, its repository or ' +
      'the repository\'s last part (`registry.example/team/rag-service:1.2`, `registry.example/team/rag-service`, `rag-service`), ' +
      'or the id or name of the user who submitted the job.',
  );

export const ListQuery = z.strictObject({
  limit: integer(1, 200).optional().describe('Jobs per page, 1–200 (default 50).'),
  cursor: z.string().max(200).optional().describe('The `nextCursor` of the previous page.'),
  state: stateList.optional(),
  kind: kindFilter,
  q: search,
  retryOf: jobId.optional().describe('Only the jobs that retry this one.'),
});

export const CancelQuery = z.strictObject({
  onlyQueued: z
    .enum(['true', 'false'], { error: 'must be "true" or "false"' })
    .optional()
    .describe('`true`: cancel the job only if it is still queued; a job that has started is left alone (409).'),
});

export const CountQuery = z.strictObject({ kind: kindFilter, q: search });

export const JobCountsBody = z.object({
  counts: z.object(Object.fromEntries(JOB_STATES.map((state) => [state, z.number().int().min(0)])) as Record<(typeof JOB_STATES)[number], z.ZodNumber>)
    .describe('Jobs per state.'),
  total: z.number().int().min(0).describe('All of them.'),
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
  timestamps: z
    .enum(['1', 'true'], { error: 'must be 1 or true' })
    .optional()
    .describe(
      'Start each line with when it was stored (ISO 8601, UTC, milliseconds) and a space, as `docker logs -t` does. ' +
        'Lines stored before times were kept (jobs migrated from the seed service) have none and are sent as they are.',
    ),
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
// Formats without zod's patterns: these describe answers, which are never parsed with them.
const timestamp = z.string().meta({ format: 'date-time' }).describe('ISO 8601, UTC.');
const uuid = () => z.string().meta({ format: 'uuid' });

const storedJobId = uuid().describe('The job id (UUIDv7: ids sort by creation time).');
const groupWait = z
  .object({
    group: z.string().describe('The group, e.g. `deploy:rag-service`.'),
    jobId: uuid().describe('The job that runs in the group, or waits in it ahead of this one.'),
    since: timestamp.describe('When the job was first found waiting for this group and job.'),
  })
  .nullable()
  .describe('Why a queued job has not started: `waiting for <jobId> (deploy of rag-service)`; null otherwise.');
const jobFields = {
  state: z.enum(JOB_STATES),
  progress: z.number().int().min(0).max(100),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  error: z.string().nullable().describe('Why the job failed or was cancelled.'),
  result: z.unknown().describe('What the runner returned (image references, digest…), once done; null before.'),
  user: user.describe('Who submitted the job (for a retry: who retried it, at `createdAt`).'),
  retryOf: uuid().nullable().describe('The job this one retries.'),
  attempt: z.number().int().min(0).describe('How many times a worker has taken the job (more than 1 after a lost worker).'),
  cancelRequestedAt: timestamp.nullable().describe('When cancelling was asked for while the job ran.'),
  cancelledBy: user.describe('Who cancelled the job, or asked it to stop; null when nobody did (or nobody signed in).'),
  placeInLine: z.number().int().min(1).optional().describe('A queued job\'s place in line, 1 for the next to start, counting every queued job in submission order.'),
  groups: z
    .array(
      z.object({
        name: z.string().describe('`deploy:<service>`, `build:<image repository>`, `environment:<name>`, or one of the server\'s own.'),
        limit: z.number().int().min(1).describe('How many of its jobs may run at once.'),
        policy: z.enum(['queue', 'supersede']).describe('`supersede`: a newer job cancels the older queued ones (never a running one).'),
      }),
    )
    .describe('The concurrency groups the job holds a slot in while it runs: their jobs start one (or `limit`) at a time, in submission order.'),
  waitingFor: groupWait,
  waits: z.number().int().min(0).describe('How many times the job was found waiting for a group.'),
};

export const BuildJob = z
  .object({ id: storedJobId, kind: z.literal('build'), ...jobFields, spec: StoredBuildSpec })
  .describe('A build job, without its log.');
export const DeployJob = z
  .object({ id: storedJobId, kind: z.literal('deploy'), ...jobFields, spec: StoredDeploySpec })
  .describe('A deploy job, without its log.');

/** A job as the API returns it: what `spec` holds depends on `kind`. */
export const JobSummary = z.discriminatedUnion('kind', [BuildJob, DeployJob]).describe('A job, without its log: a build or a deploy, told apart by `kind`.');

/** When a run of log lines was stored: each line has the time of the last run at or before it. */
export const LogTimeBody = z
  .object({
    from: z.number().int().min(0).describe('Index of the run\'s first line.'),
    at: timestamp.describe('When the run\'s lines were stored, by the store\'s clock (ISO 8601, UTC, milliseconds).'),
  })
  .describe('When a run of log lines was stored (one write: lines are stored in batches, about every 100 ms): every line from `from` up to the next run\'s has this time.');

const logPage = {
  logs: z.array(z.string()).describe(`Log lines from \`logsFrom\`: at most \`logsLimit\` (default ${DEFAULT_LOG_PAGE_LINES}).`),
  logsNext: z.number().int().min(0).describe('Index after the last line returned.'),
  logsTotal: z.number().int().min(0).describe('Lines in the whole log.'),
  logsTimes: z
    .array(LogTimeBody)
    .describe(
      'When the lines of `logs` were stored, as runs in order, the first one from `logsFrom`: line `i` has the `at` of the last run whose `from` is at most `i`. ' +
        'Lines before the first run have no time (stored before times were kept, as by jobs migrated from the seed service); empty when no line has one.',
    ),
};
export const BuildJobWithLogs = BuildJob.extend(logPage).describe('A build job with a page of its log.');
export const DeployJobWithLogs = DeployJob.extend(logPage).describe('A deploy job with a page of its log.');
export const JobWithLogs = z.discriminatedUnion('kind', [BuildJobWithLogs, DeployJobWithLogs]).describe('A job with a page of its log.');

export const JobPageBody = z.object({
  jobs: z.array(JobSummary).describe('Newest first.'),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page.'),
});

export const SubmitBody = z.object({
  id: uuid().describe('The new job\'s id: follow it at `/build/{id}`.'),
  enqueued: z.boolean().describe('False when the queue refused the job and the server runs it itself.'),
});

export const RetryBody = SubmitBody.extend({ retryOf: uuid().describe('The job retried.') });

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
  groups: z
    .array(
      z.object({
        name: z.string().describe('The group, e.g. `deploy:rag-service`.'),
        limit: z.number().int().min(1).describe('How many of its jobs may run at once.'),
        policy: z.enum(['queue', 'supersede']),
        holders: z.array(uuid()).describe('The running jobs holding its slots.'),
        waiting: z.array(uuid()).describe('Its queued jobs, oldest first: they start in this order.'),
      }),
    )
    .nullable()
    .describe('The concurrency groups a job holds a slot in or waits for, by name; null when the store did not answer (`store` says why).'),
});

/** Every code an error body may carry: the ones the HTTP layer maps to a status. */
export const ERROR_CODES = Object.keys(STATUS_BY_CODE) as [ErrorCode, ...ErrorCode[]];

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe('Stable: branch on this, not on `message`.'),
      message: z.string().describe('What went wrong and what to do about it, for people.'),
      issues: z
        .array(z.object({ path: z.string().describe('The field at fault, dotted: `mappings.rag-service`.'), message: z.string() }))
        .optional()
        .describe('With VALIDATION_FAILED: each field at fault.'),
    }),
  })
  .describe('Every error the API answers, whatever its status.');

/** A job in an event: what a row of the queue shows, without spec, result or log. */
const headlineFields = {
  id: storedJobId,
  state: z.enum(JOB_STATES),
  progress: z.number().int().min(0).max(100),
  attempt: jobFields.attempt,
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  cancelRequestedAt: jobFields.cancelRequestedAt,
  error: z.string().max(HEADLINE_ERROR_CHARS).nullable().describe(`The first line of the job's error (at most ${HEADLINE_ERROR_CHARS} characters).`),
  user: jobFields.user,
  cancelledBy: jobFields.cancelledBy,
  retryOf: jobFields.retryOf,
  waitingFor: groupWait,
  placeInLine: z.number().int().min(1).optional().describe('On `created` and `requeued` only: the job\'s place in line as it joined, 1 for the next to start.'),
};
export const BuildHeadline = z
  .object({
    ...headlineFields,
    kind: z.literal('build'),
    service: z.string(),
    image: z.string().nullable().describe('The repository asked for; null for the server\'s default (its registry prefix and the service).'),
    tags: z.array(z.string()),
  })
  .describe('A build, as an event carries it.');
export const DeployHeadline = z
  .object({
    ...headlineFields,
    kind: z.literal('deploy'),
    services: z.array(z.string()).describe('The services deployed, in the order of `mappings`.'),
    images: z.array(z.string()).describe('Their images, in the same order.'),
  })
  .describe('A deploy, as an event carries it.');
export const JobHeadline = z
  .discriminatedUnion('kind', [BuildHeadline, DeployHeadline])
  .describe('A job as an event carries it: what a list shows (state, progress, times, who, the error\'s first line, the service or services), never its spec, result or log.');

/** Event ids are the store's own (opaque); these are the characters either store uses, with room to spare. */
const eventId = z
  .string()
  .regex(/^[0-9A-Za-z._:-]{1,100}$/, { error: 'must be an event id this API sent (letters, digits, ".", "_", ":" or "-", at most 100)' });

const EVENT_FILTER_HELP =
  'A job that leaves a state shows as an event of the state it moved to: a view of running jobs that wants to see them end asks for their end states too.';

export const EventsQuery = z.strictObject({
  after: eventId.optional().describe('Send the events after this one (an `id` this stream sent). The `Last-Event-ID` header, sent by EventSource on reconnect, takes precedence.'),
  kind: ListQuery.shape.kind,
  state: stateList.optional().describe(`Only events whose job is, after the change, in one of these states (comma-separated or repeated). ${EVENT_FILTER_HELP}`),
});

export const EventsHeaders = z.strictObject({
  'Last-Event-ID': eventId
    .optional()
    .describe('The `id` of the last event received, which EventSource sends when it reconnects: the stream goes on after it (or says `reset`). An empty header counts as absent.'),
});

const EVENT_ID_PATTERN = '^[0-9A-Za-z._:-]{1,100}$';
const jobEvent = (what: string) => ({ description: what, data: JobHeadline, json: true, id: true, idPattern: EVENT_ID_PATTERN });

/** What `GET /events` sends: routes.ts's feed, and sse.ts's error event. */
export const FEED_EVENTS = {
  ready: {
    description:
      'First: the stream is live. `resumed` is true when it goes on from `after` or `Last-Event-ID` (nothing was missed), false when it starts from now: read the jobs (`/builds`) after this event, then apply what follows.',
    data: z.object({ resumed: z.boolean() }).describe('Whether the stream goes on from where the client was.'),
    json: true,
    id: true,
    idPattern: EVENT_ID_PATTERN,
  },
  reset: {
    description:
      'The events after `after` are no longer kept (or it was never an id of this store), or this client fell too far behind: read the jobs again, then apply what follows.',
    data: z.object({ reason: z.string() }).describe('Why the client must read the jobs again.'),
    json: true,
    id: true,
    idPattern: EVENT_ID_PATTERN,
  },
  created: jobEvent('A job was submitted (or retried).'),
  started: jobEvent('A worker started the job (an attempt: `attempt` counts them).'),
  progress: jobEvent('The job\'s progress changed (whole percents, at most every `progressIntervalMs`, 200 ms by default).'),
  finished: jobEvent('The job ended: `state` is done, error or cancelled.'),
  requeued: jobEvent('The job went back to the queue: its worker was lost and the retry policy allows another attempt.'),
  'cancel-requested': jobEvent('Someone asked the running job to stop (`cancelledBy`); `finished` follows once it has.'),
  waiting: jobEvent('A worker found the queued job waiting for a slot of one of its concurrency groups (`waitingFor`); it starts when its turn comes.'),
  error: {
    description: 'The feed could not be read: the error body. The stream closes; reconnect with `Last-Event-ID` to go on.',
    data: ErrorBodySchema,
    json: true,
  },
} satisfies Record<string, StreamEventDefinition>;

/** The data of a log stream's `end` event. */
export const LogStreamEnd = z
  .object({ state: z.enum(JOB_STATES), error: z.string().nullable(), progress: z.number().int().min(0).max(100) })
  .describe('How the job ended.');

/** What a log stream sends: routes.ts's logEvents, and sse.ts's error event. */
export const LOG_STREAM_EVENTS = {
  message: { description: 'One log line; its `id` is the line\'s index.', data: z.string(), id: true, idPattern: '^\\d+$' },
  time: {
    description:
      'When the lines from `from` on were stored, sent before the first of them: each `message` has the time of the last `time` before it. ' +
        'The first line sent (also on a resumed stream) has one before it, unless it was stored before times were kept. No `id`.',
    data: LogTimeBody,
    json: true,
  },
  state: {
    description:
      'First, the job as it is now; then each change of state (started, finished, queued again, asked to stop, found waiting for a concurrency group: `waitingFor`), after the lines the log had when it happened. No `id`: `Last-Event-ID` stays the last line\'s.',
    data: JobHeadline,
    json: true,
  },
  progress: {
    description: 'The job\'s progress changed, after the lines the log had when it did. No `id`.',
    data: JobHeadline,
    json: true,
  },
  end: { description: 'The job has ended, with its final state; the stream closes after it.', data: LogStreamEnd, json: true },
  error: {
    description: 'The log could not be read: the error body. The stream closes; reconnect with `Last-Event-ID` to resume.',
    data: ErrorBodySchema,
    json: true,
  },
} satisfies Record<string, StreamEventDefinition>;
