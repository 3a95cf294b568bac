/**
 * Runs one deploy's ansible-playbook and ties its life to the worker's. Plain JavaScript run
 * with the worker's own `node`, so it works the same from sources and from the published package.
 *
 * It is the leader of the deploy's process group (the runner starts it detached) and its stdin is
 * a pipe whose other end only the worker holds: when the worker dies (SIGKILL, OOM, a crash) or
 * exits, the pipe reaches EOF and the whole group is stopped, SIGTERM then SIGKILL, so a deploy
 * never runs on unnoticed behind a job that reads `error`. It removes the vars directory (the
 * mappings) when the playbook ends, and ends as the playbook did: the same exit code, or the
 * same signal, so the runner can say "killed by SIGKILL". Exit 127/126: the binary could not be
 * started (not found / not executable), explained on stderr.
 *
 * Usage: node playbook-supervisor.mjs <killGraceMs> <varsDir> <ansible-playbook> [args...]
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

const [killGraceArg, varsDir, binary, ...args] = process.argv.slice(2);
const killGraceMs = Number(killGraceArg);

// The runner stops a deploy by signalling the whole group, this process included: it stays to
// report how the playbook ended (SIGKILL, which cannot be ignored, ends it with the rest).
const ignore = () => undefined;
process.on('SIGTERM', ignore);

const removeVars = () => rmSync(varsDir, { recursive: true, force: true });
const signalGroup = (signal) => {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // Nothing left to signal.
  }
};

let workerGone = false;
const playbook = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });

playbook.on('error', (error) => {
  removeVars();
  process.stderr.write(`[docker-builder] could not start ${binary}: ${error.message}\n`);
  process.exit(error.code === 'ENOENT' ? 127 : 126);
});

playbook.on('exit', (code, signal) => {
  removeVars();
  // Nobody waits for this exit status any more: take whatever the playbook left running along.
  if (workerGone) signalGroup('SIGKILL');
  if (signal && signal !== 'SIGUSR1' && signal !== 'SIGPIPE') {
    process.off('SIGTERM', ignore);
    process.kill(process.pid, signal);
  }
  // Node ignores SIGPIPE and opens its inspector on SIGUSR1: those (and any signal this process
  // did not die of) are told the shell's way, 128 + its number.
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
});

const onWorkerGone = () => {
  if (workerGone) return;
  workerGone = true;
  signalGroup('SIGTERM');
  setTimeout(() => {
    removeVars();
    signalGroup('SIGKILL');
  }, killGraceMs);
};
process.stdin.on('end', onWorkerGone);
process.stdin.on('error', onWorkerGone);
process.stdin.resume();
