/**
 * What this server can run (`GET /runners`), kept current for the shell: the banner, the nav and
 * the forms read it. Asked again every 30 s while the tab is visible, when it becomes visible, and
 * on each navigation, so a fixed setting clears the banner without a reload. A server without the
 * route (older) answers 404: then nothing is known, and the UI offers everything, as it used to.
 */
import { useEffect, useState } from 'react';
import { ApiError, request } from './api';

export interface RunnerProblem {
  cause: string;
  fix: string;
  settings: string[];
  /** Admins only. */
  detail?: string;
}

export interface RunnerFeature {
  ok: boolean;
  problem?: RunnerProblem;
}

export interface BuildContextSources {
  directory: RunnerFeature;
  git: RunnerFeature & { hosts?: string[]; ssh: boolean };
  upload: RunnerFeature & { maxBytes?: number };
}

export interface RunnerStatus {
  name: string;
  ok: boolean;
  problems: RunnerProblem[];
  contexts?: BuildContextSources;
  push?: RunnerFeature;
}

/** Per kind: null when this server has no runner for it. */
export interface Runners {
  build: RunnerStatus | null;
  deploy: RunnerStatus | null;
}

/** `loading` until the first answer; `undefined` when the server does not say (no such route, or it failed). */
export type KnownRunners = Runners | 'loading' | undefined;

/** What is known, or undefined while loading or unknown. */
export const known = (runners: KnownRunners): Runners | undefined => (runners === 'loading' ? undefined : runners);

const REFRESH_MS = 30_000;

export function useRunners(routeKey: string): KnownRunners {
  const [runners, setRunners] = useState<KnownRunners>('loading');
  useEffect(() => {
    let live = true;
    const load = () => {
      if (document.visibilityState === 'hidden') return;
      request<Runners>('runners').then(
        (value) => live && setRunners(value),
        // A blip keeps what was known; a first answer that fails (a server without the route)
        // leaves the UI offering everything, as it did before it could ask.
        (error: unknown) => live && setRunners((before) => (before === 'loading' || (error instanceof ApiError && error.status === 404) ? undefined : before)),
      );
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    document.addEventListener('visibilitychange', load);
    return () => {
      live = false;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', load);
    };
  }, [routeKey]);
  return runners;
}

export const KIND_NAMES = { build: 'Builds', deploy: 'Deploys' } as const;
