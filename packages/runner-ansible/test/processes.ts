/**
 * Finds a run's processes by a marker in their environment: every process a playbook starts
 * (ansible's forks, the commands its tasks run) inherits it, whatever its command line says,
 * and a marker per test keeps apart runs that share this machine.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface FoundProcess {
  pid: number;
  ppid: number;
  command: string;
}

/** Live processes whose environment holds `marker` (Linux /proc; zombies count as gone). */
export function processesWithEnv(marker: string): FoundProcess[] {
  const found: FoundProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) continue;
      // Fields after the command name, which may hold spaces and parentheses: state, ppid, ...
      const [state, ppid] = readFileSync(`/proc/${entry}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ');
      if (state === 'Z') continue;
      found.push({ pid: Number(entry), ppid: Number(ppid), command: readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim() });
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

/** For a failed expectation: at most five of them, by pid and command line. */
export function describeProcesses(processes: FoundProcess[]): string | null {
  if (processes.length === 0) return null;
  const shown = processes.slice(0, 5).map((p) => `${p.pid} ${p.command.slice(0, 160)}`);
  return processes.length > 5 ? `${shown.join('; ')} (and ${processes.length - 5} more)` : shown.join('; ');
}

/** A test's clean-up when it failed: its own processes, by marker, never by name. */
export function killProcessesWithEnv(marker: string): void {
  for (const { pid } of processesWithEnv(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
