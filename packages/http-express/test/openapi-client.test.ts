/**
 * A typed client generated from the live OpenAPI document (openapi-typescript, as a user would)
 * must accept the README's own examples (the payloads it sends, the answers it shows) and refuse
 * what the API refuses: a `limit` sent as a string, a state that does not exist, a deploy's spec
 * with a build's fields. The examples are read from README.md, so a README that drifts from the
 * API fails here.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

let harness: Harness;
let document: any;
beforeAll(async () => {
  harness = await startHarness({
    router: { auth: () => ({ sub: 'alice@example.com' }), uploads: { dir: mkdtempSync(path.join(tmpdir(), 'openapi-client-uploads-')) } },
  });
  document = await (await fetch(`${harness.url}/openapi.json`)).json();
});
afterAll(() => harness?.close());

/** What the README shows, found by how it shows it: curl's `-d '…'` bodies and the answers printed after them. */
function readmeExamples() {
  const payloads = { build: [] as unknown[], deploy: [] as unknown[] };
  for (const [, route, body] of README.matchAll(/curl (?:(?!curl )[\s\S])*?\/api\/(build|deploy-services)(?![/?\w-])(?:(?!curl )[\s\S])*?-d '(\{[^'\n]*\})'/g)) {
    payloads[route === 'build' ? 'build' : 'deploy'].push(JSON.parse(body!));
  }
  // The secret build arguments example, a payload shown on its own.
  for (const [, body] of README.matchAll(/```json\n\s*(\{[^\n]*"secretBuildArgs"[^\n]*\})\n\s*```/g)) payloads.build.push(JSON.parse(body!.replace('…', '')));
  const submitted = [...README.matchAll(/^(\{"id":"[^"]+","enqueued":(?:true|false)\})$/gm)].map(([, body]) => JSON.parse(body!));
  const jobs = [...README.matchAll(/\| python3 -m json\.tool\n(\{\n[\s\S]*?\n\})\n/g)].map(([, body]) => JSON.parse(body!));
  const results = [...README.matchAll(/is `done` with this result:\n\n```json\n([\s\S]*?)\n```/g)].map(([, body]) => JSON.parse(body!));
  const errors = [...README.matchAll(/^(\{"error":\{.*\}\})$/gm)].map(([, body]) => JSON.parse(body!));
  return { payloads, submitted, jobs, results, errors };
}

/** A TypeScript file that gives each example the generated type its route says it has. */
function clientProgram(examples: ReturnType<typeof readmeExamples>): string {
  const literal = (value: unknown) => JSON.stringify(value, null, 2);
  const typed = (type: string, values: unknown[], name: string) => values.map((value, i) => `export const ${name}${i}: ${type} = ${literal(value)};`).join('\n');
  const job = examples.jobs[0] as Record<string, unknown>;
  const { logs: _logs, logsNext: _next, logsTotal: _total, logsTimes: _times, ...summary } = job;
  return `import type { components, paths } from './api.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type BuildBody = Json<NonNullable<paths['/build']['post']['requestBody']>>;
type DeployBody = Json<NonNullable<paths['/deploy-services']['post']['requestBody']>>;
type Submitted = Json<paths['/build']['post']['responses'][202]>;
type JobWithLogs = Json<paths['/build/{id}']['get']['responses'][200]>;
type JobPage = Json<paths['/builds']['get']['responses'][200]>;
type ListQuery = NonNullable<paths['/builds']['get']['parameters']['query']>;
type JobQuery = NonNullable<paths['/build/{id}']['get']['parameters']['query']>;
type StreamQuery = NonNullable<paths['/build/{id}/logs']['get']['parameters']['query']>;
type NotFound = Json<paths['/build/{id}']['get']['responses'][404]>;
type Job = components['schemas']['Job'];
type ErrorBody = components['schemas']['ErrorBody'];

// The README's payloads and answers.
${typed('BuildBody', examples.payloads.build, 'buildPayload')}
${typed('DeployBody', examples.payloads.deploy, 'deployPayload')}
${typed('Submitted', examples.submitted, 'submitted')}
${typed('JobWithLogs', examples.jobs, 'job')}
${typed("Pick<components['schemas']['BuildJob'], 'state' | 'progress' | 'error' | 'result'>", examples.results, 'buildResult')}
${typed('ErrorBody', examples.errors, 'error')}
// The list, with the README's filters (\`?limit=1..200&cursor=…&state=running,error&kind=deploy\`) and its job.
export const listQuery: ListQuery = { limit: 200, cursor: '…', state: ['running', 'error'], kind: 'deploy' };
export const page: JobPage = { jobs: [${literal(summary)}], nextCursor: null };
export const logPage: JobQuery = { logsFrom: 1000, logsLimit: 1000 };
export const resume: StreamQuery = { from: 2 };
export const notFound: NotFound = { error: { code: 'JOB_NOT_FOUND', message: 'No job with id "…".' } };

// \`kind\` tells a build from a deploy, and with it what \`spec\` holds.
export function describeJob(job: Job): string {
  if (job.kind === 'deploy') return Object.keys(job.spec.mappings).join(', ');
  return \`\${job.spec.service} \${job.spec.tags.join(',')} \${job.spec.upload ?? ''} \${Object.keys(job.spec.secretBuildArgs ?? {}).join(',')}\`;
}

// What the API refuses, the types refuse.
// @ts-expect-error: limit is a number (the router answers 400 to anything but digits), not a string
export const limitAsString: ListQuery = { limit: '10' };
// @ts-expect-error: logsFrom is a number too
export const logsFromAsString: JobQuery = { logsFrom: '0' };
// @ts-expect-error: no such state
export const unknownState: ListQuery = { state: ['finished'] };
// @ts-expect-error: a deploy job's spec has no service
export const deploySpec: components['schemas']['DeployJob']['spec'] = { service: 'rag-service' };
// @ts-expect-error: kind is build or deploy
export const unknownKind: Job['kind'] = 'image';
// @ts-expect-error: a 404 carries JOB_NOT_FOUND or NOT_FOUND, not VALIDATION_FAILED
export const wrongCode: NotFound = { error: { code: 'VALIDATION_FAILED', message: '' } };
// @ts-expect-error: unknown fields are refused (a typo such as no_cache)
export const typo: BuildBody = { service: 'rag-service', no_cache: true };
`;
}

function typeCheck(dir: string, files: Record<string, string>): string[] {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const program = ts.createProgram([path.join(dir, 'readme-examples.ts')], {
    strict: true,
    noEmit: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('a client generated from the OpenAPI document', () => {
  it('finds the README\'s examples', () => {
    const examples = readmeExamples();
    expect(examples.payloads.build.length).toBeGreaterThanOrEqual(3);
    expect(examples.payloads.deploy.length).toBeGreaterThanOrEqual(3);
    expect(examples.submitted.length).toBeGreaterThanOrEqual(3);
    expect(examples.jobs).toHaveLength(1);
    expect(examples.results).toHaveLength(1);
    expect(examples.errors.length).toBeGreaterThanOrEqual(2);
  });

  it('types the README\'s examples, and refuses what the API refuses', async () => {
    const client = astToString(await openapiTS(document));
    expect(client).toContain('limit?: number');
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-client-'));
    const diagnostics = typeCheck(dir, {
      'package.json': JSON.stringify({ type: 'module' }),
      'api.ts': client,
      'readme-examples.ts': clientProgram(readmeExamples()),
    });
    expect(diagnostics).toEqual([]);
  }, 60_000);
});
