/**
 * A deploy to a real host over SSH, for the deploy runner's tests and the server's: a playbook
 * whose "Roll out" loop writes each mapping to `<deploy_dir>/<service>.image` on the host (an
 * sshd on loopback, so the test can look), and an inventory for it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SshServer } from './sshd.js';

export interface SshDeploy {
  playbook: string;
  inventory: string;
  /** Where the playbook writes, unless a `deploy_dir` given to ansible-playbook says otherwise. */
  deployDir: string;
  /** What the deploy wrote for `service` in `dir` (default `deployDir`), or null. */
  deployed(service: string, dir?: string): string | null;
  /**
   * A HOME of its own for one run: ansible keeps its SSH connections (ControlPersist) under
   * ~/.ansible/cp, and a run must never reuse one another run opened with other settings.
   */
  freshHome(): string;
}

const PLAYBOOK = `# Deploys over SSH: the controller's view of its environment, then one file per mapping on the host.
- name: Deploy over SSH
  hosts: deploy
  gather_facts: no
  tasks:
    - name: Show what the server passed on
      debug:
        msg: "KUBECONFIG={{ lookup('env', 'KUBECONFIG') }} secret={{ lookup('env', 'DOCKER_BUILDER_TEST_SECRET') }}"

    - name: Roll out
      copy:
        dest: "{{ deploy_dir }}/{{ item.key }}.image"
        content: "{{ item.value }}\\n"
      loop: "{{ mappings | dict2items }}"
`;

/** `inventoryVars`: host variables for the inventory, as SshServer.inventory takes them (null leaves one out). */
export function sshDeploy(server: SshServer, label: string, options: { inventoryVars?: Record<string, string | null> } = {}): SshDeploy {
  const dir = mkdtempSync(path.join(server.dir, `${label}-`));
  const deployDir = path.join(dir, 'deployed');
  mkdirSync(deployDir);
  const playbook = path.join(dir, 'playbook.yml');
  writeFileSync(playbook, PLAYBOOK);
  const inventory = path.join(dir, 'inventory.ini');
  writeFileSync(inventory, server.inventory('deploy-host', { deploy_dir: deployDir, ...options.inventoryVars }));
  return {
    playbook,
    inventory,
    deployDir,
    deployed(service, where = deployDir) {
      const file = path.join(where, `${service}.image`);
      return existsSync(file) ? readFileSync(file, 'utf8') : null;
    },
    freshHome: () => mkdtempSync(path.join(dir, 'home-')),
  };
}
