/**
 * What `npm install` users get: the built ESM and CommonJS files, loaded without the
 * workspace's source condition. Needs `pnpm build` first (the test command runs it).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = `
const metrics = m.createBuilderMetrics();
metrics.onEvent({ type: 'job.created', jobId: 'a', kind: 'deploy', enqueued: true });
metrics.scrape().then((text) => console.log(JSON.stringify({ line: text.split('\\n').find((l) => l.startsWith('docker_builder_jobs_submitted_total{kind="deploy"}')), type: metrics.contentType.split(';')[0] })));
`;

const run = (code: string, type: 'module' | 'commonjs') =>
  JSON.parse(execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { encoding: 'utf8' }).trim()) as Record<string, unknown>;

describe('the built @docker-builder/metrics', () => {
  const expected = { line: 'docker_builder_jobs_submitted_total{kind="deploy"} 1', type: 'text/plain' };

  it('loads as an ES module', () => {
    expect(run(`import * as m from '@docker-builder/metrics';\n${script}`, 'module')).toEqual(expected);
  });

  it('loads as CommonJS', () => {
    expect(run(`const m = require('@docker-builder/metrics');\n${script}`, 'commonjs')).toEqual(expected);
  });
});
