/**
 * Starts ansible-playbook under supervisor/playbook-supervisor.mjs, which leads the deploy's
 * process group and stops it if this worker dies, and stops that group on request: SIGTERM,
 * then SIGKILL after a grace period unless the group has exited by then.
 */
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

/** One directory up from src/ and from dist/ alike; package.json `files` ships it. */
export const SUPERVISOR_SCRIPT = fileURLToPath(new URL('../supervisor/playbook-supervisor.mjs', import.meta.url));

/** The supervisor's exit code when the binary could not be started (as a shell's). */
export const NOT_FOUND_EXIT = 127;
export const NOT_EXECUTABLE_EXIT = 126;

export interface PlaybookLaunch {
  binary: string;
  args: string[];
  /** Removed by the supervisor when the playbook ends, also when this worker is gone. */
  varsDir: string;
  cwd: string;
  env: Record<string, string>;
  killGraceMs: number;
}

export interface SupervisedPlaybook {
  process: ResultPromise<{ all: true; buffer: false; reject: false }>;
  /** SIGTERM to the group now, SIGKILL after the grace period if it has not exited. */
  stop(): void;
  /** SIGKILL to the whole group now, for a run that ends while it may still be going. */
  killNow(): void;
}

export function startSupervisedPlaybook(launch: PlaybookLaunch): SupervisedPlaybook {
  const child = execa(process.execPath, [SUPERVISOR_SCRIPT, String(launch.killGraceMs), launch.varsDir, launch.binary, ...launch.args], {
    cwd: launch.cwd,
    env: launch.env,
    extendEnv: false,
    // Never written to nor closed: its EOF tells the supervisor this worker is gone.
    stdin: 'pipe',
    all: true,
    buffer: false,
    reject: false,
    // Its own process group, led by the supervisor, so stopping it stops everything it started.
    detached: true,
  });
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  child.once('exit', () => {
    exited = true;
    // Once the group's leader has exited its id can be reused: no late SIGKILL may hit it.
    clearTimeout(killTimer);
    // What the playbook left running (a killed ansible-playbook's forks, a task's command) is
    // stopped now: it holds the output pipe open, so the run would otherwise wait for it. While
    // any of it lives, the kernel keeps the group's id from being reused.
    signalGroup(child.pid, 'SIGKILL');
  });
  return {
    process: child,
    stop() {
      if (exited || killTimer) return;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), launch.killGraceMs);
    },
    killNow() {
      if (!exited) signalGroup(child.pid, 'SIGKILL');
    },
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
