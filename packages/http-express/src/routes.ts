/** The Docker Builder HTTP API as a table: parse → call the builder → status and body. */
import { CreateBuildPayload, CreateDeployPayload, isTerminal, roleAllows, type Builder, type ComponentHealth, type DebugInfo, type LogTime } from '@docker-builder/core';
import {
  DEFAULT_LOG_PAGE_LINES,
  DebugBody,
  ErrorBodySchema,
  JobIdParams,
  JobPageBody,
  JobQuery,
  JobWithLogs,
  CancelQuery,
  CountQuery,
  JobCountsBody,
  ListQuery,
  LogStreamHeaders,
  LogStreamQuery,
  RetryBody,
  SubmitBody,
  JobSummary,
  LogTextQuery,
  LOG_STREAM_EVENTS,
  SessionBody,
  EventsQuery,
  EventsHeaders,
  FEED_EVENTS,
} from './api-schemas.js';
import { jobEventStream } from './job-event-stream.js';
import { jobLogStream } from './job-log-stream.js';
import { defineRoute, type RouteDefinition } from './route-definition.js';
import { createRunnerRoutes, type RunnerRouteOptions } from './runner-routes.js';
import { PACKAGE_VERSION } from './version.js';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: ERROR_DESCRIPTIONS[status]!, schema: ErrorBodySchema }]));

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid; `error.issues` names each field at fault.',
  401: 'No valid credentials.',
  403: 'This user may only read.',
  404: 'No such job.',
  409: 'The job is not in a state that allows this.',
  413: 'The body is larger than the server accepts.',
  415: 'The body is not `application/json`.',
  503: 'The store is unavailable; for a new job, also: no runner for its kind is configured, or the queue is unavailable.',
};

export function createRoutes(builder: Builder, host: RunnerRouteOptions = {}): RouteDefinition[] {
  return [
    ...createRunnerRoutes(builder, host),
    defineRoute({
      method: 'post',
      path: '/build',
      operationId: 'createBuild',
      mutates: true,
      summary: 'Create a build job',
      description: 'Builds an image from a context, tags it and (by default) pushes every tag.',
      body: CreateBuildPayload,
      responses: { 202: { description: 'Accepted.', schema: SubmitBody }, ...errors(400, 401, 403, 413, 415, 503) },
      handler: async ({ body, user }) => ({ status: 202, body: await builder.submitBuild(body, { user }) }),
    }),
    defineRoute({
      method: 'post',
      path: '/deploy-services',
      operationId: 'createDeploy',
      mutates: true,
      summary: 'Create a deploy job',
      description: 'Runs the deploy playbook with `mappings` (service → image) as a variable.',
      body: CreateDeployPayload,
      responses: { 202: { description: 'Accepted.', schema: SubmitBody }, ...errors(400, 401, 403, 413, 415, 503) },
      handler: async ({ body, user }) => ({ status: 202, body: await builder.submitDeploy(body, { user }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/builds',
      operationId: 'listJobs',
      summary: 'List jobs, newest first',
      query: ListQuery,
      responses: { 200: { description: 'One page of jobs.', schema: JobPageBody }, ...errors(400, 401, 503) },
      handler: async ({ query }) => ({
        status: 200,
        body: await builder.list({
          limit: query.limit ?? 50,
          cursor: query.cursor ?? null,
          states: query.state,
          kind: query.kind,
          ...(query.q !== undefined ? { search: query.q } : {}),
          ...(query.retryOf !== undefined ? { retryOf: query.retryOf } : {}),
        }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/builds/counts',
      operationId: 'countJobs',
      summary: 'How many jobs are in each state',
      description: 'For the same `kind` and `q` filters as the list, so a view can show what each state holds.',
      query: CountQuery,
      responses: { 200: { description: 'Jobs per state.', schema: JobCountsBody }, ...errors(400, 401, 503) },
      handler: async ({ query }) => {
        const counts = await builder.count({ kind: query.kind, ...(query.q !== undefined ? { search: query.q } : {}) });
        return { status: 200, body: { counts, total: Object.values(counts).reduce((sum, count) => sum + count, 0) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/build/:id',
      operationId: 'getJob',
      summary: 'Get a job with a page of its log',
      description:
        `The job, and its log from \`logsFrom\` (default 0): at most \`logsLimit\` lines (default ${DEFAULT_LOG_PAGE_LINES}). ` +
        'While `logsNext` < `logsTotal` there is more: ask again with `logsFrom=<logsNext>`, read the whole log as text from ' +
        '`/build/{id}/logs.txt`, or follow it live from `/build/{id}/logs`. `logsTimes` says when those lines were stored.',
      params: JobIdParams,
      query: JobQuery,
      responses: { 200: { description: 'The job.', schema: JobWithLogs }, ...errors(400, 401, 404, 503) },
      handler: async ({ params, query }) => {
        const job = await builder.get(params.id);
        const logs = await builder.readLogs(params.id, { from: query.logsFrom ?? 0, limit: query.logsLimit ?? DEFAULT_LOG_PAGE_LINES });
        return { status: 200, body: { ...job, logs: logs.lines, logsNext: logs.next, logsTotal: logs.total, logsTimes: logs.times.map(logTime) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/build/:id/logs',
      operationId: 'streamJobLogs',
      summary: 'Follow a job\'s log live (Server-Sent Events)',
      description:
        'One `message` event per line, its `id` the line index, so EventSource resumes with `Last-Event-ID` without losing or repeating a line. ' +
        'A `time` event before a line says when it and the lines after it were stored, until the next `time` (lines are stored in batches, about every 100 ms); a resumed stream starts with one too. ' +
        'A `state` event first (the job as it is now), then `state` and `progress` events as the job changes, each after the lines its log held when it changed: a job page needs nothing else. ' +
        'An `end` event with the final state closes the stream; a comment is sent every 15 s to keep proxies from closing it. ' +
        'If the log cannot be read once the stream has begun, an `error` event carries the JSON error body (`{"error":{"code","message"}}`) and the stream closes; ' +
        'reconnecting with `Last-Event-ID` resumes where it stopped.',
      params: JobIdParams,
      query: LogStreamQuery,
      headers: LogStreamHeaders,
      responses: { 200: { description: 'An event stream.', contentType: 'text/event-stream', events: LOG_STREAM_EVENTS }, ...errors(400, 401, 404, 503) },
      handler: async ({ params, query, headers }) => {
        await builder.get(params.id);
        const lastLine = headers['Last-Event-ID'];
        const from = lastLine === undefined ? (query.from ?? 0) : lastLine + 1;
        return { status: 200, events: (signal) => jobLogStream(builder, params.id, from, signal) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/events',
      operationId: 'streamJobEvents',
      summary: 'Follow every job live (Server-Sent Events)',
      description:
        'What a queue view needs instead of polling: an event each time a job is created, started, changes progress, finishes, goes back to the queue or is asked to stop, ' +
        'its `data` the job as a list shows it (no spec, result or log), its `id` its place in the feed. ' +
        'First a `ready` event: read the jobs (`/builds`) after it, then apply what follows. EventSource resumes with `Last-Event-ID` without losing or repeating an event; ' +
        'when the events after that id are no longer kept (the server keeps the newest 10,000 by default) a `reset` event says to read the jobs again. ' +
        'Events the filters leave out still move the position on (an `id:` line alone). Every user who may read jobs sees every job\'s events. ' +
        'A comment is sent every 15 s to keep proxies from closing the stream.',
      query: EventsQuery,
      headers: EventsHeaders,
      responses: { 200: { description: 'An event stream.', contentType: 'text/event-stream', events: FEED_EVENTS }, ...errors(400, 401, 503) },
      handler: async ({ query, headers }) => {
        const after = headers['Last-Event-ID'] ?? query.after;
        // Read before the stream starts, so a store that is down answers 503 rather than an event.
        const newest = await builder.lastEventId();
        const filter = { kind: query.kind, states: query.state };
        return {
          status: 200,
          gauge: 'events',
          events: (signal) => jobEventStream(builder, { after: after ?? newest, resumed: after !== undefined }, filter, signal),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/build/:id/logs.txt',
      operationId: 'getJobLogText',
      summary: 'The whole log as plain text',
      description:
        'Streamed as it is read from the store, never built in memory. `?download=1` sends it as a file; `?timestamps=1` starts each line with when it was stored, as `docker logs -t` does. ' +
        'If the log cannot be read once the body has begun, the connection is cut rather than the body ended, so a partial log never looks whole.',
      params: JobIdParams,
      query: LogTextQuery,
      responses: { 200: { description: 'The log, one line per line.', contentType: 'text/plain' }, ...errors(400, 401, 404, 503) },
      handler: async ({ params, query }) => {
        await builder.get(params.id);
        return {
          status: 200,
          contentType: 'text/plain; charset=utf-8',
          headers: (query.download ? { 'Content-Disposition': `attachment; filename="job-${params.id}.log"` } : {}) as Record<string, string>,
          text: (signal) => logText(builder, params.id, Boolean(query.timestamps), signal),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/build/:id/cancel',
      operationId: 'cancelJob',
      mutates: true,
      summary: 'Cancel a job',
      description:
        'A queued job is cancelled at once (200). A running one is asked to stop (202) and ends `cancelled` when its runner has stopped. ' +
        'The job records who cancelled it (`cancelledBy`). A `write` user may cancel the jobs they submitted; cancelling anyone else\'s needs `admin` (403 otherwise). ' +
        'With `onlyQueued=true`, a job that is no longer queued is left alone (409): what cancelling "the queued jobs" of a list needs, when one may start meanwhile.',
      params: JobIdParams,
      query: CancelQuery,
      responses: {
        200: { description: 'Cancelled.', schema: JobSummary },
        202: { description: 'Cancellation requested.', schema: JobSummary },
        ...errors(400, 401, 403, 404, 409, 503),
      },
      handler: async ({ params, query, user, role }) => {
        const job = await builder.cancel(params.id, { by: user, onlyOwn: !roleAllows(role, 'admin'), onlyQueued: query.onlyQueued === 'true' });
        return { status: isTerminal(job.state) ? 200 : 202, body: job };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/build/:id/retry',
      operationId: 'retryJob',
      mutates: true,
      summary: 'Retry a finished job',
      description: 'Creates a new job with the same payload; the new job\'s `retryOf` names this one.',
      params: JobIdParams,
      responses: { 202: { description: 'Accepted.', schema: RetryBody }, ...errors(400, 401, 403, 404, 409, 503) },
      handler: async ({ params, user }) => ({
        status: 202,
        body: { ...(await builder.retry(params.id, user ? { user } : {})), retryOf: params.id },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/session',
      operationId: 'getSession',
      summary: 'Who is calling, and may they change things',
      responses: { 200: { description: 'The caller.', schema: SessionBody }, ...errors(401) },
      handler: async ({ user, role, canWrite }) => ({ status: 200, body: { user, role, canWrite } }),
    }),
    defineRoute({
      method: 'get',
      path: '/_debug',
      operationId: 'debug',
      summary: 'What the service runs on',
      description:
        'Store, queue, workers and runners, with their health, and the concurrency groups a job holds or waits for. Never secrets. ' +
        'Only `admin` users see `message` and `details` (versions, paths, addresses); others see each component\'s name and whether ' +
        'it is ok, and the groups (job ids and group names, which every user may read on the jobs themselves).',
      responses: { 200: { description: 'Health of every component.', schema: DebugBody }, ...errors(401) },
      handler: async ({ role }) => {
        const debug = await builder.debug();
        return { status: 200, body: { version: PACKAGE_VERSION, ...(roleAllows(role, 'admin') ? debug : withoutDetails(debug)) } };
      },
    }),
  ];
}

/** `_debug` for users who are not admins: which component is there and whether it is ok, nothing about how. */
function withoutDetails(debug: DebugInfo): DebugInfo {
  const bare = <T extends ComponentHealth | null>(health: T): T => (health ? ({ name: health.name, ok: health.ok } as T) : health);
  return {
    store: bare(debug.store),
    queue: { ...bare(debug.queue), ...(debug.queue.workers !== undefined ? { workers: debug.queue.workers } : {}) },
    fallback: bare(debug.fallback),
    runners: { build: bare(debug.runners.build), deploy: bare(debug.runners.deploy) },
    groups: debug.groups,
  };
}

const TEXT_PAGE = 1_000;

/** A run of the log's times as the API gives it: ISO 8601 rather than milliseconds. */
const logTime = (run: LogTime) => ({ from: run.from, at: new Date(run.at).toISOString() });

async function* logText(builder: Builder, id: string, timestamps: boolean, signal: AbortSignal): AsyncIterable<string> {
  for (let from = 0; !signal.aborted; ) {
    const { lines, next, times } = await builder.readLogs(id, { from, limit: TEXT_PAGE });
    if (lines.length > 0) yield `${(timestamps ? stamped(lines, from, times) : lines).join('\n')}\n`;
    if (lines.length < TEXT_PAGE) return;
    from = next;
  }
}

/** `docker logs -t`'s way: each line after its time and a space; a line stored before times were kept, as it is. */
function stamped(lines: string[], from: number, times: readonly LogTime[]): string[] {
  let run = -1;
  return lines.map((line, i) => {
    while (run + 1 < times.length && times[run + 1]!.from <= from + i) run += 1;
    return run >= 0 ? `${new Date(times[run]!.at).toISOString()} ${line}` : line;
  });
}
