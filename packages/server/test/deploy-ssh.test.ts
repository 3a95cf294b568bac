/**
 * The server deploying to a real host over SSH (an sshd on loopback), configured only by its
 * own environment: ANSIBLE_EXTRA_ARGS, its ANSIBLE_* variables, DEPLOY_ENV_PASSTHROUGH.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationError } from '@docker-builder/core';
import { eventually, stripAnsi } from '@docker-builder/core/testing';
import { startSshServer, type SshServer } from '../../../test-support/sshd.js';
import { sshDeploy } from '../../../test-support/ssh-deploy.js';
import { readConfig } from '../src/config.js';
import { killServers, startServer } from './running-server.js';

let sshd: SshServer;
beforeAll(async () => {
  sshd = await startSshServer();
});
afterAll(() => sshd?.stop());
afterEach(killServers);

interface Job {
  state: string;
  error: string | null;
  logs: string[];
}

/** Starts a server with the operator's settings for the fixture, deploys web:7, and returns the ended job. */
async function deployThroughServer(label: string, env: Record<string, string>) {
  const fixture = sshDeploy(sshd, label);
  const server = await startServer({
    DOCKER_HOST: 'unix:///tmp/no-docker-here.sock',
    PLAYBOOK: fixture.playbook,
    ANSIBLE_INVENTORY: fixture.inventory,
    ANSIBLE_EXTRA_ARGS: `--private-key '${sshd.clientKey}'`,
    HOME: fixture.freshHome(),
    ...env,
  });
  try {
    const submitted = await fetch(`${server.base}/api/deploy-services`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mappings: { web: 'registry.example.com/web:7' } }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const job = await eventually(async () => {
      const current = (await (await fetch(`${server.base}/api/build/${id}`)).json()) as Job;
      return current.state === 'done' || current.state === 'error' ? current : undefined;
    }, 60_000, 'the deploy to end');
    return { job, fixture };
  } finally {
    await server.stop();
  }
}

describe('the server deploying over SSH', () => {
  it('fails on an unknown host key saying so and naming the setting; with ANSIBLE_HOST_KEY_CHECKING=False on the server, the same deploy is done', async () => {
    const refused = await deployThroughServer('strict', { ANSIBLE_HOST_KEY_CHECKING: 'True' });
    expect(refused.job.state).toBe('error');
    expect(refused.job.error).toMatch(
      /^Task "Roll out" failed on deploy-host: unreachable: Failed to connect to the host via ssh: Host key verification failed\. The host's SSH key is not in a known_hosts file/,
    );
    expect(refused.job.error).toContain("set ANSIBLE_HOST_KEY_CHECKING=False in the server's environment");
    expect(refused.fixture.deployed('web')).toBeNull();

    const { job, fixture } = await deployThroughServer('trusting', {
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      DEPLOY_ENV_PASSTHROUGH: 'KUBECONFIG, GOOGLE_APPLICATION_CREDENTIALS',
      KUBECONFIG: '/etc/deploy/kubeconfig',
      DOCKER_BUILDER_TEST_SECRET: 'server-only',
    });
    expect(job).toMatchObject({ state: 'done', error: null });
    expect(fixture.deployed('web')).toBe('registry.example.com/web:7\n');
    expect(job.logs.map(stripAnsi)).toContain('    "msg": "KUBECONFIG=/etc/deploy/kubeconfig secret="');
  }, 120_000);

  it('refuses at start a passthrough name that is not one, and extra arguments a shell would read differently', () => {
    const problems = (env: Record<string, string>) => {
      try {
        readConfig(env);
        return [];
      } catch (error) {
        return (error as ValidationError).issues;
      }
    };
    expect(readConfig({ ANSIBLE_EXTRA_ARGS: `--private-key '/keys/deploy key' -e @/etc/deploy/prod.yml` }).ANSIBLE_EXTRA_ARGS).toEqual([
      '--private-key',
      '/keys/deploy key',
      '-e',
      '@/etc/deploy/prod.yml',
    ]);
    expect(readConfig({ DEPLOY_ENV_PASSTHROUGH: ' KUBECONFIG ,GOOGLE_APPLICATION_CREDENTIALS,' }).DEPLOY_ENV_PASSTHROUGH).toEqual(['KUBECONFIG', 'GOOGLE_APPLICATION_CREDENTIALS']);
    expect(problems({ DEPLOY_ENV_PASSTHROUGH: 'KUBECONFIG,kube-config,DEPLOY_USER_SUB', ANSIBLE_EXTRA_ARGS: '--private-key $HOME/.ssh/id' })).toEqual([
      { path: 'DEPLOY_ENV_PASSTHROUGH', message: '"kube-config" is not an environment variable name (letters, digits and _, not starting with a digit)' },
      { path: 'DEPLOY_ENV_PASSTHROUGH', message: 'DEPLOY_USER_SUB is set by the deploy runner itself and cannot be passed through' },
      { path: 'ANSIBLE_EXTRA_ARGS', message: expect.stringContaining('"$" at position 15: it means something to a shell') },
    ]);
    expect(problems({ ANSIBLE_EXTRA_ARGS: "-e 'x=1" })).toEqual([{ path: 'ANSIBLE_EXTRA_ARGS', message: "unterminated ' quote at position 4" }]);
  });
});
