/**
 * A real Docker engine and registries for tests (see ../shared/ENGINES.md): dockerd with
 * its own short data directory and socket, Debian's docker-registry on a free loopback port,
 * and a busybox base image built FROM scratch (there is no Docker Hub here).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './free-port.js';

import bcrypt from 'bcryptjs';
import Dockerode from 'dockerode';

export const BASE_IMAGE = 'busybox:base';

export interface DockerEngine {
  host: string;
  docker: Dockerode;
  stop(): Promise<void>;
}

/**
 * `env`: more environment for dockerd (and the git it runs to clone contexts), e.g. https-git.ts's `engineEnv`.
 * `args`: more dockerd options, e.g. a TLS listener (`-H tcp://127.0.0.1:PORT --tlsverify …`) beside the socket.
 */
export async function startDockerEngine(options: { env?: Record<string, string>; args?: string[] } = {}): Promise<DockerEngine> {
  // A unix socket path is limited to 108 bytes: keep the directory short.
  const dir = mkdtempSync('/tmp/dk-');
  const socket = path.join(dir, 'docker.sock');
  const child = spawn(
    'dockerd',
    ['--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs', '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${socket}`, '--pidfile', path.join(dir, 'pid'), ...(options.args ?? [])],
    { stdio: 'ignore', env: { ...process.env, ...options.env } },
  );
  const docker = new Dockerode({ socketPath: socket });
  await waitFor(() => docker.ping().then(() => true), 30_000, 'dockerd to answer (is docker.io installed?)', child);

  const base = path.join(dir, 'base');
  mkdirSync(base);
  copyFileSync('/bin/busybox', path.join(base, 'busybox'));
  writeFileSync(path.join(base, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n');
  const { pack } = await import('tar-fs');
  const stream = await docker.buildImage(pack(base) as never, { t: BASE_IMAGE });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(null))));

  return {
    host: `unix://${socket}`,
    docker,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Registry {
  /** host:port, as used in image references. */
  address: string;
  stop(): Promise<void>;
}

export async function startRegistry(options: { auth?: { username: string; password: string } } = {}): Promise<Registry> {
  const port = await freePort();
  const dir = mkdtempSync('/tmp/rg-');
  let config = `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`;
  if (options.auth) {
    writeFileSync(path.join(dir, 'htpasswd'), `${options.auth.username}:${bcrypt.hashSync(options.auth.password, 8)}\n`);
    config += `auth:\n  htpasswd:\n    realm: test\n    path: ${dir}/htpasswd\n`;
  }
  writeFileSync(path.join(dir, 'config.yml'), config);
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  await waitFor(
    () => fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 200 || r.status === 401),
    10_000,
    'the registry to answer (is docker-registry installed?)',
    child,
  );
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * dockerd leaves the host's network namespace bind-mounted at exec/netns/default once a
 * container or a build used the host's network, and its directory cannot be removed until it
 * is unmounted: unmount whatever is left under `dir`, deepest first.
 */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((target): target is string => !!target && target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of mounts) spawnSync('umount', ['-l', target], { stdio: 'ignore' });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`waiting for ${what}: the process exited with ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
