/** A dockerode client from a DOCKER_HOST-style address: unix://, tcp:// (or http://, https://), ssh://. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';

/**
 * TLS to a tcp:// engine, as the docker CLI's DOCKER_TLS_VERIFY and DOCKER_CERT_PATH give it:
 * the engine's certificate is checked against `ca.pem`, and `cert.pem` with `key.pem` prove who
 * the client is (docker:dind and `dockerd --tlsverify` require both).
 */
export interface DockerTls {
  /** A directory holding ca.pem, cert.pem and key.pem. */
  certPath: string;
}

export function dockerFromHost(host: string | undefined, tls?: DockerTls): Dockerode {
  if (!host) return new Dockerode({ socketPath: '/var/run/docker.sock' });
  const url = new URL(host);
  switch (url.protocol) {
    case 'unix:':
      return new Dockerode({ socketPath: url.pathname });
    case 'tcp:':
    case 'http:':
    case 'https:': {
      // Every option given, so that dockerode's own reading of DOCKER_* variables never decides.
      const secure = url.protocol === 'https:' || tls !== undefined;
      return new Dockerode({
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(url.port || (secure ? 2376 : 2375)),
        protocol: secure ? 'https' : 'http',
        ...(tls ? tlsFiles(tls) : { ca: undefined, cert: undefined, key: undefined }),
      });
    }
    case 'ssh:':
      return new Dockerode({ host: url.hostname, port: Number(url.port || 22), protocol: 'ssh', username: url.username || undefined });
    default:
      throw new Error(`unsupported Docker host "${host}": use unix://, tcp://, https:// or ssh://`);
  }
}

function tlsFiles({ certPath }: DockerTls): { ca: Buffer; cert: Buffer; key: Buffer } {
  const read = (file: string) => {
    const full = path.join(certPath, file);
    try {
      return readFileSync(full);
    } catch (error) {
      throw new Error(`cannot read ${full} for TLS to the Docker engine (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem`);
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** Where the client talks to, without credentials, for logs and health. */
export function describeHost(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number; protocol?: string };
  if (modem.socketPath) return `unix://${modem.socketPath}`;
  if (modem.protocol === 'ssh') return `ssh://${modem.host}:${modem.port}`;
  return `tcp://${modem.host}:${modem.port}${modem.protocol === 'https' ? ' (TLS)' : ''}`;
}
