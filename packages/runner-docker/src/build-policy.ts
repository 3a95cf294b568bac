/**
 * What a build may reach, by the server's configuration: whether a context may be a directory
 * (only under a context root) or an upload, the git hosts a context may be cloned from (and
 * whether over ssh), and the repositories an image may be tagged and pushed as.
 * Checked when a job is submitted (`Runner.validate`, so a refused spec is never stored) and
 * again just before the engine is called. Messages name the setting that would allow it.
 */
import { formatPath, isGitUrl, parseGitUrl, parseImageReference, type BuildSpec, type FieldIssue, type GitUrl } from '@docker-builder/core';
import { registryHost } from './registry-auth.js';

export interface BuildPolicyOptions {
  /** Directory contexts are refused without it. */
  contextRoot?: string;
  /** Uploaded contexts are refused without it. */
  uploadsDir?: string;
  /** `host`, `host:port` or `*.domain` (any subdomain); a host without a port allows the scheme's default port only. */
  gitHosts?: readonly string[];
  allowSshGit?: boolean;
  /** Default image repository prefix: every repository under it may be pushed to. */
  registryPrefix?: string;
  /** More repositories images may be pushed as: `registry/team/app`, or `registry/team/*` for everything under it. */
  pushAllow?: readonly string[];
}

export interface BuildPolicy {
  /** What is wrong with this spec by this server's rules; empty when nothing is. */
  check(spec: BuildSpec): FieldIssue[];
  /** The repository a spec's image is tagged as. */
  repositoryOf(spec: BuildSpec): string;
  /** The rules, for _debug. */
  readonly summary: { gitHosts: string[]; allowSshGit: boolean; pushAllow: string[] };
}

interface HostRule {
  /** Lowercase name, or the suffix after `*.`. */
  name: string;
  wildcard: boolean;
  port: number | null;
}

const DEFAULT_PORT = { https: 443, ssh: 22 } as const;

/** Throws (naming the option) on an entry that could never match. */
export function createBuildPolicy(options: BuildPolicyOptions): BuildPolicy {
  const named = <T>(option: string, parse: (entry: string) => T) => (entry: string) => {
    try {
      return parse(entry);
    } catch (error) {
      throw new Error(`${option}: ${(error as Error).message}`);
    }
  };
  const hostRules = (options.gitHosts ?? []).map(named('gitHosts', parseHostRule));
  const prefix = options.registryPrefix?.replace(/\/+$/, '');
  const pushRules = [...(prefix ? [`${prefix}/*`] : []), ...(options.pushAllow ?? [])].map(named('pushAllow', parsePushRule));
  const pushSettings = `REGISTRY_PREFIX${prefix ? ` (${prefix})` : ''} or PUSH_ALLOW (the Docker runner's registryPrefix and pushAllow)`;

  const repositoryOf = (spec: BuildSpec) => spec.image ?? (prefix ? `${prefix}/${spec.service}` : spec.service);

  function gitIssue(context: string): string | null {
    const parsed = parseGitUrl(context);
    if (!parsed.ok) return parsed.reason;
    const url = parsed.url;
    if (url.scheme === 'ssh') {
      if (!options.allowSshGit) return 'ssh:// git contexts are refused on this server: set GIT_ALLOW_SSH=true (the Docker runner\'s allowSshGit) to allow them';
      // The classic builder clones ssh contexts only in the scp-like form, which has no port and
      // which it recognises by a `git@` prefix.
      if (url.user !== 'git' || url.port !== null) return 'must be ssh://git@host/path.git (no other login, no port): the Docker engine clones ssh contexts only as git@host:path';
    }
    if (hostRules.length === 0) {
      return `git contexts are refused on this server: set GIT_HOSTS (the Docker runner's gitHosts) to the hosts builds may clone from, e.g. GIT_HOSTS=${url.host}`;
    }
    if (!hostRules.some((rule) => hostAllowed(rule, url))) {
      const where = `${url.host}${url.port !== null ? `:${url.port}` : ''}`;
      return `git host "${where}" is not allowed on this server: add it to GIT_HOSTS (the Docker runner's gitHosts; now ${hostRules.map(formatHostRule).join(', ')})`;
    }
    return null;
  }

  return {
    repositoryOf,
    summary: { gitHosts: hostRules.map(formatHostRule), allowSshGit: Boolean(options.allowSshGit), pushAllow: pushRules.map((rule) => rule.text) },
    check(spec) {
      const issues: FieldIssue[] = [];
      if (spec.upload) {
        if (!options.uploadsDir) {
          issues.push({ path: 'upload', message: "uploaded contexts are refused on this server: the Docker runner has no uploadsDir (set UPLOADS_DIR, the directory the server stores archives in)" });
        }
      } else if (isGitUrl(spec.context)) {
        const issue = gitIssue(spec.context);
        if (issue) issues.push({ path: 'context', message: issue });
      } else if (!options.contextRoot) {
        // Refused here rather than failing at run time: nothing would ever build it.
        issues.push({
          path: 'context',
          message:
            "directory contexts are refused on this server, which has no context root: set BUILD_CONTEXT_ROOT (the Docker runner's contextRoot) to the directory that holds them, or build from a git URL or an uploaded archive",
        });
      }
      const repository = repositoryOf(spec);
      const field = spec.image ? 'image' : 'service';
      if (pushRules.length === 0) {
        // No registry configured: local builds only, or the server's credentials would push wherever a payload says.
        if (spec.push) issues.push({ path: 'push', message: `pushing is refused on this server: set ${pushSettings}, or build with "push": false` });
      } else if (!pushRules.some((rule) => rule.matches(normalizeRepository(repository)))) {
        // Also when not pushed: a tag on a shared engine is what a later FROM or docker run uses.
        issues.push({
          path: formatPath([field]),
          message: `"${repository}" is not a repository this server builds for: images go under ${pushSettings}; ask for it to be added to PUSH_ALLOW (now ${pushRules.map((rule) => rule.text).join(', ')})`,
        });
      }
      return issues;
    },
  };
}

function hostAllowed(rule: HostRule, url: GitUrl): boolean {
  const port = url.port ?? DEFAULT_PORT[url.scheme];
  if ((rule.port ?? DEFAULT_PORT[url.scheme]) !== port) return false;
  return rule.wildcard ? url.host.endsWith(`.${rule.name}`) : url.host === rule.name;
}

/** Why a `gitHosts` entry is not one, or null; for configuration checks at start. */
export function gitHostRuleProblem(entry: string): string | null {
  try {
    parseHostRule(entry);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Why a `pushAllow` entry is not one, or null. */
export function pushAllowRuleProblem(entry: string): string | null {
  try {
    parsePushRule(entry);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function parseHostRule(entry: string): HostRule {
  const text = entry.trim().toLowerCase();
  const wildcard = text.startsWith('*.');
  const hostPort = wildcard ? text.slice(2) : text;
  // The same rules as a URL's host (no IP literals, no localhost): an entry no URL could match is a mistake.
  const parsed = /^[^@/?#]+$/.test(hostPort) ? parseGitUrl(`https://${hostPort}/r.git`) : null;
  if (!parsed?.ok) {
    throw new Error(
      `"${entry}" is not a git host: use "github.com", "git.example.com:8443" or "*.example.com"` +
        (parsed && !parsed.ok ? ` (a git URL ${parsed.reason})` : ''),
    );
  }
  return { name: parsed.url.host, wildcard, port: parsed.url.port };
}

function formatHostRule(rule: HostRule): string {
  return `${rule.wildcard ? '*.' : ''}${rule.name}${rule.port !== null ? `:${rule.port}` : ''}`;
}

function parsePushRule(entry: string): { text: string; matches(repository: string): boolean } {
  const text = entry.trim();
  const under = text.endsWith('/*');
  const repository = under ? text.slice(0, -2) : text;
  // `host:port/*` is a registry; `parseImageReference` reads a bare `host:port` as a name and a tag.
  const checked = under ? `${repository}/x` : repository;
  if (parseImageReference(checked)?.repository !== checked) {
    throw new Error(`"${entry}" is not an image repository: use "registry.example.com/team/app" or "registry.example.com/team/*"`);
  }
  // `registry.example.com/*` names a registry, not a Docker Hub repository called that.
  const normalized = under ? normalizeRepository(`${repository}/x`).slice(0, -2) : normalizeRepository(repository);
  return {
    text,
    matches: (candidate) => (under ? candidate.startsWith(`${normalized}/`) : candidate === normalized),
  };
}

/**
 * One spelling per repository, as the engine resolves it: `app` and `docker.io/library/app`
 * are the same image, and registry host names are case-insensitive.
 */
export function normalizeRepository(repository: string): string {
  const host = registryHost(repository);
  const hasHost = repository.startsWith(`${host}/`);
  let path = hasHost ? repository.slice(host.length + 1) : repository;
  const canonicalHost = ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host.toLowerCase()) ? 'docker.io' : host.toLowerCase();
  if (canonicalHost === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return `${canonicalHost}/${path}`;
}
