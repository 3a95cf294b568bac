/** The standalone server as a real process on a free loopback port, its JSON log lines collected. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { spawnExample } from '../../../test-support/from-source.js';

export interface RunningServer {
  base: string;
  lines: Array<Record<string, unknown>>;
  process: ChildProcessWithoutNullStreams;
  stop(): Promise<void>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILLs every server a test left running; call from afterEach. */
export function killServers(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

export interface SpawnedService {
  process: ChildProcessWithoutNullStreams;
  /** Its JSON log lines, parsed as they arrive. */
  lines: Array<Record<string, unknown>>;
  /** Everything it wrote, stdout and stderr. */
  output: () => string;
}

export function spawnServer(env: Record<string, string>): SpawnedService {
  return spawnService('server', { HOST: '127.0.0.1', PORT: '0', ...env });
}

/** `docker-builder serve` or `worker` from sources; killServers() ends it. */
export function spawnService(service: 'server' | 'worker', env: Record<string, string>): SpawnedService {
  const child = spawnExample(service, env);
  running.add(child);
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  let raw = '';
  child.stdout.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Record<string, unknown>);
      buffer = buffer.slice(i + 1);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  return { process: child, lines, output: () => raw };
}

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const { process: child, lines, output } = spawnServer(env);
  const started = Date.now();
  while (!lines.some((l) => typeof l.port === 'number')) {
    if (child.exitCode !== null || Date.now() - started > 15_000) throw new Error(`server did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = lines.find((l) => typeof l.port === 'number')!.port as number;
  return {
    base: `http://127.0.0.1:${port}`,
    lines,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
