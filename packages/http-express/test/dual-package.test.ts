/**
 * The dual-package hazard: a host that creates its builder with core's CommonJS build and mounts
 * the router's ES module build has two copies of core in one process, each with its own error
 * classes. Errors must still be told apart (404, 503, 400), by core's brand and code, not by
 * class. Loads the built files (`pnpm build` first; the test command runs it).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const script = `
import { createRequire } from 'node:module';
import express from 'express';
const require = createRequire(${JSON.stringify(root)} + 'package.json');
const coreCjs = require('@docker-builder/core');
const memoryCjs = require('@docker-builder/store-memory');
const coreEsm = await import('@docker-builder/core');
const { createBuilderRouter } = await import('@docker-builder/http-express');

const deploy = {
  name: 'waits-for-abort', kind: 'deploy',
  run: (_spec, { signal }) => new Promise(() => signal.addEventListener('abort', () => {})),
  health: async () => ({ name: 'waits-for-abort', ok: true }),
};
const results = { twoCopies: coreCjs.BuilderError !== coreEsm.BuilderError };

// A builder from the CommonJS copy, without a build runner, under the ES module router.
const builder = coreCjs.createBuilder({ store: memoryCjs.createMemoryJobStore(), runners: { deploy } });
const app = express();
app.use('/api', createBuilderRouter(builder, { onError: (error) => { results.unexpected = String(error); } }));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = 'http://127.0.0.1:' + server.address().port + '/api';
const answer = async (path, init) => {
  const response = await fetch(base + path, init);
  return { status: response.status, code: (await response.json()).error?.code };
};
const post = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
results.unknownJob = await answer('/build/0190a000-0000-7000-8000-000000000000');
results.unknownJobLogs = await answer('/build/0190a000-0000-7000-8000-000000000000/logs');
results.noRunner = await answer('/build', post({ service: 'app' }));
results.badCursor = await answer('/builds?cursor=not-a-cursor');
server.close();
await builder.close({ deadlineMs: 100 });

// A job of the CommonJS copy's builder, aborted by the ES module copy's JobAbortedError (a
// worker's shutdown): its grace period holds, though the builder would wait ten minutes.
const queue = { name: 'held', enqueue: async () => ({ accepted: true }), health: async () => ({ name: 'held', ok: true }), close: async () => {} };
const held = coreCjs.createBuilder({ store: memoryCjs.createMemoryJobStore(), runners: { deploy }, queue, abortGraceMs: 600_000 });
const { id } = await held.submitDeploy({ mappings: { app: 'registry.example.com/app:1' } });
const controller = new AbortController();
const running = held.execute(id, controller.signal);
while ((await held.get(id)).state !== 'running') await new Promise((resolve) => setTimeout(resolve, 5));
controller.abort(new coreEsm.JobAbortedError('the worker shut down', { graceMs: 10 }));
const stuck = new Promise((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000).unref());
const ended = await Promise.race([running, stuck]);
results.aborted = typeof ended === 'string' ? ended : { state: ended.state, error: ended.error };
console.log(JSON.stringify(results));
process.exit(0);
`;

describe('a builder from core\'s CommonJS build under the router\'s ES module build', () => {
  it('answers 404, 503 and 400 as the router\'s own copy would, and keeps a foreign abort\'s grace period', () => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const results = JSON.parse(output.trim().split('\n').at(-1)!);
    expect(results.twoCopies, 'the test needs two copies of core to mean anything').toBe(true);
    expect(results).toEqual({
      twoCopies: true,
      unknownJob: { status: 404, code: 'JOB_NOT_FOUND' },
      unknownJobLogs: { status: 404, code: 'JOB_NOT_FOUND' },
      noRunner: { status: 503, code: 'RUNNER_UNAVAILABLE' },
      badCursor: { status: 400, code: 'VALIDATION_FAILED' },
      aborted: { state: 'error', error: expect.stringContaining('the worker shut down') },
    });
  });
});
