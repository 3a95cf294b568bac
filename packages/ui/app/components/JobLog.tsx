/**
 * A job's log with its tools: search across every loaded line (the view renders only a
 * screenful, so the browser's own find cannot), wrapping, each line's time, line links (`#L123`)
 * and a jump to the first line that reads like the failure.
 */
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { FirstError, LogSearch } from '../log-search';
import type { LogTimes } from '../log-times';
import { lineHash } from '../route';
import { LogView, type Reveal } from './LogView';

const WRAP_KEY = 'docker-builder-log-wrap';
const TIMES_KEY = 'docker-builder-log-times';

/** A choice remembered across pages and visits: on or off, or `fallback` when never made. */
function readChoice(key: string, fallback: boolean): boolean {
  try {
    const value = localStorage.getItem(key);
    return value === null ? fallback : value === 'on';
  } catch {
    return fallback;
  }
}

function keepChoice(key: string, value: boolean): void {
  try {
    localStorage.setItem(key, value ? 'on' : 'off');
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
}

export interface JobLogProps {
  jobId: string;
  lines: string[];
  version: number;
  filled: number;
  /** The line of the URL (`#L123`, from 1). */
  line: number | null;
  jobError: string | null;
  /** Offer the jump to the first error (not on a job that succeeded: its errors did not matter). */
  offerFirstError: boolean;
  /** Every line has loaded and no more will come. */
  complete: boolean;
  /** When the lines were stored, as far as known. */
  times?: LogTimes;
}

export function JobLog({ jobId, lines, version, filled, line, jobError, offerFirstError, complete, times }: JobLogProps) {
  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const [current, setCurrent] = useState(0);
  const [wrap, setWrap] = useState(() => readChoice(WRAP_KEY, true));
  // Off unless asked for: most of the time, the order of the lines is what matters.
  const [showTimes, setShowTimes] = useState(() => readChoice(TIMES_KEY, false));
  const [reveal, setReveal] = useState<Reveal | null>(() => (line ? { index: line - 1 } : null));
  const shownLine = useRef(line);
  const input = useRef<HTMLInputElement>(null);

  // Scanned incrementally: each render reads only the lines that arrived since the last.
  const search = useMemo(() => new LogSearch(lines, deferredQuery), [lines, deferredQuery]).advance();
  const firstError = useMemo(() => new FirstError(lines, jobError), [lines, jobError]).advance(complete);
  const count = search.hits.length;

  useEffect(() => {
    if (line !== shownLine.current) {
      shownLine.current = line;
      if (line) setReveal({ index: line - 1 });
    }
  }, [line]);

  // A new query starts at its first match.
  useEffect(() => {
    setCurrent(0);
    const hit = search.hits[0];
    if (hit) setReveal({ index: hit.line });
  }, [search]);

  // Ctrl+F / ⌘F finds in the whole log, not only the screenful the browser has; pressed again
  // in the search box, it is the browser's own.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'f' && document.activeElement !== input.current) {
        event.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const step = (by: 1 | -1) => {
    if (count === 0) return;
    const next = (((current + by) % count) + count) % count;
    setCurrent(next);
    setReveal({ index: search.hits[next]!.line });
  };

  const goToLine = (number: number) => {
    const target = lineHash(jobId, number);
    // The same link again (after scrolling away) changes no hash: reveal it directly.
    if (window.location.hash === target) setReveal({ index: number - 1 });
    else window.location.hash = target;
  };

  const toggleWrap = (value: boolean) => {
    setWrap(value);
    keepChoice(WRAP_KEY, value);
  };
  const toggleTimes = (value: boolean) => {
    setShowTimes(value);
    keepChoice(TIMES_KEY, value);
  };

  let status = '';
  if (query && query === deferredQuery) status = count === 0 ? 'No matches' : `${Math.min(current, count - 1) + 1} of ${count}${search.capped ? '+' : ''}`;

  return (
    <>
      <div className="log-tools" role="search" aria-label="The log">
        <div className="log-search">
          <input
            ref={input}
            type="search"
            aria-label="Search the log"
            placeholder="Search the log"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                step(event.shiftKey ? -1 : 1);
              } else if (event.key === 'Escape' && query) {
                event.preventDefault();
                setQuery('');
              }
            }}
          />
          <button type="button" className="secondary" aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={count === 0} onClick={() => step(-1)}>
            ↑
          </button>
          <button type="button" className="secondary" aria-label="Next match" title="Next match (Enter)" disabled={count === 0} onClick={() => step(1)}>
            ↓
          </button>
          <span className="log-count" aria-live="polite">
            {status}
          </span>
        </div>
        <label>
          <input type="checkbox" checked={wrap} onChange={(event) => toggleWrap(event.target.checked)} /> Wrap lines
        </label>
        <label title="When each line was stored, in your time zone; hover over a time for the exact one">
          <input type="checkbox" checked={showTimes} onChange={(event) => toggleTimes(event.target.checked)} /> Times
        </label>
        {offerFirstError && firstError.line !== null && (
          <button type="button" className="secondary" onClick={() => goToLine(firstError.line! + 1)}>
            Jump to the first error (line {firstError.line + 1})
          </button>
        )}
      </div>
      <LogView
        lines={lines}
        version={version}
        filled={filled}
        wrap={wrap}
        times={showTimes ? (times ?? null) : null}
        hits={search.hits}
        currentHit={deferredQuery ? Math.min(current, count - 1) : -1}
        selected={line ? line - 1 : null}
        reveal={reveal}
        lineHref={(index) => lineHash(jobId, index + 1)}
      />
    </>
  );
}
