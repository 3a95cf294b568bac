/**
 * Deploys to a real host over SSH (an sshd on loopback with its own keys), configured by the
 * operator: an unknown host key fails with ssh's own reason and the setting that fixes it, and
 * the server's ANSIBLE_* variables, its listed names and its extra arguments make the same
 * deploy succeed. Nothing of a payload reaches any of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploySpec, recordingContext, stripAnsi as plain } from '@docker-builder/core/testing';
import { createAnsibleRunner, type AnsibleRunnerOptions } from '@docker-builder/runner-ansible';
import { startSshServer, type SshServer } from '../../../test-support/sshd.js';
import { sshDeploy } from '../../../test-support/ssh-deploy.js';

let server: SshServer;
beforeAll(async () => {
  server = await startSshServer();
});
afterAll(() => server?.stop());

/** A deploy of `{ web: 'registry.example.com/web:7' }` to the sshd, as the operator configured it. */
async function deploy(label: string, options: Partial<AnsibleRunnerOptions> & { serverEnv?: Record<string, string> } = {}) {
  const fixture = sshDeploy(server, label);
  const home = fixture.freshHome();
  const runner = createAnsibleRunner({
    playbook: fixture.playbook,
    inventory: fixture.inventory,
    env: { PATH: process.env.PATH!, HOME: home },
    color: false,
    tmpDir: home,
    extraArgs: ['--private-key', server.clientKey],
    ...options,
  });
  const context = recordingContext();
  const outcome = await runner.run(deploySpec({ web: 'registry.example.com/web:7' }), context).then(
    (result) => ({ result, error: null }),
    (error: Error) => ({ result: null, error }),
  );
  return { ...outcome, fixture, lines: context.lines.map(plain), runner };
}

const HOST_KEY_FAILED = 'Task "Roll out" failed on deploy-host: unreachable: Failed to connect to the host via ssh: Host key verification failed.';

describe('deploying to a real host over SSH', () => {
  it('fails on an unknown host key with ssh\'s own reason, from the loop\'s item, and names the setting', async () => {
    const { error, fixture } = await deploy('unknown-key', { serverEnv: {} });
    expect(error?.message.startsWith(`${HOST_KEY_FAILED} The host's SSH key is not in a known_hosts file`)).toBe(true);
    expect(error?.message).toContain('ANSIBLE_HOST_KEY_CHECKING=False in the server\'s environment');
    expect(error?.message).toContain('UserKnownHostsFile in ANSIBLE_SSH_ARGS or ansible.cfg');
    expect(fixture.deployed('web')).toBeNull();
  }, 60_000);

  it('succeeds once the server has ANSIBLE_HOST_KEY_CHECKING=False, passing on only ANSIBLE_* and the listed names', async () => {
    const { result, error, fixture, lines, runner } = await deploy('no-checking', {
      serverEnv: { ANSIBLE_HOST_KEY_CHECKING: 'False', KUBECONFIG: '/etc/deploy/kubeconfig', DOCKER_BUILDER_TEST_SECRET: 'server-only' },
      passthroughEnv: ['KUBECONFIG'],
    });
    expect(error).toBeNull();
    expect(result).toMatchObject({ recap: { 'deploy-host': { failed: 0, unreachable: 0, changed: 1 } } });
    expect(fixture.deployed('web')).toBe('registry.example.com/web:7\n');
    expect(lines).toContain('    "msg": "KUBECONFIG=/etc/deploy/kubeconfig secret="');
    // Names, never values, for _debug.
    expect((await runner.health()).details).toMatchObject({ environment: ['ANSIBLE_HOST_KEY_CHECKING', 'HOME', 'KUBECONFIG', 'PATH'] });
  }, 60_000);

  it('checks the host key against the operator\'s known_hosts, named in an ansible.cfg given by ANSIBLE_CONFIG', async () => {
    const config = path.join(server.dir, 'operator');
    mkdirSync(config, { recursive: true });
    writeFileSync(path.join(config, 'known_hosts'), `${server.knownHostsLine}\n`);
    writeFileSync(
      path.join(config, 'ansible.cfg'),
      `[ssh_connection]\nssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${path.join(config, 'known_hosts')}\n`,
    );
    const { result, error, fixture } = await deploy('known-hosts', { serverEnv: { ANSIBLE_CONFIG: path.join(config, 'ansible.cfg') } });
    expect(error).toBeNull();
    expect(result).toMatchObject({ recap: { 'deploy-host': { failed: 0, unreachable: 0 } } });
    expect(fixture.deployed('web')).toBe('registry.example.com/web:7\n');
  }, 60_000);

  it('passes the operator\'s extra arguments, before the job\'s own vars: a vars file cannot replace the mappings', async () => {
    const operatorDir = path.join(server.dir, 'operator-vars');
    mkdirSync(operatorDir, { recursive: true });
    const varsFile = path.join(operatorDir, 'prod.yml');
    writeFileSync(varsFile, `deploy_dir: ${operatorDir}\nmappings:\n  planted: "from the operator's file"\n`);
    const { error, fixture } = await deploy('extra-args', {
      serverEnv: { ANSIBLE_HOST_KEY_CHECKING: 'False' },
      extraArgs: ['--private-key', server.clientKey, '-e', `@${varsFile}`],
    });
    expect(error).toBeNull();
    expect(fixture.deployed('web', operatorDir)).toBe('registry.example.com/web:7\n');
    expect(fixture.deployed('planted', operatorDir)).toBeNull();
  }, 60_000);

  it('says when the host refused the server\'s key, and where the key is given', async () => {
    const { error } = await deploy('no-key', { serverEnv: { ANSIBLE_HOST_KEY_CHECKING: 'False' }, extraArgs: [] });
    expect(error?.message).toMatch(/^Task "Roll out" failed on deploy-host: unreachable: Failed to connect to the host via ssh: .*Permission denied \(publickey\)\./);
    expect(error?.message).toContain('give the key with --private-key in ANSIBLE_EXTRA_ARGS');
  }, 60_000);

  it('refuses passthrough names that are not names, or that the runner sets itself, when made', () => {
    expect(() => createAnsibleRunner({ serverEnv: {}, passthroughEnv: ['KUBECONFIG', 'NOT-A-NAME', 'DEPLOY_USER_SUB'] })).toThrow(
      'Invalid deploy runner options: "NOT-A-NAME" is not an environment variable name (letters, digits and _, not starting with a digit); ' +
        'DEPLOY_USER_SUB is set by the deploy runner itself and cannot be passed through.',
    );
    expect(() => createAnsibleRunner({ passthroughEnv: ['KUBECONFIG'] })).toThrow('passthroughEnv names variables of serverEnv, which was not given');
  });
});
