/**
 * The log, rendering only the lines in view (so 100,000 lines cost what 50 do), colours
 * included. It follows the end while the reader is at the bottom, and stops following as
 * soon as they scroll up to read, or ask for a line (a `#L123` link, a search match, the first
 * error). Wrapped lines have the height they take; see line-layout.ts. With `times`, each line
 * shows when it was stored (HH:MM:SS here, the exact time on hover).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ansiSegments } from '../ansi';
import { uniformLayout, WrappedLayout, type Layout } from '../line-layout';
import { hitsByLine, markSegments, plainLine, type Hit, type Mark } from '../log-search';
import { clockTime, type LogTimes } from '../log-times';

export const LINE_HEIGHT = 18;
const OVERSCAN = 20;
const NO_HITS: Hit[] = [];

/** A request to bring a line into view; a new object asks again for the same line. */
export interface Reveal {
  index: number;
}

export interface LogViewProps {
  /** Lines by index; the array may grow in place, `version` says when. */
  lines: string[];
  version: number;
  /** How many indexes hold a line (a hole would mean a lost line). */
  filled?: number;
  height?: number;
  /** Long lines wrap instead of running off to the right. */
  wrap?: boolean;
  /** Show each line's time from these; null for no times column. */
  times?: LogTimes | null;
  /** Search matches to mark, in line order, and which one is current. */
  hits?: Hit[];
  currentHit?: number;
  /** The line a `#L` link points at (an index). */
  selected?: number | null;
  reveal?: Reveal | null;
  /** Where a line's number links to. */
  lineHref?: (index: number) => string;
}

export function LogView({ lines, version, filled, height = 480, wrap = false, times = null, hits = NO_HITS, currentHit = -1, selected = null, reveal = null, lineHref }: LogViewProps) {
  const box = useRef<HTMLDivElement>(null);
  const probe = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(height);
  const [columns, setColumns] = useState(0);
  const [following, setFollowing] = useState(!reveal);
  // Effects of one commit read and change it before the state has re-rendered.
  const followingNow = useRef(following);
  const [relayout, setRelayout] = useState(0);
  const handledReveal = useRef<Reveal | null>(null);
  const pending = useRef<Reveal | null>(null);
  const showOnPage = useRef<number | null>(null);
  const wrappedBefore = useRef(wrap);
  const topLine = useRef(0);

  const follow = (value: boolean) => {
    followingNow.current = value;
    setFollowing(value);
  };

  const wrapped = useMemo(() => new WrappedLayout(LINE_HEIGHT, 0, (index) => plainLine(lines, index).length), [lines]);
  let layout: Layout;
  if (wrap) {
    wrapped.setColumns(columns);
    wrapped.sync(lines.length);
    layout = wrapped;
  } else layout = uniformLayout(lines.length, LINE_HEIGHT);
  const digits = Math.max(4, String(lines.length).length);
  const timed = times !== null;

  // A line asked for: scroll the pane to it (unless it is in view already), stop following.
  useLayoutEffect(() => {
    const element = box.current;
    if (reveal && reveal !== handledReveal.current) {
      handledReveal.current = reveal;
      pending.current = reveal;
      if (followingNow.current) follow(false);
    }
    const target = pending.current;
    // A line not loaded yet (a link into a log still streaming) waits for it.
    if (!element || !target || target.index >= lines.length) return;
    pending.current = null;
    const top = layout.offsetOf(target.index);
    const bottom = top + layout.heightOf(target.index);
    if (top < element.scrollTop || bottom > element.scrollTop + element.clientHeight) {
      element.scrollTop = Math.max(0, top - (element.clientHeight - (bottom - top)) / 2);
    }
    setScrollTop(element.scrollTop);
    showOnPage.current = target.index;
  });

  // Wrapping on or off moves every line: keep the one at the top of the pane there.
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    if (wrappedBefore.current !== wrap) {
      wrappedBefore.current = wrap;
      if (!followingNow.current && !pending.current) element.scrollTop = layout.offsetOf(topLine.current);
    }
    topLine.current = layout.indexAt(element.scrollTop);
  });

  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    if (followingNow.current && !pending.current) element.scrollTop = element.scrollHeight;
    // Read the position back at once: the scroll event of a programmatic scroll comes a frame
    // later, or never when the value did not change, and until then the lines rendered would
    // be those of the old position: a blank pane over lines that have loaded.
    setScrollTop(element.scrollTop);
  }, [version, following, lines.length, relayout, wrap]);

  // Wrapped: measure the lines just rendered; when the estimates were off, keep the line at the
  // top of the pane where it was (unless following the end) and render again.
  useLayoutEffect(() => {
    const element = box.current;
    if (!wrap || !element) return;
    const anchor = wrapped.indexAt(element.scrollTop);
    let changed = false;
    let shift = 0;
    for (const row of element.querySelectorAll<HTMLElement>('.log-line[data-index]')) {
      const index = Number(row.dataset.index);
      const before = wrapped.heightOf(index);
      if (wrapped.measure(index, row.offsetHeight)) {
        changed = true;
        if (index < anchor) shift += wrapped.heightOf(index) - before;
      }
    }
    if (!changed) return;
    const body = element.querySelector<HTMLElement>('.log-body');
    if (body) body.style.height = `${wrapped.total}px`;
    if (shift !== 0 && !followingNow.current) element.scrollTop += shift;
    setRelayout((n) => n + 1);
  });

  // The line asked for, once rendered: into the page's view too (the pane may be below the fold).
  useLayoutEffect(() => {
    const index = showOnPage.current;
    const row = index === null ? null : box.current?.querySelector(`.log-line[data-index="${index}"]`);
    if (!row) return;
    showOnPage.current = null;
    // The whole pane first, so the line shows with the lines around it, then the line (or match).
    box.current!.scrollIntoView({ block: 'nearest' });
    (row.querySelector('.log-hit-current') ?? row).scrollIntoView({ block: 'nearest', inline: 'nearest' });
  });

  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    // The pane's real height (CSS may make it smaller than asked, on a phone): the window of
    // rendered lines must cover what is in view. Its width sets how many characters fit a row
    // (narrower with the times column: measured again when that comes or goes).
    const observer = new ResizeObserver(() => {
      setViewport(element.clientHeight || height);
      const text = probe.current?.querySelector('.log-text');
      const sample = text?.firstElementChild;
      if (text && sample) {
        const charWidth = sample.getBoundingClientRect().width / 10;
        setColumns(charWidth > 0 ? Math.floor(text.getBoundingClientRect().width / charWidth) : 0);
      }
    });
    observer.observe(element);
    if (probe.current) observer.observe(probe.current);
    return () => observer.disconnect();
  }, [height, digits, timed]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const onScroll = () => {
      setScrollTop(element.scrollTop);
      follow(element.scrollTop + element.clientHeight >= element.scrollHeight - LINE_HEIGHT);
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);

  const first = Math.max(0, layout.indexAt(scrollTop) - OVERSCAN);
  const last = Math.min(lines.length, layout.indexAt(scrollTop + Math.max(viewport, height)) + 1 + OVERSCAN);
  const marks = hitsByLine(hits, currentHit, first, last);

  return (
    <div
      ref={box}
      className={wrap ? 'log log-wrap' : 'log'}
      role="log"
      aria-label="Job log"
      tabIndex={0}
      data-line-count={lines.length}
      data-filled={filled ?? lines.length}
      style={{ height, ['--digits' as string]: digits }}
    >
      <div ref={probe} className="log-probe" aria-hidden="true">
        <span className="log-number">0</span>
        {timed && <span className="log-time">00:00:00</span>}
        <span className="log-text">
          <span>0000000000</span>
        </span>
      </div>
      {lines.length === 0 ? (
        <p className="log-empty">No output yet.</p>
      ) : (
        <div className="log-body" style={{ height: layout.total }}>
          <div className="log-window" style={{ top: layout.offsetOf(first) }}>
            {lines.slice(first, last).map((line, offset) => (
              <LogLine
                key={first + offset}
                index={first + offset}
                line={line}
                marks={marks.get(first + offset)}
                selected={selected === first + offset}
                wrap={wrap}
                href={lineHref?.(first + offset)}
                time={times ? (times.at(first + offset) ?? null) : undefined}
              />
            ))}
          </div>
        </div>
      )}
      {!following && lines.length > 0 && (
        <button
          type="button"
          className="follow"
          onClick={() => {
            follow(true);
            if (box.current) box.current.scrollTop = box.current.scrollHeight;
          }}
        >
          Follow the end ↓
        </button>
      )}
    </div>
  );
}

interface LogLineProps {
  index: number;
  line: string;
  marks?: Mark[];
  selected: boolean;
  wrap: boolean;
  href?: string;
  /** When the line was stored (ms); null when it has no time, undefined when times are not shown. */
  time?: number | null;
}

function LogLine({ index, line, marks, selected, wrap, href, time }: LogLineProps) {
  const number = index + 1;
  return (
    <div
      className={selected ? 'log-line log-line-selected' : 'log-line'}
      data-index={index}
      style={wrap ? undefined : { height: LINE_HEIGHT }}
    >
      {href ? (
        // Not in the tab order: a screenful of links between the log and what follows it would be a trap.
        <a className="log-number" href={href} tabIndex={-1} aria-label={`Line ${number}`}>
          {number}
        </a>
      ) : (
        <span className="log-number" aria-hidden="true">
          {number}
        </span>
      )}
      {time !== undefined &&
        (time === null ? (
          <span className="log-time" />
        ) : (
          <time className="log-time" dateTime={new Date(time).toISOString()} title={new Date(time).toISOString()}>
            {clockTime(time)}
          </time>
        ))}
      <span className="log-text">
        {markSegments(ansiSegments(line ?? ''), marks ?? []).map((piece, i) => {
          if (!piece.mark) return <span key={i} className={piece.className || undefined}>{piece.text}</span>;
          return (
            <mark key={i} className={piece.mark === 'current' ? 'log-hit log-hit-current' : 'log-hit'}>
              <span className={piece.className || undefined}>{piece.text}</span>
            </mark>
          );
        })}
      </span>
    </div>
  );
}
