/**
 * Runs a TypeScript entry point from this repository's sources in its own Node process, the
 * way the examples' start scripts do (tsx, and the export condition that resolves the
 * workspace packages to their sources).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FROM_SOURCE = ['--import', 'tsx', '--conditions=@docker-builder/source'];

export function runFromSource(
  script: string,
  options: { args?: string[]; cwd?: string; env?: Record<string, string> } = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...FROM_SOURCE, script, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
}

/**
 * The standalone service as `docker-builder serve` or `docker-builder worker` runs it (from
 * packages/server's sources, in its directory), or examples/submit.
 */
export function spawnExample(example: 'server' | 'worker' | 'submit', env: Record<string, string>, args: string[] = []): ChildProcessWithoutNullStreams {
  if (example === 'submit') {
    return runFromSource('src/main.ts', { args, env, cwd: fileURLToPath(new URL('../examples/submit/', import.meta.url)) });
  }
  const command = example === 'server' ? 'serve' : 'worker';
  return runFromSource('src/cli.ts', { args: [command, ...args], env, cwd: fileURLToPath(new URL('../packages/server/', import.meta.url)) });
}
