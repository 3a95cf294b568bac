/**
 * A stand-in for `node:20-bookworm-slim` on machines without Docker Hub (see
 * ../shared/ENGINES.md): a Debian bookworm root made by mmdebstrap from Debian's packages,
 * imported into the test engine, with this machine's Node 20 (and npm, corepack) copied in
 * where the official image keeps them. The root file system is made once per machine and
 * cached; ansible-core, the ssh client and tini are in it already, so the image build under
 * test needs no Debian mirror, and redis-server too, so the same root serves as compose's Redis
 * (LOCAL_REDIS_IMAGE). The machine's own CA certificates (/usr/local/share/ca-certificates)
 * are trusted in it, as on the machine: where the npm registry is reached through a TLS proxy,
 * the image build under test can still install from it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';

export const LOCAL_BASE_IMAGE = 'local/node:20-bookworm-slim';
/** Redis 7 from Debian's redis-server, for compose.yaml's REDIS_IMAGE: run it as `redis-server …`. */
export const LOCAL_REDIS_IMAGE = 'local/redis:7-bookworm';
const ROOTFS_IMAGE = 'local/debian:bookworm';
const PACKAGES = ['ca-certificates', 'libstdc++6', 'python3', 'ansible-core', 'openssh-client', 'tini', 'redis-server'];
const MACHINE_CAS = '/usr/local/share/ca-certificates';
const CACHE = '/var/tmp/docker-builder-test-base';

const run = promisify(execFile);

/** The Debian root as a tar file, made with mmdebstrap the first time (about 30 s). */
async function rootfsTar(): Promise<string> {
  const key = createHash('sha256').update(['bookworm', 'minbase', ...PACKAGES].join(' ')).digest('hex').slice(0, 16);
  const file = path.join(CACHE, `bookworm-${key}.tar`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE, { recursive: true });
  // mmdebstrap picks its output format from the name: keep ".tar" at the end.
  const partial = `${file.slice(0, -".tar".length)}.partial-${process.pid}.tar`;
  try {
    await run('mmdebstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, 'bookworm', partial], { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    rmSync(partial, { force: true });
    throw new Error(`mmdebstrap failed (apt-get install mmdebstrap; it needs Debian's package mirror): ${(error as Error).message}`);
  }
  renameSync(partial, file);
  return file;
}

async function follow(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve(null))));
}

async function hasImage(docker: Dockerode, name: string): Promise<boolean> {
  return docker.getImage(name).inspect().then(() => true, () => false);
}

async function ensureRootfsImage(docker: Dockerode): Promise<void> {
  if (await hasImage(docker, ROOTFS_IMAGE)) return;
  const [repo, tag] = ROOTFS_IMAGE.split(':') as [string, string];
  await follow(docker, await docker.importImage(createReadStream(await rootfsTar()) as never, { repo, tag }));
}

/** Makes LOCAL_REDIS_IMAGE in the given engine (once per engine) and returns its name: the Debian root, tagged. */
export async function ensureLocalRedisImage(docker: Dockerode): Promise<string> {
  if (await hasImage(docker, LOCAL_REDIS_IMAGE)) return LOCAL_REDIS_IMAGE;
  await ensureRootfsImage(docker);
  const [repo, tag] = LOCAL_REDIS_IMAGE.split(':') as [string, string];
  await docker.getImage(ROOTFS_IMAGE).tag({ repo, tag });
  return LOCAL_REDIS_IMAGE;
}

/** Makes LOCAL_BASE_IMAGE in the given engine (once per engine) and returns its name. */
export async function ensureLocalBaseImage(docker: Dockerode): Promise<string> {
  if (await hasImage(docker, LOCAL_BASE_IMAGE)) return LOCAL_BASE_IMAGE;
  await ensureRootfsImage(docker);

  // Everything is laid out as it will be in the image and added in one layer: with vfs storage
  // every instruction of a classic build copies the whole file system, so BuildKit and few steps.
  const context = await mkdtemp(path.join(tmpdir(), 'dbt-base-'));
  try {
    const usrLocal = path.join(context, 'root', 'usr', 'local');
    await cp(process.execPath, path.join(usrLocal, 'bin', 'node'));
    const modules = path.resolve(path.dirname(process.execPath), '../lib/node_modules');
    await cp(path.join(modules, 'npm'), path.join(usrLocal, 'lib', 'node_modules', 'npm'), { recursive: true });
    await cp(path.join(modules, 'corepack'), path.join(usrLocal, 'lib', 'node_modules', 'corepack'), { recursive: true });
    mkdirSync(path.join(usrLocal, 'share', 'ca-certificates'), { recursive: true });
    const cas = existsSync(MACHINE_CAS) ? readdirSync(MACHINE_CAS).filter((name) => name.endsWith('.crt')) : [];
    for (const name of cas) await cp(path.join(MACHINE_CAS, name), path.join(usrLocal, 'share', 'ca-certificates', name));
    await writeFile(
      path.join(context, 'Dockerfile'),
      [
        `FROM ${ROOTFS_IMAGE}`,
        'COPY root/ /',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx' +
          ' && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack && update-ca-certificates >/dev/null && node --version',
        // Node's own CA list lacks the machine's: this adds them (an empty addition where there are none).
        'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    const { pack } = await import('tar-fs');
    // BuildKit needs a network mode on an engine without a bridge; this build needs no network.
    await follow(docker, await docker.buildImage(pack(context) as never, { t: LOCAL_BASE_IMAGE, version: '2', networkmode: 'none' }));
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return LOCAL_BASE_IMAGE;
}
