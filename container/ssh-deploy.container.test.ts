/**
 * A deploy over SSH from the image, set up as the README's "Run in Docker" says for deploys to
 * real hosts: the playbook and inventory mounted read-only (PLAYBOOK, ANSIBLE_INVENTORY), the
 * SSH key owned by uid 10001 with mode 600 (ANSIBLE_PRIVATE_KEY_FILE: ssh refuses a key others
 * can read, and the container runs as uid 10001), the hosts' keys in a known_hosts file named by
 * ANSIBLE_SSH_ARGS, an ansible.cfg (ANSIBLE_CONFIG) and a kubeconfig passed on to the playbook
 * (DEPLOY_ENV_PASSTHROUGH=KUBECONFIG).
 *
 * The deploy host is a real sshd on this machine's loopback (test-support/sshd.ts), running as
 * this test's user: the playbook's files land on this machine, where the test looks. The test
 * engine has no bridge, so the container runs with the host's network, which reaches that sshd;
 * the server listens on 127.0.0.1 there (HOST=127.0.0.1) and so needs no tokens.
 */
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripAnsi } from '@docker-builder/core/testing';
import { freePort } from '../test-support/free-port.js';
import { sshDeploy, type SshDeploy } from '../test-support/ssh-deploy.js';
import { startSshServer, type SshServer } from '../test-support/sshd.js';
import { BUILDER_UID, IMAGE, SUFFIX, cli, client, dir, removeContainer, waitFor, type Client, type Json } from './support.js';

const name = `dbt-ssh-${SUFFIX}`;
let sshd: SshServer | undefined;
let fixture: SshDeploy;
/** What is mounted at /config: the key, known_hosts, ansible.cfg and the kubeconfig. */
let config: string;
let api: Client;

/** Deploys web:7 through the server in the container, and returns the ended job. */
async function deploy(): Promise<Json> {
  const submitted = await api.call('POST', '/api/deploy-services', { mappings: { web: 'registry.example.com/web:7' } });
  expect(submitted.status).toBe(202);
  return api.ended(submitted.body.id as string, 90_000);
}

beforeAll(async () => {
  sshd = await startSshServer();
  // The inventory names no file of this machine: ssh in the container reads the operator's known_hosts only.
  fixture = sshDeploy(sshd, 'image', { inventoryVars: { ansible_ssh_common_args: null } });

  // The playbook and the inventory, readable by uid 10001.
  const deployFiles = mkdtempSync(path.join(dir, 'deploy-'));
  copyFileSync(fixture.playbook, path.join(deployFiles, 'playbook.yml'));
  copyFileSync(fixture.inventory, path.join(deployFiles, 'inventory.ini'));
  chmodSync(deployFiles, 0o755);
  for (const file of readdirSync(deployFiles)) chmodSync(path.join(deployFiles, file), 0o644);

  // The operator's files, the image's user's own (0700, the key 0600).
  config = mkdtempSync(path.join(dir, 'ssh-config-'));
  copyFileSync(sshd.clientKey, path.join(config, 'id_ed25519'));
  writeFileSync(path.join(config, 'known_hosts'), '');
  // verbosity 1: ansible's first line names the configuration file it read.
  writeFileSync(path.join(config, 'ansible.cfg'), '[defaults]\nverbosity = 1\n');
  writeFileSync(path.join(config, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  for (const file of ['.', ...readdirSync(config)]) chownSync(path.join(config, file), BUILDER_UID, BUILDER_UID);
  chmodSync(config, 0o700);
  chmodSync(path.join(config, 'id_ed25519'), 0o600);

  const port = await freePort();
  await cli('docker', [
    'run', '-d', '--name', name, '--network', 'host',
    '-v', `${deployFiles}:/deploy:ro`, '-v', `${config}:/config:ro`,
    '-e', 'HOST=127.0.0.1', '-e', `PORT=${port}`,
    '-e', 'PLAYBOOK=/deploy/playbook.yml', '-e', 'ANSIBLE_INVENTORY=/deploy/inventory.ini',
    '-e', 'ANSIBLE_PRIVATE_KEY_FILE=/config/id_ed25519', '-e', 'ANSIBLE_SSH_ARGS=-o UserKnownHostsFile=/config/known_hosts',
    '-e', 'ANSIBLE_CONFIG=/config/ansible.cfg', '-e', 'DEPLOY_ENV_PASSTHROUGH=KUBECONFIG', '-e', 'KUBECONFIG=/config/kubeconfig',
    IMAGE,
  ]);
  api = client(`http://127.0.0.1:${port}`);
  await waitFor(async () => (await api.text('/healthz')).status === 200, 60_000, 'the server to answer /healthz');
}, 120_000);

afterAll(async () => {
  await removeContainer(name, 'ssh-deploy.log');
  // Its sessions too (ansible's ControlPersist masters, where an ssh_args asks for them).
  await sshd?.stop();
}, 60_000);

describe('a deploy over SSH from the image, configured as the README says', () => {
  it('reads the key as uid 10001 (mode 600), and with the host\'s key not in the mounted known_hosts ends in error saying so and naming the settings', async () => {
    expect((await cli('docker', ['exec', name, 'stat', '-c', '%u %a', '/config/id_ed25519'])).trim()).toBe(`${BUILDER_UID} 600`);
    const job = await deploy();
    expect(job.state).toBe('error');
    expect(job.error).toMatch(
      /^Task "Roll out" failed on deploy-host: unreachable: Failed to connect to the host via ssh: Host key verification failed\. The host's SSH key is not in a known_hosts file/,
    );
    expect(job.error).toContain('UserKnownHostsFile in ANSIBLE_SSH_ARGS or ansible.cfg');
    expect(job.error).toContain("set ANSIBLE_HOST_KEY_CHECKING=False in the server's environment");
    expect(fixture.deployed('web')).toBeNull();
  }, 120_000);

  it('is done once the host\'s key is in that known_hosts: the image is written on the host, and the playbook got KUBECONFIG and the ansible.cfg', async () => {
    appendFileSync(path.join(config, 'known_hosts'), `${sshd!.knownHostsLine}\n`);
    const job = await deploy();
    expect(job).toMatchObject({ state: 'done', error: null, result: { playbook: '/deploy/playbook.yml', recap: { 'deploy-host': { failed: 0, unreachable: 0, changed: 1 } } } });
    expect(fixture.deployed('web')).toBe('registry.example.com/web:7\n');
    const logs = (job.logs as string[]).map(stripAnsi);
    expect(logs).toContain('Using /config/ansible.cfg as config file');
    expect(logs).toContain('    "msg": "KUBECONFIG=/config/kubeconfig secret="');
  }, 120_000);
});
