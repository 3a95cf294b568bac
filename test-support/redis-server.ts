/**
 * Starts a real redis-server for tests (see ../shared/ENGINES.md): its own port and data
 * directory, so runs never meet each other's state. Needs `redis-server` on the PATH
 * (Debian's redis-server package; .ci/run installs it).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
  /** Stops the server, keeping its data for restart(). */
  halt(): Promise<void>;
  /** Starts the server again on the same port and data (with appendonly, the data survives). */
  restart(): Promise<void>;
  /** Kills the server with SIGKILL, as the OOM killer or a power cut would: no final fsync. */
  crash(): Promise<void>;
}

export async function startRedisServer(options: { appendOnly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'dbr-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no', '--appendonly', options.appendOnly ? 'yes' : 'no'];
  let child = spawn('redis-server', args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  await waitForPing(port);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  return {
    url,
    port,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    halt: () => stop(),
    crash: () => stop('SIGKILL'),
    restart: async () => {
      await stop();
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForPing(port);
    },
  };
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG') return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start; is it installed (apt-get install redis-server)?`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
