/**
 * Certificates for a Docker engine's TLS listener, laid out as docker:dind makes them: a CA,
 * a server certificate (for "docker" and 127.0.0.1) and a client directory of ca.pem, cert.pem
 * and key.pem (what DOCKER_CERT_PATH names). Made with the openssl CLI.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DockerCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** ca.pem, cert.pem and key.pem: DOCKER_CERT_PATH. */
  clientDir: string;
  /** dockerd's options for a TLS listener on `127.0.0.1:port` that requires a client certificate of this CA. */
  dockerdArgs(port: number): string[];
}

export function makeDockerCertificates(target: string): DockerCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: target, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test dind CA');
  writeFileSync(path.join(target, 'server.cnf'), 'subjectAltName = DNS:docker, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  writeFileSync(path.join(target, 'client.cnf'), 'extendedKeyUsage = clientAuth\n');
  openssl('req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=docker');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '2', '-extfile', 'server.cnf');
  const clientDir = path.join(target, 'client');
  mkdirSync(clientDir);
  openssl('req', ...ec, '-keyout', 'client/key.pem', '-out', 'client.csr', '-subj', '/CN=test dind client');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'client/cert.pem', '-days', '2', '-extfile', 'client.cnf');
  copyFileSync(path.join(target, 'ca.pem'), path.join(clientDir, 'ca.pem'));
  // As dind does: the client key readable by whichever user the client runs as.
  chmodSync(clientDir, 0o755);
  for (const file of readdirSync(clientDir)) chmodSync(path.join(clientDir, file), 0o644);
  const ca = path.join(target, 'ca.pem');
  const serverCert = path.join(target, 'server-cert.pem');
  const serverKey = path.join(target, 'server-key.pem');
  return {
    ca,
    serverCert,
    serverKey,
    clientDir,
    dockerdArgs: (port) => ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', ca, '--tlscert', serverCert, '--tlskey', serverKey],
  };
}
