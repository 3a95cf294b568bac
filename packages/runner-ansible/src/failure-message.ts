/**
 * The job's error for a failed deploy: the first failed task and host with each failed item's
 * own message, and for the SSH failures that real hosts produce most (an unknown host key,
 * a refused key) what to set on the server. Else what ansible-playbook's exit code means.
 */
import type { OutputReader, TaskFailure } from './ansible-output.js';

const MAX_ITEMS_SHOWN = 3;
const MAX_LABEL = 80;

const HINTS: Array<{ cause: RegExp; hint: string }> = [
  {
    cause: /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key is not known/i,
    hint:
      "The host's SSH key is not in a known_hosts file that ssh reads (or it changed): add it to the known_hosts of the user the server runs as " +
      '(ssh-keyscan), or name a known_hosts file with UserKnownHostsFile in ANSIBLE_SSH_ARGS or ansible.cfg (ANSIBLE_CONFIG); ' +
      "or, to skip the check, set ANSIBLE_HOST_KEY_CHECKING=False in the server's environment.",
  },
  {
    cause: /Permission denied \((publickey|password|keyboard-interactive)/,
    hint:
      "The host refused the server's SSH credentials: give the key with --private-key in ANSIBLE_EXTRA_ARGS (or ANSIBLE_PRIVATE_KEY_FILE, " +
      "or an ssh-agent's SSH_AUTH_SOCK), and check the user (ansible_user) and its authorized_keys on the host.",
  },
];

export function failureMessage(output: OutputReader, exitCode: number | undefined): string {
  const [first] = output.failures;
  if (!first) {
    const reason = describeExitCode(exitCode ?? -1, Object.values(output.recap).some((host) => host.unreachable > 0));
    return output.errors.length > 0 ? `${reason}: ${output.errors[0]}` : reason;
  }
  const sameTaskAndHost = (f: TaskFailure) => f.task === first.task && f.host === first.host;
  const others = new Set(output.failures.filter((f) => !sameTaskAndHost(f)).map((f) => `${f.task}\0${f.host}`)).size;
  const more = others > 0 ? ` (and ${others} more failure${others > 1 ? 's' : ''})` : '';
  const message = `Task "${first.task}" failed on ${first.host}: ${describeFailures(output.failures.filter(sameTaskAndHost))}${more}`;
  const hints = HINTS.filter(({ cause }) => output.failures.some((f) => cause.test(f.message))).map(({ hint }) => hint);
  return [message, ...hints].join(' ');
}

/** One host's failures in one task: one, or a loop's items (the same message given once). */
function describeFailures(failures: TaskFailure[]): string {
  const parts = [...new Set(failures.map(describeFailure))];
  const shown = parts.slice(0, MAX_ITEMS_SHOWN).join('; ');
  return parts.length > MAX_ITEMS_SHOWN ? `${shown}; and ${parts.length - MAX_ITEMS_SHOWN} more` : shown;
}

/** An unreachable host is about the host, not the item: its items share the message. */
function describeFailure(failure: TaskFailure): string {
  if (failure.unreachable) return `unreachable: ${failure.message}`;
  if (failure.item === undefined) return failure.message;
  const label = failure.item.length > MAX_LABEL ? `${failure.item.slice(0, MAX_LABEL - 1)}…` : failure.item;
  return `item ${label}: ${failure.message}`;
}

/**
 * What ansible-playbook's exit codes mean, for when no failed task explains it. Ansible 2.14
 * answers 4 both for unreachable hosts and for a playbook it could not parse.
 */
export function describeExitCode(code: number, unreachableHosts = false): string {
  switch (code) {
    case 1:
      return 'ansible-playbook failed (exit 1: an error before or while running the play)';
    case 2:
      return 'one or more tasks failed (exit 2)';
    case 3:
      return 'one or more hosts were unreachable (exit 3)';
    case 4:
      return unreachableHosts ? 'one or more hosts were unreachable (exit 4)' : 'the playbook could not be parsed (exit 4)';
    case 5:
      return 'ansible-playbook was called with bad or incomplete options (exit 5)';
    case 99:
      return 'ansible-playbook was interrupted (exit 99)';
    case 250:
      return 'ansible-playbook hit an unexpected error (exit 250)';
    default:
      return `ansible-playbook exited with code ${code}`;
  }
}

/** A playbook ended by a signal nobody here sent: most often the kernel's OOM killer (SIGKILL). */
export function describeSignal(signal: string): string {
  return `ansible-playbook was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}`;
}
