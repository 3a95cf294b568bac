/**
 * Reads ansible-playbook's default output as it streams: `PROGRESS N` lines set progress, the
 * current `TASK [...]` is remembered, and every failed result becomes a failure with its own
 * message: a `fatal: [host]` line, and each `failed: [host] (item=...)` line of a loop (the
 * loop's summary says only "All items completed"). The JSON after `=>` is read whole, also
 * when ansible indents it over many lines (-vvv). Colour codes stay in the log; matching
 * ignores them.
 */
import { stripAnsi } from '@docker-builder/core';

const PROGRESS = /\bPROGRESS (\d{1,3})\b/;
const TASK = /^TASK \[(.*)\] \**$/;
const FATAL = /^fatal: \[([^\]]+)\]: (FAILED|UNREACHABLE)! => (.*)$/;
const ITEM_FAILED = /^failed: \[([^\]]+)\] \(item=(.*)$/;
const RECAP = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)/;
/** An indented result ends with a brace alone at the start of a line; past these, it is given up. */
const MAX_RESULT_LINES = 5_000;
const MAX_RESULT_CHARS = 1_000_000;

export interface TaskFailure {
  task: string;
  host: string;
  /** The loop item's label as ansible printed it, for a failed item of a loop. */
  item?: string;
  unreachable: boolean;
  /** The result's own message: `msg`, the return code, stderr. */
  message: string;
}

export type HostRecap = Record<'ok' | 'changed' | 'unreachable' | 'failed' | 'skipped' | 'rescued' | 'ignored', number>;

interface AnsibleResult {
  msg?: unknown;
  rc?: unknown;
  stderr?: unknown;
  module_stderr?: unknown;
  failed?: unknown;
  unreachable?: unknown;
  item?: unknown;
  results?: unknown;
}

/** A result whose JSON has not been read whole yet. */
interface PendingResult {
  host: string;
  item?: string;
  unreachable: boolean;
  json: string;
  lines: number;
}

export type OutputReader = ReturnType<typeof createOutputReader>;

export function createOutputReader(onProgress: (percent: number) => void) {
  let task = '';
  let pending: PendingResult | null = null;
  const failures: TaskFailure[] = [];
  const errors: string[] = [];
  const recap: Record<string, HostRecap> = {};

  const record = (result: Omit<PendingResult, 'lines'>) => {
    const parsed = parseResult(result.json);
    // A loop's item says in its JSON whether the host was unreachable; its line does not.
    const unreachable = result.unreachable || parsed?.unreachable === true;
    const failure = { task, host: result.host, ...(result.item !== undefined ? { item: result.item } : {}), unreachable };
    const items = parsed && Array.isArray(parsed.results) ? (parsed.results as AnsibleResult[]) : null;
    if (result.item === undefined && items) {
      // A loop's summary: its items were reported one by one just before, each with its own
      // message. Only if none was (another output layout) do the summary's results stand in.
      if (failures.some((f) => f.task === task && f.host === result.host && f.item !== undefined)) return;
      const failed = items.filter((r) => r.failed === true || r.unreachable === true);
      if (failed.length > 0) {
        for (const r of failed) failures.push({ ...failure, item: itemLabel(r.item), unreachable: r.unreachable === true, message: describeResult(r) });
        return;
      }
    }
    failures.push({ ...failure, message: parsed ? describeResult(parsed) : unparsedResult(result.json) });
  };

  /** `{...}` read whole, or the start of an indented one. */
  const startResult = (result: Omit<PendingResult, 'lines'>) => {
    if (result.json === '{') pending = { ...result, lines: 1 };
    else record(result);
  };

  return {
    failures,
    errors,
    recap,
    read(rawLine: string) {
      const line = stripAnsi(rawLine);
      if (pending) {
        pending.json += `\n${line}`;
        pending.lines += 1;
        if (line === '}' || pending.lines > MAX_RESULT_LINES || pending.json.length > MAX_RESULT_CHARS) {
          const done: PendingResult = pending;
          pending = null;
          record(done);
        }
        return;
      }
      const progress = PROGRESS.exec(line);
      if (progress) onProgress(Math.min(100, Number(progress[1])));
      const taskMatch = TASK.exec(line);
      if (taskMatch) task = taskMatch[1]!;
      const fatal = FATAL.exec(line);
      if (fatal) startResult({ host: fatal[1]!, unreachable: fatal[2] === 'UNREACHABLE', json: fatal[3]! });
      const itemFailed = ITEM_FAILED.exec(line);
      if (itemFailed) {
        const split = splitItemLine(itemFailed[2]!);
        startResult({ host: itemFailed[1]!, item: split.label, unreachable: false, json: split.json });
      }
      // ignore_errors: the failure just reported (one host's, all its items) does not count.
      if (line === '...ignoring') {
        const last = failures.at(-1);
        while (last && failures.at(-1)?.task === last.task && failures.at(-1)?.host === last.host) failures.pop();
      }
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

/**
 * `LABEL) => {json}`: the label is ansible's rendering of the item and may hold `) => {`
 * itself, so each place it could end is tried until the rest is JSON. An indented result's
 * first line ends with `) => {`.
 */
function splitItemLine(rest: string): { label: string; json: string } {
  const separator = ') => {';
  if (rest.endsWith(separator)) return { label: rest.slice(0, -separator.length), json: '{' };
  for (let at = rest.indexOf(separator); at >= 0; at = rest.indexOf(separator, at + 1)) {
    const json = rest.slice(at + separator.length - 1);
    if (parseResult(json)) return { label: rest.slice(0, at), json };
  }
  const at = rest.indexOf(separator);
  return at >= 0 ? { label: rest.slice(0, at), json: rest.slice(at + separator.length - 1) } : { label: rest, json: '' };
}

function parseResult(json: string): AnsibleResult | null {
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as AnsibleResult) : null;
  } catch {
    return null;
  }
}

/** A result's own message, on one line: `msg`, the return code, and what the command or module said on stderr. */
function describeResult(result: AnsibleResult): string {
  let message = result.msg === undefined ? (result.unreachable === true ? 'unreachable' : 'failed') : oneLine(result.msg);
  if (typeof result.rc === 'number') message += ` (rc ${result.rc})`;
  const stderr = typeof result.stderr === 'string' ? result.stderr.trim() : '';
  if (stderr) message += `: ${oneLine(stderr).slice(0, 500)}`;
  // "MODULE FAILURE ... See stdout/stderr for the exact error": the exact error is the module's
  // last stderr line (on a host without Python, "/usr/bin/python3: not found").
  const moduleStderr = typeof result.module_stderr === 'string' ? result.module_stderr.trim().split('\n').at(-1)?.trim() : undefined;
  if (!stderr && moduleStderr) message += `: ${moduleStderr.slice(0, 500)}`;
  return message;
}

function unparsedResult(json: string): string {
  return oneLine(json).slice(0, 500);
}

function oneLine(value: unknown): string {
  return (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** For a summary's item, when no item line was printed: ansible's label is not in the JSON. */
function itemLabel(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item) ?? String(item);
}
