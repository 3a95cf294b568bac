// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ansiSegments } from '../app/ansi';
import { LogView } from '../app/components/LogView';

afterEach(cleanup);

describe('LogView', () => {
  it('renders only the lines in view, however long the log', () => {
    const few = render(<LogView lines={Array.from({ length: 100 }, (_, i) => `line ${i}`)} version={1} height={360} />);
    const renderedFew = few.container.querySelectorAll('.log-line').length;
    cleanup();
    const many = render(<LogView lines={Array.from({ length: 100_000 }, (_, i) => `line ${i}`)} version={1} height={360} />);
    const renderedMany = many.container.querySelectorAll('.log-line').length;
    expect(renderedMany).toBe(renderedFew);
    expect(renderedMany).toBeLessThan(100);
    expect(many.getByRole('log').getAttribute('data-line-count')).toBe('100000');
  });

  it('renders ANSI colours as styled spans, and says when there is no output yet', () => {
    const view = render(<LogView lines={['\u001b[0;32mok: [localhost]\u001b[0m done', '\u001b[1;31mfatal\u001b[0m']} version={1} />);
    const first = view.container.querySelector('[data-index="0"]')!;
    expect(first.querySelector('.fg-32')?.textContent).toBe('ok: [localhost]');
    expect(first.textContent).toBe('1ok: [localhost] done');
    expect(view.container.querySelector('[data-index="1"] .fg-31.bold')?.textContent).toBe('fatal');
    cleanup();
    expect(render(<LogView lines={[]} version={0} />).getByText('No output yet.')).toBeTruthy();
  });
});

describe('ansiSegments', () => {
  it('keeps text, drops sequences, and resets on 0', () => {
    expect(ansiSegments('plain')).toEqual([{ text: 'plain', className: '' }]);
    expect(ansiSegments('\u001b[33mwarn\u001b[0m after \u001b[2Kcleared')).toEqual([
      { text: 'warn', className: 'fg-33' },
      { text: ' after ', className: '' },
      { text: 'cleared', className: '' },
    ]);
  });
});
