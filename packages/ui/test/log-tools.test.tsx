// @vitest-environment happy-dom
/**
 * The job page's pieces that need no browser: search and the first error over the whole array
 * of lines (read incrementally as a log grows), marks cut into coloured segments, wrapped-line
 * geometry, the routes and the tab's title. The browser tests check what a person sees.
 */
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ansiSegments } from '../app/ansi';
import { WrappedLayout } from '../app/line-layout';
import { FirstError, LogSearch, MAX_HITS, hitsByLine, markSegments } from '../app/log-search';
import { parseRoute } from '../app/route';
import { jobTitle } from '../app/title';
import { LogView } from '../app/components/LogView';
import type { Job } from '../app/api';

afterEach(cleanup);

describe('LogSearch', () => {
  it('finds every match, ignoring case and colours, and reads only new lines as the log grows', () => {
    const lines = ['\u001b[32mok\u001b[0m: Needle here', 'nothing', 'needle, needle'];
    const search = new LogSearch(lines, 'NEEDLE').advance();
    expect(search.hits).toEqual([
      { line: 0, start: 4, end: 10 },
      { line: 2, start: 0, end: 6 },
      { line: 2, start: 8, end: 14 },
    ]);
    lines.push('a needle at the end');
    expect(search.advance().hits.slice(3)).toEqual([{ line: 3, start: 2, end: 8 }]);
    // Read once: advancing again over the same lines adds nothing.
    expect(search.advance().hits).toHaveLength(4);
  });

  it('treats the query as text, not a pattern, and stops counting at MAX_HITS', () => {
    expect(new LogSearch(['a.b', 'axb'], 'a.b').advance().hits).toEqual([{ line: 0, start: 0, end: 3 }]);
    const many = new LogSearch(Array.from({ length: MAX_HITS + 5 }, () => 'x'), 'x').advance();
    expect(many.hits).toHaveLength(MAX_HITS);
    expect(many.capped).toBe(true);
  });
});

describe('FirstError', () => {
  it('finds ansible\'s fatal line, skipping one ansible was told to ignore, also when printed as an object', () => {
    const lines = [
      'TASK [optional] ***',
      'fatal: [localhost]: FAILED! => {',
      '    "msg": "optional step failed"',
      '}',
      '...ignoring',
      'ok: [localhost]',
      'fatal: [localhost]: FAILED! => {"msg": "image not found"}',
      'PLAY RECAP: ok=2 failed=1',
    ];
    expect(new FirstError(lines, null).advance(true).line).toBe(6);
  });

  it('waits for what follows a fatal line before settling on it, while the log grows', () => {
    const lines = ['fatal: [localhost]: FAILED! => {"msg": "optional"}'];
    const first = new FirstError(lines, null);
    expect(first.advance(false).line).toBeNull();
    lines.push('...ignoring', 'ERROR: failed to solve: no such file');
    expect(first.advance(false).line).toBeNull();
    expect(first.advance(true).line).toBe(2);
  });

  it('knows Docker\'s errors and the job\'s own error text, and not words that merely contain "error"', () => {
    expect(new FirstError(['stderr: ""', 'ignored=0 failed=0', 'error during connect: refused'], null).advance(true).line).toBe(2);
    expect(new FirstError(['Step 1/2', 'The command returned a non-zero code: 1', 'more'], 'The command returned a non-zero code: 1').advance(true).line).toBe(1);
    expect(new FirstError(['all good', 'terrors are fine'], null).advance(true).line).toBeNull();
  });
});

describe('markSegments', () => {
  it('cuts coloured segments where matches begin and end, marking the current one', () => {
    const segments = ansiSegments('\u001b[32mok: [host]\u001b[0m => needle');
    expect(markSegments(segments, [{ start: 2, end: 6, current: false }, { start: 14, end: 20, current: true }])).toEqual([
      { text: 'ok', className: 'fg-32', mark: null },
      { text: ': [h', className: 'fg-32', mark: 'hit' },
      { text: 'ost]', className: 'fg-32', mark: null },
      { text: ' => ', className: '', mark: null },
      { text: 'needle', className: '', mark: 'current' },
    ]);
  });

  it('groups the hits of the lines in view by line', () => {
    const hits = [0, 5, 5, 9, 12].map((line) => ({ line, start: 0, end: 1 }));
    const byLine = hitsByLine(hits, 2, 5, 10);
    expect([...byLine.keys()]).toEqual([5, 9]);
    expect(byLine.get(5)!.map((mark) => mark.current)).toEqual([false, true]);
  });
});

describe('WrappedLayout', () => {
  it('estimates wrapped heights from line lengths, then keeps what was measured', () => {
    const lengths = [10, 250, 0, 99];
    const layout = new WrappedLayout(18, 100, (index) => lengths[index]!);
    layout.sync(4);
    expect([0, 1, 2, 3, 4].map((index) => layout.offsetOf(index))).toEqual([0, 18, 72, 90, 108]);
    expect(layout.indexAt(0)).toBe(0);
    expect(layout.indexAt(71)).toBe(1);
    expect(layout.indexAt(72)).toBe(2);
    expect(layout.indexAt(10_000)).toBe(3);
    expect(layout.measure(1, 36)).toBe(true);
    expect(layout.measure(1, 36)).toBe(false);
    expect(layout.total).toBe(90);
    expect(layout.offsetOf(3)).toBe(72);
    // A new width re-estimates every line.
    expect(layout.setColumns(50)).toBe(true);
    expect(layout.total).toBe(18 + 5 * 18 + 18 + 2 * 18);
  });
});

describe('routes and titles', () => {
  it('reads a job\'s line from the URL, and keys pages without their query or line', () => {
    const id = '01a220a8-0000-7000-8000-000000000001';
    expect(parseRoute(`#/jobs/${id}#L123`)).toEqual({ page: 'job', key: `#/jobs/${id}`, jobId: id, line: 123 });
    expect(parseRoute(`#/jobs/${id}`)).toMatchObject({ page: 'job', line: null });
    expect(parseRoute('#/?state=error&kind=deploy')).toEqual({ page: 'queue', key: '#/' });
    expect(parseRoute('#/new/deploy')).toEqual({ page: 'deploy', key: '#/new/deploy' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'queue', key: '#/' });
  });

  it('puts the job\'s state first in the tab\'s title', () => {
    const job = { kind: 'deploy', state: 'done', progress: 100, spec: { mappings: { 'rag-service': 'r:1' } } } as unknown as Job;
    expect(jobTitle(job)).toBe('✓ done · deploy rag-service — Docker Builder');
    expect(jobTitle({ ...job, state: 'running', progress: 45 })).toBe('▶ running 45% · deploy rag-service — Docker Builder');
    expect(jobTitle({ ...job, kind: 'build', state: 'error', spec: { service: 'api', tags: ['v2'] } })).toBe('✗ error · build api:v2 — Docker Builder');
  });
});

describe('LogView', () => {
  it('marks matches and the linked line, and links each line number', () => {
    const lines = ['first', '\u001b[31mfatal: x\u001b[0m', 'third fatal'];
    const view = render(
      <LogView
        lines={lines}
        version={1}
        hits={[{ line: 1, start: 0, end: 5 }, { line: 2, start: 6, end: 11 }]}
        currentHit={1}
        selected={0}
        lineHref={(index) => `#/jobs/x#L${index + 1}`}
      />,
    );
    expect(view.container.querySelector('[data-index="1"] mark.log-hit .fg-31')?.textContent).toBe('fatal');
    expect(view.container.querySelector('mark.log-hit-current')?.closest('.log-line')?.getAttribute('data-index')).toBe('2');
    expect(view.container.querySelector('.log-line-selected')?.getAttribute('data-index')).toBe('0');
    expect(view.getByRole('link', { name: 'Line 2' }).getAttribute('href')).toBe('#/jobs/x#L2');
  });
});
