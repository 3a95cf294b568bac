/** A git repository served by `git daemon` on loopback, for remote build contexts (the engine clones it). */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface GitServer {
  /** git://127.0.0.1:PORT/<name>.git */
  url(name: string): string;
  stop(): Promise<void>;
}

/** Serves one repository, `name`, whose `main` branch holds `files`. */
export async function startGitServer(name: string, files: Record<string, string>): Promise<GitServer> {
  const base = mkdtempSync(path.join(tmpdir(), 'git-'));
  const work = path.join(base, 'work');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
    writeFileSync(path.join(work, file), text);
  }
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd, stdio: 'ignore' });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'fixture');
  git(base, 'clone', '-q', '--bare', work, path.join(base, `${name}.git`));
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--export-all', '--reuseaddr', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      execFileSync('git', ['ls-remote', `git://127.0.0.1:${port}/${name}.git`], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url: (repo) => `git://127.0.0.1:${port}/${repo}.git`,
    async stop() {
      daemon.kill('SIGTERM');
      rmSync(base, { recursive: true, force: true });
    },
  };
}
