/**
 * After a navigation, focus goes to the new page's heading: a screen reader announces where the
 * user landed and the keyboard continues from there, not from the link that was clicked. Pages
 * that load first (a job) get their heading later: it is focused when it appears, unless the
 * user has moved on meanwhile.
 */
import { useEffect, useRef } from 'react';

const GIVE_UP_MS = 10_000;

export function useFocusHeadingOnNavigation(routeKey: string): void {
  const initial = useRef(routeKey);
  const navigated = useRef(false);
  useEffect(() => {
    // The first page of a visit keeps the browser's own start (the top of the document).
    if (!navigated.current && routeKey === initial.current) return;
    navigated.current = true;
    window.scrollTo(0, 0);
    const main = document.querySelector('main');
    if (!main) return;
    const untouched = () => {
      const active = document.activeElement;
      return !active || active === document.body || Boolean(active.closest('header, nav'));
    };
    const focusHeading = () => {
      const heading = main.querySelector<HTMLElement>('h1');
      if (!heading) return false;
      if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
      if (untouched()) heading.focus({ preventScroll: true });
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const stop = setTimeout(() => observer.disconnect(), GIVE_UP_MS);
    return () => {
      observer.disconnect();
      clearTimeout(stop);
    };
  }, [routeKey]);
}
