/**
 * What a runner tells everyone who uses the service before they submit: what would make its
 * jobs fail now, and (for builds) where a context may come from on this server. Worded for any
 * signed-in reader: no addresses, paths or versions outside `detail`, which only admins see.
 */

/** One thing that makes jobs fail or refused, and what to change. */
export interface RunnerProblem {
  /** What is wrong, for anyone: "The Docker engine does not answer." No addresses, paths or versions. */
  cause: string;
  /** What to do, for anyone, naming the setting: "Set DOCKER_HOST to an engine this server can reach." */
  fix: string;
  /** The settings that fix it, as the standalone server names them (its environment variables). */
  settings: string[];
  /** The whole story, with the address, path or the engine's own words: for admins only. */
  detail?: string;
}

/** Whether one way of doing something works on this server; `problem` says why not. */
export interface RunnerFeature {
  ok: boolean;
  problem?: RunnerProblem;
}

/** Where a build's context may come from on this server. */
export interface BuildContextSources {
  /** A directory under the context root (BUILD_CONTEXT_ROOT). */
  directory: RunnerFeature;
  /** A git URL the engine clones: from `hosts` (GIT_HOSTS), over ssh when `ssh` (GIT_ALLOW_SSH). */
  git: RunnerFeature & { hosts: string[]; ssh: boolean };
  /** A tar archive sent with the request. */
  upload: RunnerFeature;
}

export interface RunnerReadiness {
  /** What makes this kind's jobs fail (or be refused) now; empty when nothing known does. */
  problems: RunnerProblem[];
  /** Build runners: each source a context may come from, and whether it works here. */
  contexts?: BuildContextSources;
  /** Build runners: whether images may be pushed (a registry is configured). */
  push?: RunnerFeature;
}
