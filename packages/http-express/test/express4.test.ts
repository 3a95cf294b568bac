/**
 * The router's behaviour tests again, on Express 4: `express` is Express 4 here for the harness's
 * app and for the router itself (its Router, its body parser), as in a host that has Express 4
 * installed. Each file below also runs alone, on Express 5.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('express', async () => await vi.importActual('express4'));

const SUITES: Record<string, () => Promise<unknown>> = {
  'router': () => import('./router.test.js'),
  'bad-input': () => import('./bad-input.test.js'),
  'client-disconnect': () => import('./client-disconnect.test.js'),
  'log-page': () => import('./log-page.test.js'),
  'out-of-range-numbers': () => import('./out-of-range-numbers.test.js'),
  'roles': () => import('./roles.test.js'),
  'stream-count': () => import('./stream-count.test.js'),
  'stream-failures': () => import('./stream-failures.test.js'),
  'upload-limits': () => import('./upload-limits.test.js'),
  'docs-page': () => import('./docs-page.test.js'),
  'host-body-parser': () => import('./host-body-parser.test.js'),
  'events': () => import('./events.test.js'),
  'log-stream-state': () => import('./log-stream-state.test.js'),
  'log-stream-waiting': () => import('./log-stream-waiting.test.js'),
  'runner-routes': () => import('./runner-routes.test.js'),
  'job-queries': () => import('./job-queries.test.js'),
};

describe('on Express 4', async () => {
  it('has Express 4 under the name express', async () => {
    const express = (await import('express')).default as unknown as { Router: unknown; application: { del?: unknown } };
    // Express 5 removed app.del; its presence is the cheapest sign of 4.
    expect(express.application.del).toBeTypeOf('function');
  });
  for (const [name, load] of Object.entries(SUITES)) {
    describe(name, async () => {
      await load();
    });
  }
});
