/**
 * A tcp:// engine that requires TLS with client certificates, as docker:dind and `dockerd
 * --tlsverify` do: a real dockerd with a TLS listener on loopback beside its socket.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec, recordingContext } from '@docker-builder/core/testing';
import { createDockerRunner, type BuildResult } from '@docker-builder/runner-docker';
import { BASE_IMAGE, startDockerEngine, type DockerEngine } from '../../../test-support/docker-engine.js';
import { makeDockerCertificates, type DockerCertificates } from '../../../test-support/docker-tls.js';
import { freePort } from '../../../test-support/free-port.js';

let dir: string;
let certificates: DockerCertificates;
let otherCertificates: DockerCertificates;
let engine: DockerEngine;
let tcpHost: string;
let contextRoot: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'docker-tls-'));
  certificates = makeDockerCertificates(mkdtempSync(path.join(dir, 'ours-')));
  otherCertificates = makeDockerCertificates(mkdtempSync(path.join(dir, 'other-')));
  const port = await freePort();
  engine = await startDockerEngine({ args: certificates.dockerdArgs(port) });
  tcpHost = `tcp://127.0.0.1:${port}`;
  contextRoot = mkdtempSync(path.join(dir, 'contexts-'));
  writeFileSync(path.join(contextRoot, 'Dockerfile'), `FROM ${BASE_IMAGE}\nRUN echo built over TLS > /greeting\n`);
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a Docker engine over TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)', () => {
  it('tcp:// with the client directory: the engine answers, and a build is done on it', async () => {
    const runner = createDockerRunner({ dockerHost: tcpHost, dockerTls: { certPath: certificates.clientDir }, contextRoot });
    const health = await runner.health();
    expect(health).toMatchObject({ ok: true, details: { engine: `${tcpHost} (TLS)`, reachable: true } });
    const context = recordingContext();
    const result = (await runner.run(buildSpec({ service: 'over-tls', context: '.', tags: ['1'], push: false }), context)) as BuildResult;
    expect(result.references).toEqual(['over-tls:1']);
    expect((await engine.docker.getImage('over-tls:1').inspect()).Id).toBe(result.imageId);
  }, 60_000);

  it('without TLS settings: unreachable, and the message names DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async () => {
    const health = await createDockerRunner({ dockerHost: tcpHost }).health();
    expect(health).toMatchObject({ ok: false, details: { engine: tcpHost, reachable: false } });
    expect(health.message).toBe(
      `The Docker engine at ${tcpHost} is unreachable: Client sent an HTTP request to an HTTPS server. It speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (a directory of ca.pem, cert.pem and key.pem).`,
    );
    // Every user is told which settings, without the address.
    const { problems } = await createDockerRunner({ dockerHost: tcpHost }).readiness!();
    expect(problems).toEqual([expect.objectContaining({ settings: ['DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'], detail: health.message })]);
    expect(`${problems[0]!.cause} ${problems[0]!.fix}`).not.toContain(tcpHost.replace('tcp://', ''));
  });

  it('with certificates of another CA: refused both ways, and the message says to check DOCKER_CERT_PATH', async () => {
    const health = await createDockerRunner({ dockerHost: tcpHost, dockerTls: { certPath: otherCertificates.clientDir } }).health();
    expect(health.ok).toBe(false);
    expect(health.message).toMatch(/certificate/i);
    expect(health.message).toContain('Check the certificates in DOCKER_CERT_PATH');
  });

  it('a directory without the three files is refused when the runner is made, naming the file', () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    expect(() => createDockerRunner({ dockerHost: tcpHost, dockerTls: { certPath: empty } })).toThrow(
      `cannot read ${path.join(empty, 'ca.pem')} for TLS to the Docker engine (ENOENT): DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem`,
    );
  });
});
