/** The standalone server as a user runs it: a real process, real HTTP, real signals. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_MAPPINGS } from '@docker-builder/core/testing';

const serverDir = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

async function startServer(env: Record<string, string> = {}) {
  child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@docker-builder/source', 'src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Record<string, unknown>);
      buffer = buffer.slice(i + 1);
    }
  });
  const started = Date.now();
  while (!lines.some((l) => typeof l.port === 'number')) {
    if (child.exitCode !== null || Date.now() - started > 15_000) throw new Error(`server did not start: ${JSON.stringify(lines)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = lines.find((l) => typeof l.port === 'number')!.port as number;
  return { base: `http://127.0.0.1:${port}`, lines, process: child };
}

describe('examples/server', () => {
  it('serves the API on the embedded default and refuses deploys it has no runner for', async () => {
    const { base, lines } = await startServer();
    expect(lines[0]).toMatchObject({ level: 'info', store: 'memory', queue: 'in-process' });

    const deploy = await fetch(`${base}/api/deploy-services`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mappings: SEED_MAPPINGS }),
    });
    expect(deploy.status).toBe(503);
    expect(((await deploy.json()) as { error: { code: string } }).error.code).toBe('RUNNER_UNAVAILABLE');
    expect(((await (await fetch(`${base}/api/builds`)).json()) as { jobs: unknown[] }).jobs).toEqual([]);

    const debug = (await (await fetch(`${base}/api/_debug`)).json()) as Record<string, any>;
    expect(debug).toMatchObject({ store: { name: 'memory', ok: true }, queue: { name: 'in-process', ok: true }, runners: { build: null, deploy: null } });

    const docs = await fetch(`${base}/docs`, { redirect: 'manual' });
    expect(docs.status).toBe(302);
    expect(docs.headers.get('location')).toBe('/api/docs');
    expect((await fetch(`${base}/api/docs`)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', method: 'POST', path: '/api/deploy-services', status: 503 }));
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const { process: server, lines } = await startServer();
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
  });

  it('refuses to start with a bad environment, naming the variable', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@docker-builder/source', 'src/main.ts'], {
      cwd: serverDir,
      env: { ...process.env, PORT: 'eighty' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(out).toContain('invalid environment variable PORT: must be a port number');
  });
});
