/**
 * Starts a program in a fresh project with plain `node` and waits until it listens. A preload
 * reports the port the program listens on, and may move a fixed port (the README's 8000) to a
 * free one, so programs can be run as written, side by side, on any machine.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { strangerEnv } from './run.js';

const PRELOAD = 'listen-report.cjs';

const PRELOAD_SOURCE = `// Written by the packed tests: reports where a server listens, moving one fixed port to a free one.
const net = require('node:net');
const listen = net.Server.prototype.listen;
const moved = Number(process.env.LISTEN_REPORT_MOVE_PORT || NaN);
net.Server.prototype.listen = function (...args) {
  if (args[0] === moved) args[0] = 0;
  this.once('listening', () => process.stdout.write('LISTENING ' + this.address().port + '\\n'));
  return listen.apply(this, args);
};
`;

export interface RunningProgram {
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startProgram(dir: string, file: string, options: { movePort?: number; nodeArgs?: string[] } = {}): Promise<RunningProgram> {
  await writeFile(path.join(dir, PRELOAD), PRELOAD_SOURCE);
  const env = strangerEnv(options.movePort === undefined ? {} : { LISTEN_REPORT_MOVE_PORT: String(options.movePort) });
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--require', `./${PRELOAD}`, file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not listen within 20 s'), 20_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`node ${file} (in ${dir}) ${why}.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    };
    child.stdout.on('data', () => {
      const match = /^LISTENING (\d+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`));
  });

  return {
    url: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
