/**
 * Git URLs a build may name as its context, by rules that hold whatever the server allows: the
 * engine clones them itself, from inside the build host's network, so a URL must not be able
 * to name that network (cloud metadata at 169.254.169.254, a daemon on 127.0.0.1:2375). Which
 * hosts are allowed at all is the runner's configuration (GIT_HOSTS), checked on top of this.
 *
 * A DNS name that resolves to a private address cannot be refused here without resolving it
 * (and the answer may change by the time the engine resolves it); the host allow-list is the
 * defence against that.
 */

export interface GitUrl {
  scheme: 'https' | 'ssh';
  /** The ssh login (`git` in `ssh://git@host/…`); always null for https, which takes no credentials. */
  user: string | null;
  /** Lowercase DNS name, never an IP address. */
  host: string;
  port: number | null;
  /** The repository path without its leading slash; ends in `.git`. */
  path: string;
  /** `#ref`: a branch, tag or commit. */
  ref: string | null;
  /** `#ref:subdirectory`: where the build context is inside the repository. */
  subdirectory: string | null;
}

export type GitUrlParse = { ok: true; url: GitUrl } | { ok: false; reason: string };

/**
 * Does this context look like a URL (or the scp-like `host:path` form git also reads) rather
 * than a directory? Anything with a scheme or a colon before its first slash counts, so that
 * every such string is judged by the git URL rules and refused there with a reason.
 */
export function isGitUrl(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) || /^[^/]*:/.test(value);
}

const EXAMPLE = 'https://git.example.com/team/repo.git#main:services/rag';
const LOGIN = /^[A-Za-z0-9._-]{1,64}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const REPO_PATH = /^[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*\.git$/;
const REF = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;
const SUBDIRECTORY = /^[A-Za-z0-9._@+][A-Za-z0-9._@+-]*(?:\/[A-Za-z0-9._@+][A-Za-z0-9._@+-]*)*\/?$/;
/** Names that mean this machine without being an address (RFC 6761 and Debian's /etc/hosts). */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

export function parseGitUrl(value: string): GitUrlParse {
  const fail = (reason: string): GitUrlParse => ({ ok: false, reason });
  if (value.length > 2048) return fail('must be at most 2048 characters');

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return fail('must not use the scp-like form (host:path or user@host:path); write an https:// URL such as ' + `"${EXAMPLE}"`);
  }
  if (scheme !== 'https' && scheme !== 'ssh') {
    return fail(`must be an https:// git URL (or ssh:// where the server allows it), not ${scheme}://, e.g. "${EXAMPLE}"`);
  }

  const rest = value.slice(scheme.length + 3);
  const hash = rest.indexOf('#');
  const beforeFragment = hash < 0 ? rest : rest.slice(0, hash);
  const fragment = hash < 0 ? null : rest.slice(hash + 1);
  const slash = beforeFragment.indexOf('/');
  const authority = slash < 0 ? beforeFragment : beforeFragment.slice(0, slash);
  const path = slash < 0 ? '' : beforeFragment.slice(slash + 1);

  let user: string | null = null;
  let hostPort = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
    if (scheme === 'https' || userinfo.includes(':') || !LOGIN.test(userinfo)) {
      return fail(
        'must not carry credentials (user@ or user:password@): the server authenticates with its own configuration' +
          (scheme === 'ssh' ? '; an ssh URL may only name the login, as in ssh://git@host/repo.git' : ''),
      );
    }
    user = userinfo;
  }

  const host = parseHost(hostPort);
  if (!host.ok) return fail(host.reason);

  if (value.includes('?')) return fail('must not have a query string');
  if (path.split('/').includes('..')) return fail('must not contain ".." in its path');
  if (!REPO_PATH.test(path)) {
    return fail(
      'must name a repository path ending in .git, of letters, digits, ".", "_", "~", "-" and "/" ' +
        `(the engine downloads any other URL itself instead of cloning it), e.g. "${EXAMPLE}"`,
    );
  }

  let ref: string | null = null;
  let subdirectory: string | null = null;
  if (fragment !== null) {
    const colon = fragment.indexOf(':');
    const refPart = colon < 0 ? fragment : fragment.slice(0, colon);
    const subPart = colon < 0 ? null : fragment.slice(colon + 1);
    if (refPart !== '') {
      if (!REF.test(refPart) || refPart.split('/').includes('..')) {
        return fail('must have a ref (after #) of letters, digits, ".", "_", "-" and "/", not starting with "-", ".", or "/"');
      }
      ref = refPart;
    }
    if (subPart !== null) {
      if (subPart.startsWith('/') || subPart.split('/').includes('..') || !SUBDIRECTORY.test(subPart)) {
        return fail('must have a subdirectory (after #ref:) that is a relative path inside the repository, without ".."');
      }
      subdirectory = subPart;
    }
  }

  return { ok: true, url: { scheme, user, host: host.name, port: host.port, path, ref, subdirectory } };
}

function parseHost(hostPort: string): { ok: true; name: string; port: number | null } | { ok: false; reason: string } {
  const ipReason = 'must name the git host by its DNS name, not by an IP address (in any notation)';
  if (hostPort.startsWith('[')) return { ok: false, reason: ipReason };
  const colon = hostPort.lastIndexOf(':');
  let name = colon < 0 ? hostPort : hostPort.slice(0, colon);
  let port: number | null = null;
  if (colon >= 0) {
    const digits = hostPort.slice(colon + 1);
    port = /^[0-9]{1,5}$/.test(digits) ? Number(digits) : NaN;
    if (!(port >= 1 && port <= 65535)) return { ok: false, reason: 'must have a port from 1 to 65535, if any' };
  }
  name = name.toLowerCase();
  if (name === '') return { ok: false, reason: `must name a host, e.g. "${EXAMPLE}"` };
  if (name.endsWith('.')) return { ok: false, reason: 'must not end its host name with a dot' };
  const labels = name.split('.');
  // The WHATWG URL rule (and what inet_aton accepts): a host whose last label is a number, decimal,
  // octal or 0x-hex, is an IPv4 address: 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 all are 127.0.0.1.
  if (/^(?:0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1]!)) return { ok: false, reason: ipReason };
  if (!labels.every((label) => LABEL.test(label)) || name.length > 253) {
    return { ok: false, reason: 'must have a host name of letters, digits, "-" and "." (no IP addresses, no other characters)' };
  }
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) {
    return { ok: false, reason: 'must not name this machine (localhost): the engine would fetch from inside its own host' };
  }
  return { ok: true, name, port };
}
