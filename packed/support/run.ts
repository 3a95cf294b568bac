/**
 * Runs a command to its end and hands back what it printed. The packed tests run npm, pnpm,
 * tsc and node as a stranger would, so their environment is the stranger's (below).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WORKSPACE } from './workspace.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? strangerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** As run(), but a non-zero exit is an error that carries the command's output. */
export async function runOk(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`\`${command} ${args.join(' ')}\` in ${options.cwd} exited ${result.code}:\n${tail(result.stdout)}\n${tail(result.stderr)}`);
  }
  return result;
}

export function tail(text: string, lines = 60): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * This process's environment less what running inside the workspace added: pnpm's and npm's
 * `npm_config_*` (a `pnpm test:packages` run would otherwise hand its settings to every npm
 * install), NODE_OPTIONS, and the workspace's node_modules/.bin on PATH. A stranger has none.
 */
export function strangerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(key) || key === 'NODE_OPTIONS' || key === 'INIT_CWD' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((entry) => entry && !path.resolve(entry).startsWith(WORKSPACE))
    .join(path.delimiter);
  return { ...env, ...extra };
}
