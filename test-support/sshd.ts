/**
 * A real OpenSSH server (Debian's openssh-server) on loopback, standing in for a deploy host:
 * its own sshd_config, port, host key and authorized client key in a directory of its own.
 * Nothing of the machine's ssh setup is read or written (the inventory it writes points ssh at
 * its own known_hosts file), so runs never meet each other's state.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export const SSHD = '/usr/sbin/sshd';

export interface SshServer {
  port: number;
  /** Who ssh logs in as: this process's user (sshd run by anyone else can log in as no one else). */
  user: string;
  /** A private key the server accepts for `user`. */
  clientKey: string;
  /** This server's line for a known_hosts file: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  knownHostsLine: string;
  /** The server's own directory; scratch files of a test may go here too. */
  dir: string;
  /** What sshd said (it runs with -e). */
  log(): string;
  /**
   * An inventory with one host, `name`, in the group `deploy`, reached over this server. ssh
   * consults `known_hosts` (none of the machine's: an empty file unless a test fills it), and
   * ansible's temp files on the "remote" go under `dir`. Settings an operator gives (ANSIBLE_SSH_ARGS,
   * ansible.cfg's ssh_args) come first on ssh's command line, and ssh keeps an option's first value.
   * `vars` add host variables or replace these; a null one leaves it out (`ansible_ssh_common_args:
   * null` for an inventory that names no file of this machine, as one read inside a container).
   */
  inventory(name: string, vars?: Record<string, string | null>): string;
  stop(): Promise<void>;
}

export async function startSshServer(): Promise<SshServer> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server (scripts/ensure-engines.mjs does)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'sshd-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'docker-builder-test', '-f', file], { stdio: 'ignore' });
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'client_key'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')), { mode: 0o600 });
  writeFileSync(path.join(dir, 'client_known_hosts'), '');
  // sshd refuses to start as root without its privilege separation directory (tmpfiles makes it on a booted system).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      'PidFile none',
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      // The temp directory's modes are not what StrictModes wants of a home directory.
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
    if (sshd.exitCode !== null || Date.now() > deadline) {
      sshd.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [type, key] = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').split(' ');
  const user = userInfo().username;
  return {
    port,
    user,
    clientKey: path.join(dir, 'client_key'),
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}`,
    dir,
    log: () => log,
    inventory(name, vars = {}) {
      const hostVars: Record<string, string | null> = {
        ansible_host: '127.0.0.1',
        ansible_port: String(port),
        ansible_user: user,
        ansible_remote_tmp: path.join(dir, 'remote-tmp'),
        ansible_ssh_common_args: `'-o UserKnownHostsFile=${path.join(dir, 'client_known_hosts')} -o GlobalKnownHostsFile=/dev/null'`,
        ...vars,
      };
      const set = Object.entries(hostVars).filter((entry): entry is [string, string] => entry[1] !== null);
      return `[deploy]\n${name} ${set.map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
    },
    async stop() {
      // Its sessions first: a client's ControlPersist master (ansible's default) would hold one open for a minute.
      for (const pid of descendants(sshd.pid!)) signal(pid, 'SIGKILL');
      if (sshd.exitCode === null && sshd.signalCode === null) {
        const exited = once(sshd, 'exit');
        sshd.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The process tree under `pid` (Linux /proc), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // It ended while we looked.
    }
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
