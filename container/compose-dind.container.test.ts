/**
 * compose.dind.yaml (Docker-in-Docker). docker:dind itself cannot run here (no image offline):
 * the file is checked with `docker-compose config`, and its engine settings are given to the
 * image run against a real TLS engine, the TLS listener of container/global-setup.ts's dockerd
 * standing in for docker:dind's on 2376.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test-support/free-port.js';
import { IMAGE, REPOSITORY_ROOT, SUFFIX, cli, client, contextsDir, docker, engine, removeContainer, waitFor } from './support.js';

describe('compose.dind.yaml (Docker-in-Docker)', () => {
  let merged: { services: Record<string, { image?: string; environment: Record<string, string>; depends_on: Record<string, unknown>; volumes: string[] }> };

  beforeAll(async () => {
    const yaml = await cli('docker-compose', ['-f', path.join(REPOSITORY_ROOT, 'compose.yaml'), '-f', path.join(REPOSITORY_ROOT, 'compose.dind.yaml'), 'config']);
    // docker-compose 1.29 prints YAML only; its own Python (PyYAML) turns it into JSON.
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      const child = execFile('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], (error, out) => (error ? reject(error) : resolve({ stdout: out })));
      child.stdin!.end(yaml);
    });
    merged = JSON.parse(stdout) as typeof merged;
  }, 60_000);

  it('merges with compose.yaml for docker-compose 1.29 (checked with `docker-compose config` only: docker:dind cannot be pulled offline)', () => {
    expect(Object.keys(merged.services).sort()).toEqual(['docker', 'redis', 'server', 'worker']);
    expect(merged.services.docker).toMatchObject({ image: 'docker:dind', privileged: true, environment: { DOCKER_TLS_CERTDIR: '/certs' } });
    for (const name of ['server', 'worker']) {
      const service = merged.services[name]!;
      expect(service.environment).toMatchObject({ DOCKER_HOST: expect.stringMatching(/^(https|tcp):\/\/docker:2376$/), DOCKER_CERT_PATH: '/certs/client', DOCKER_TLS_VERIFY: '1' });
      expect(Object.keys(service.depends_on)).toContain('docker');
      const volumes = service.volumes as string[];
      expect(volumes).toContain('dind-certs-client:/certs/client:ro');
      // The host's socket is replaced, not mounted beside the TLS connection.
      expect(volumes.filter((volume) => volume.endsWith(':/var/run/docker.sock') || volume.includes(':/var/run/docker.sock:'))).toEqual(['/dev/null:/var/run/docker.sock:ro']);
    }
  });

  it('its engine settings (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY) reach a real TLS engine from the image: a build is done (the test engine\'s TLS listener stands in for docker:dind)', async () => {
    const settings = merged.services.worker!.environment;
    const host = new URL(settings.DOCKER_HOST!);
    host.hostname = '127.0.0.1';
    host.port = String(engine.tls.port);
    const name = `dbt-tls-${SUFFIX}`;
    const port = await freePort();
    // Host networking reaches the engine's loopback listener; on loopback no tokens are needed.
    await cli('docker', [
      'run', '-d', '--name', name, '--network', 'host',
      '-v', `${engine.tls.clientDir}:${settings.DOCKER_CERT_PATH!}:ro`, '-v', `${contextsDir()}:/srv/contexts:ro`,
      '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`, '-e', 'BUILD_CONTEXT_ROOT=/srv/contexts',
      '-e', `DOCKER_HOST=${host.toString().replace(/\/$/, '')}`, '-e', `DOCKER_CERT_PATH=${settings.DOCKER_CERT_PATH!}`, '-e', `DOCKER_TLS_VERIFY=${settings.DOCKER_TLS_VERIFY ?? ''}`,
      IMAGE,
    ]);
    try {
      const api = client(`http://127.0.0.1:${port}`);
      await waitFor(async () => (await api.text('/healthz')).status === 200, 60_000, 'the server to answer');
      const submitted = await api.call('POST', '/api/build', { service: 'hello', context: 'hello', tags: ['over-tls'], push: false });
      expect(submitted.status).toBe(202);
      const job = await api.ended(submitted.body.id as string, 120_000);
      expect(job.error).toBeNull();
      expect(job.state).toBe('done');
      await docker.getImage('hello:over-tls').inspect();
    } finally {
      await removeContainer(name, 'tls.log');
    }
  }, 180_000);
});
