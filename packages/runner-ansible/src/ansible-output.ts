/**
 * Reads ansible-playbook's default output as it streams: `PROGRESS N` lines set progress, the
 * current `TASK [...]` is remembered, and a `fatal:`/`failed:` line becomes the job's error with
 * the task's name and ansible's message. Colour codes stay in the log; matching ignores them.
 */
import { stripAnsi } from '@docker-builder/core';

const PROGRESS = /\bPROGRESS (\d{1,3})\b/;
const TASK = /^TASK \[(.*)\] \**$/;
const FAILURE = /^(?:fatal|failed): \[([^\]]+)\](?: \(item=.*\))?: (FAILED|UNREACHABLE)! => (.*)$/;
const RECAP = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)/;

export interface TaskFailure {
  task: string;
  host: string;
  message: string;
}

export type HostRecap = Record<'ok' | 'changed' | 'unreachable' | 'failed' | 'skipped' | 'rescued' | 'ignored', number>;

export function createOutputReader(onProgress: (percent: number) => void) {
  let task = '';
  const failures: TaskFailure[] = [];
  const errors: string[] = [];
  const recap: Record<string, HostRecap> = {};
  return {
    failures,
    errors,
    recap,
    read(rawLine: string) {
      const line = stripAnsi(rawLine);
      const progress = PROGRESS.exec(line);
      if (progress) onProgress(Math.min(100, Number(progress[1])));
      const taskMatch = TASK.exec(line);
      if (taskMatch) task = taskMatch[1]!;
      const failure = FAILURE.exec(line);
      if (failure) failures.push({ task, host: failure[1]!, message: describeResult(failure[2]!, failure[3]!) });
      if (line.startsWith('ERROR! ')) errors.push(line.slice('ERROR! '.length));
      const hostRecap = RECAP.exec(line);
      if (hostRecap) {
        const [, host, ok, changed, unreachable, failed, skipped, rescued, ignored] = hostRecap.map((v, i) => (i < 2 ? v : Number(v))) as [
          string,
          string,
          ...number[],
        ];
        recap[host] = { ok: ok!, changed: changed!, unreachable: unreachable!, failed: failed!, skipped: skipped!, rescued: rescued!, ignored: ignored! };
      }
    },
  };
}

function describeResult(kind: string, json: string): string {
  try {
    const result = JSON.parse(json) as { msg?: string; rc?: number; stderr?: string };
    let message = result.msg ?? kind.toLowerCase();
    if (result.rc !== undefined) message += ` (rc ${result.rc})`;
    if (result.stderr) message += `: ${result.stderr.slice(0, 500)}`;
    return kind === 'UNREACHABLE' ? `unreachable: ${message}` : message;
  } catch {
    return json.slice(0, 500);
  }
}

/** What ansible-playbook's exit codes mean, for when no failed task explains it. */
export function describeExitCode(code: number): string {
  switch (code) {
    case 1:
      return 'ansible-playbook failed (exit 1: an error before or while running the play)';
    case 2:
      return 'one or more tasks failed (exit 2)';
    case 3:
      return 'one or more hosts were unreachable (exit 3)';
    case 4:
      return 'the playbook could not be parsed (exit 4)';
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
