#!/usr/bin/env node
// Makes sure the engines the tests run against are installed (see ../shared/ENGINES.md).
// On these machines (Debian, root) a missing one is installed with apt-get; elsewhere the
// script says what to install and stops, rather than letting tests fail obscurely later.
import { execFileSync, spawnSync } from 'node:child_process';

const ENGINES = [
  { command: 'redis-server', packages: ['redis-server'], why: 'the Redis store and BullMQ tests' },
  { command: 'dockerd', packages: ['docker.io'], why: 'the Docker runner tests' },
  { command: 'docker-registry', packages: ['docker-registry'], why: 'the push tests' },
  { command: 'busybox', packages: ['busybox-static'], why: 'the base image of test builds (there is no Docker Hub)' },
  { command: 'git', packages: ['git'], why: 'the git build-context test' },
  { command: 'ansible-playbook', packages: ['ansible-core'], why: 'the deploy runner tests' },
  // sbin is not on every user's PATH: looked for where Debian puts it.
  { command: '/usr/sbin/sshd', packages: ['openssh-server'], why: 'the deploys to a real host over SSH (an sshd on loopback)' },
  { command: 'chromium', packages: ['chromium'], why: 'the web UI browser tests' },
  { command: 'mmdebstrap', packages: ['mmdebstrap'], why: 'the base image of the image tests (a Debian root from Debian\'s packages)' },
  { command: 'docker-compose', packages: ['docker-compose'], why: 'the compose.yaml tests (Debian\'s docker-compose 1.29)' },
  { command: 'openssl', packages: ['openssl'], why: 'the certificates of the TLS engine and git host tests' },
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = ENGINES.filter((engine) => !has(engine.command));
if (missing.length === 0) process.exit(0);

const packages = missing.flatMap((engine) => engine.packages);
const canInstall = process.getuid?.() === 0 && has('apt-get');
if (!canInstall) {
  for (const engine of missing) console.error(`missing: ${engine.command} (for ${engine.why})`);
  console.error(`install them first, e.g.: sudo apt-get install -y ${packages.join(' ')}`);
  process.exit(1);
}
process.stdout.write(`installing ${packages.join(', ')} with apt-get (needed by the tests)…\n`);
const apt = (args) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
apt(['update', '-qq']);
apt(['install', '-y', '-qq', ...packages]);
