/**
 * Git repositories served over https under made-up host names (`git.test`), for builds whose
 * context the engine clones. Git contexts must be https URLs that name a host, never an address,
 * so the engine reaches these through a proxy on loopback: start this before the engine and
 * give the engine `engineEnv`. The proxy answers only for the names given here and records any
 * other host something asked for, so a test can also prove that nothing else was fetched.
 * Nothing leaves 127.0.0.1. The repositories are served the "dumb" way (static files), which
 * git clones without any server-side git.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface HttpsGitHosts {
  /** Environment for dockerd: its git (and its own HTTP client) go through the proxy and trust its certificate. */
  engineEnv: Record<string, string>;
  /** Serves `name`, whose `main` branch holds `files`, as https://<host>/<name>.git; returns that URL. */
  addRepository(host: string, name: string, files: Record<string, string>): string;
  /** `host:port` of every CONNECT the proxy refused (a host it does not serve). */
  readonly refused: string[];
  stop(): Promise<void>;
}

export async function startHttpsGitHosts(hosts: string[]): Promise<HttpsGitHosts> {
  const base = mkdtempSync(path.join(tmpdir(), 'https-git-'));
  const { key, cert, ca } = certificateFor(base, hosts);

  const sites = path.join(base, 'sites');
  const https = createHttpsServer({ key, cert }, (req, res) => {
    // Static files only, under the site of the host asked for, never outside it.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const root = path.join(sites, host);
    const file = path.resolve(root, `.${decodeURIComponent((req.url ?? '/').split('?')[0]!)}`);
    if (!hosts.includes(host) || !file.startsWith(`${root}${path.sep}`)) return void res.writeHead(404).end();
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await listen(https);
  const httpsPort = (https.address() as AddressInfo).port;

  const refused: string[] = [];
  const proxy = createHttpServer((_req, res) => void res.writeHead(405).end());
  proxy.on('connect', (req, socket) => {
    const target = req.url ?? '';
    const [host, port] = target.split(':');
    if (!host || !hosts.includes(host) || port !== '443') {
      refused.push(target);
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(httpsPort, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await listen(proxy);
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  return {
    engineEnv: {
      HTTPS_PROXY: proxyUrl,
      https_proxy: proxyUrl,
      // The registries the tests push to are on loopback: never through the proxy.
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      GIT_SSL_CAINFO: ca,
    },
    refused,
    addRepository(host, name, files) {
      if (!hosts.includes(host)) throw new Error(`${host} is not one of this fixture's hosts (${hosts.join(', ')})`);
      const work = mkdtempSync(path.join(base, 'work-'));
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
        writeFileSync(path.join(work, file), text);
      }
      const git = (cwd: string, ...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd, stdio: 'ignore' });
      git(work, 'init', '-q', '-b', 'main');
      git(work, 'add', '.');
      git(work, 'commit', '-q', '-m', 'fixture');
      const bare = path.join(sites, host, `${name}.git`);
      mkdirSync(path.dirname(bare), { recursive: true });
      git(base, 'clone', '-q', '--bare', work, bare);
      // What a dumb-HTTP client reads first: the list of refs.
      git(bare, 'update-server-info');
      return `https://${host}/${name}.git`;
    },
    async stop() {
      proxy.closeAllConnections();
      https.closeAllConnections();
      await Promise.all([new Promise((resolve) => proxy.close(resolve)), new Promise((resolve) => https.close(resolve))]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

function listen(server: Server | ReturnType<typeof createHttpsServer>): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

/** A throwaway CA and a certificate for the hosts, made with the openssl CLI. */
function certificateFor(dir: string, hosts: string[]): { key: Buffer; cert: Buffer; ca: string } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=docker-builder test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hosts[0]}`, '-keyout', file('host.key'), '-out', file('host.csr'));
  writeFileSync(file('host.ext'), `subjectAltName=${hosts.map((host) => `DNS:${host}`).join(',')}\n`);
  openssl('x509', '-req', '-in', file('host.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('host.ext'), '-out', file('host.pem'));
  return { key: readFileSync(file('host.key')), cert: readFileSync(file('host.pem')), ca: file('ca.pem') };
}
