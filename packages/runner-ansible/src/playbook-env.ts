/**
 * The playbook's environment, built in layers so that the server's secrets reach it only when
 * the operator asks: the allow-list (or the caller's own `env`), then the server's `ANSIBLE_*`
 * variables and the names the operator lists, then what the runner itself sets, which wins.
 * The library reads no environment of its own for this: the caller hands the server's.
 */

/** What the playbook gets from this process when the caller gives no `env`. */
export const ALLOWED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SSH_AUTH_SOCK'];

/**
 * Set by the runner for every deploy. The output reader depends on the default callback's
 * JSON results, and `DEPLOY_USER_SUB` must only ever name the job's own user: a server's
 * value of any of these is dropped, and listing one to pass through is refused.
 */
const RUNNER_OWNED = [
  'PYTHONUNBUFFERED',
  'ANSIBLE_RETRY_FILES_ENABLED',
  'ANSIBLE_STDOUT_CALLBACK',
  'ANSIBLE_CALLBACK_RESULT_FORMAT',
  'ANSIBLE_FORCE_COLOR',
  'ANSIBLE_NOCOLOR',
  'DEPLOY_USER_SUB',
];

/** POSIX's portable name: what every shell and `env` accept. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a name cannot be passed through, or null. */
export function passthroughNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name)) return `"${name}" is not an environment variable name (letters, digits and _, not starting with a digit)`;
  if (RUNNER_OWNED.includes(name)) return `${name} is set by the deploy runner itself and cannot be passed through`;
  return null;
}

/** The server's variables the playbook gets: every `ANSIBLE_*` one, and the listed names that are set. */
export function passedServerEnv(serverEnv: Record<string, string | undefined>, passthrough: readonly string[]): Record<string, string> {
  const names = new Set([...Object.keys(serverEnv).filter((name) => name.startsWith('ANSIBLE_')), ...passthrough]);
  const passed: Record<string, string> = {};
  for (const name of [...names].sort()) {
    const value = serverEnv[name];
    if (value !== undefined && !RUNNER_OWNED.includes(name)) passed[name] = value;
  }
  return passed;
}

/** The runner's own layer, last: it wins over everything above. */
export function runnerEnv(options: { color: boolean; user?: string }): Record<string, string> {
  return {
    PYTHONUNBUFFERED: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    // The job's error is read from the default callback's output, with results as JSON; an
    // ansible.cfg or a server variable that chose another format would silently lose it.
    ANSIBLE_STDOUT_CALLBACK: 'default',
    ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
    ...(options.color ? { ANSIBLE_FORCE_COLOR: '1' } : { ANSIBLE_NOCOLOR: '1' }),
    ...(options.user ? { DEPLOY_USER_SUB: options.user } : {}),
  };
}
