/**
 * A stream is only worth its connection while someone can see it: these let a follower close
 * when the tab is hidden and open again, from where it was, once the tab is visible.
 */

const hidden = () => typeof document !== 'undefined' && document.visibilityState === 'hidden';

/** Resolves once the tab is visible (at once if it is), or when `signal` aborts. */
export function whenVisible(signal: AbortSignal): Promise<void> {
  if (!hidden() || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      document.removeEventListener('visibilitychange', check);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const check = () => {
      if (!hidden()) done();
    };
    document.addEventListener('visibilitychange', check);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A signal that aborts when `outer` does or when the tab is hidden; `release` stops watching. */
export function untilHidden(outer: AbortSignal): { signal: AbortSignal; hiddenNow: () => boolean; release: () => void } {
  const controller = new AbortController();
  let wentHidden = false;
  const onOuter = () => controller.abort();
  const onChange = () => {
    if (hidden()) {
      wentHidden = true;
      controller.abort();
    }
  };
  outer.addEventListener('abort', onOuter, { once: true });
  document.addEventListener('visibilitychange', onChange);
  if (outer.aborted) controller.abort();
  return {
    signal: controller.signal,
    hiddenNow: () => wentHidden,
    release: () => {
      outer.removeEventListener('abort', onOuter);
      document.removeEventListener('visibilitychange', onChange);
    },
  };
}

/** Waits `ms`, or less if `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
