/**
 * The log, rendering only the lines in view (so 100,000 lines cost what 50 do), colours
 * included. It follows the end while the reader is at the bottom, and stops following as
 * soon as they scroll up to read.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ansiSegments } from '../ansi';

export const LINE_HEIGHT = 18;
const OVERSCAN = 20;

export interface LogViewProps {
  /** Lines by index; the array may grow in place, `version` says when. */
  lines: string[];
  version: number;
  /** How many indexes hold a line (a hole would mean a lost line). */
  filled?: number;
  height?: number;
}

export function LogView({ lines, version, filled, height = 480 }: LogViewProps) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(height);
  const [following, setFollowing] = useState(true);

  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    if (following) element.scrollTop = element.scrollHeight;
    // Read the position back at once: the scroll event of a programmatic scroll comes a frame
    // later, or never when the value did not change, and until then the lines rendered would
    // be those of the old position: a blank pane over lines that have loaded.
    setScrollTop(element.scrollTop);
  }, [version, following, lines.length]);

  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    // The pane's real height (CSS may make it smaller than asked, on a phone): the window of
    // rendered lines must cover what is in view.
    const observer = new ResizeObserver(() => setViewport(element.clientHeight || height));
    observer.observe(element);
    return () => observer.disconnect();
  }, [height]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const onScroll = () => {
      setScrollTop(element.scrollTop);
      setFollowing(element.scrollTop + element.clientHeight >= element.scrollHeight - LINE_HEIGHT);
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + Math.max(viewport, height)) / LINE_HEIGHT) + OVERSCAN);
  const visible = lines.slice(first, last);

  return (
    <div
      ref={box}
      className="log"
      role="log"
      aria-label="Job log"
      tabIndex={0}
      data-line-count={lines.length}
      data-filled={filled ?? lines.length}
      style={{ height }}
    >
      {lines.length === 0 ? (
        <p className="log-empty">No output yet.</p>
      ) : (
        <div style={{ height: lines.length * LINE_HEIGHT, position: 'relative' }}>
          <div style={{ position: 'absolute', top: first * LINE_HEIGHT, left: 0, right: 0 }}>
            {visible.map((line, offset) => (
              <div className="log-line" key={first + offset} data-index={first + offset} style={{ height: LINE_HEIGHT }}>
                <span className="log-number" aria-hidden="true">
                  {first + offset + 1}
                </span>
                {ansiSegments(line).map((segment, i) => (
                  <span key={i} className={segment.className || undefined}>
                    {segment.text}
                  </span>
                ))}
              </div>
            ))}
          </div>
        </div>
      )}
      {!following && lines.length > 0 && (
        <button
          type="button"
          className="follow"
          onClick={() => {
            setFollowing(true);
            if (box.current) box.current.scrollTop = box.current.scrollHeight;
          }}
        >
          Follow the end ↓
        </button>
      )}
    </div>
  );
}
