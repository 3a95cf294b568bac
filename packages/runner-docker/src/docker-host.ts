/** A dockerode client from a DOCKER_HOST-style address: unix://, tcp:// (or http://, https://), ssh://. */
import Dockerode from 'dockerode';

export function dockerFromHost(host: string | undefined): Dockerode {
  if (!host) return new Dockerode({ socketPath: '/var/run/docker.sock' });
  const url = new URL(host);
  switch (url.protocol) {
    case 'unix:':
      return new Dockerode({ socketPath: url.pathname });
    case 'tcp:':
    case 'http:':
      return new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
    case 'https:':
      return new Dockerode({ host: url.hostname, port: Number(url.port || 2376), protocol: 'https' });
    case 'ssh:':
      return new Dockerode({ host: url.hostname, port: Number(url.port || 22), protocol: 'ssh', username: url.username || undefined });
    default:
      throw new Error(`unsupported Docker host "${host}": use unix://, tcp://, https:// or ssh://`);
  }
}

/** Where the client talks to, without credentials, for logs and health. */
export function describeHost(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number; protocol?: string };
  if (modem.socketPath) return `unix://${modem.socketPath}`;
  return `${modem.protocol === 'ssh' ? 'ssh' : 'tcp'}://${modem.host}:${modem.port}`;
}
