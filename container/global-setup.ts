/**
 * What every container test file shares, made once per run (after the root globalSetup's Redis):
 * a private dockerd, a registry, the local base image and the image built from the repository's
 * Dockerfile. The build takes minutes here, so it is done once, here, and not in each file;
 * the test files read what they need with inject('containerEngine') and inject('serverImage')
 * (container/support.ts does) and talk to the engine through its socket.
 *
 * The engine has no default bridge (--bridge=none): containers run on a network a test creates
 * (compose makes its own) or on the host's. Besides its socket it listens with TLS on loopback,
 * as docker:dind does on 2376, with certificates laid out as dind makes them.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureLocalBaseImage, ensureLocalRedisImage } from '../test-support/base-image.js';
import { startDockerEngine, startRegistry, type DockerEngine, type Registry } from '../test-support/docker-engine.js';
import { makeDockerCertificates } from '../test-support/docker-tls.js';
import { freePort } from '../test-support/free-port.js';
import { buildServerImage } from '../test-support/server-image.js';

const IMAGE = 'docker-builder:test';
/**
 * The image is built with DOCKER_GID set, to a group id that is not the socket's: its user gets
 * that group (image.container.test.ts checks), and the socket still opens only through
 * --group-add (compose: group_add), as in an image built without it. One build instead of two:
 * each takes minutes here.
 */
const BAKED_GID = 4242;

let engine: DockerEngine | undefined;
let registry: Registry | undefined;
let dir: string | undefined;

export async function setup(project: TestProject) {
  try {
    dir = mkdtempSync(path.join(tmpdir(), 'dbt-engine-'));
    const certificates = makeDockerCertificates(dir);
    const tlsPort = await freePort();
    engine = await startDockerEngine({ args: certificates.dockerdArgs(tlsPort) });
    const { docker } = engine;
    const socket = new URL(engine.host).pathname;
    registry = await startRegistry();

    const baseStarted = Date.now();
    const base = await ensureLocalBaseImage(docker);
    await ensureLocalRedisImage(docker);
    process.stdout.write(`${base}: made in ${((Date.now() - baseStarted) / 1000).toFixed(0)} s\n`);
    const built = await buildServerImage(docker, { tag: IMAGE, buildArgs: { BASE_IMAGE: base, DOCKER_GID: String(BAKED_GID) } });
    const [image, baseImage] = await Promise.all([docker.getImage(IMAGE).inspect(), docker.getImage(base).inspect()]);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    process.stdout.write(
      `${IMAGE}: built in ${built.seconds.toFixed(0)} s (BuildKit, ${built.contextFiles.length} files / ${(built.contextBytes / 1024).toFixed(0)} KiB of context); ` +
        `${mb(image.Size)} MB, of which ${mb(baseImage.Size)} MB is the base ${base} and ${mb(image.Size - baseImage.Size)} MB this Dockerfile's layers\n`,
    );

    project.provide('containerEngine', {
      host: engine.host,
      socket,
      socketGid: statSync(socket).gid,
      registry: registry.address,
      tls: { port: tlsPort, clientDir: certificates.clientDir },
    });
    project.provide('serverImage', {
      tag: IMAGE,
      bakedGid: BAKED_GID,
      base,
      seconds: built.seconds,
      contextBytes: built.contextBytes,
      contextFiles: built.contextFiles,
      bytes: image.Size,
      baseBytes: baseImage.Size,
    });
  } catch (error) {
    // Nothing is left running when the build fails (vitest may not call teardown then).
    await teardown();
    throw error;
  }
}

export async function teardown() {
  await Promise.allSettled([engine?.stop(), registry?.stop()]);
  engine = registry = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The private dockerd the container tests run on. */
    containerEngine: {
      /** DOCKER_HOST for its socket: `unix:///tmp/dk-…/docker.sock`. */
      host: string;
      /** The socket's path, to mount into containers. */
      socket: string;
      /** The socket's group (mode 660, root's): what --group-add names. */
      socketGid: number;
      /** A registry on loopback: `127.0.0.1:PORT`. */
      registry: string;
      /** Its TLS listener on 127.0.0.1 (as docker:dind's on 2376) and a client certificate's directory (DOCKER_CERT_PATH). */
      tls: { port: number; clientDir: string };
    };
    /** The image built from the repository's Dockerfile, and the figures of its build. */
    serverImage: {
      tag: string;
      /** The DOCKER_GID build argument it was built with (not the socket's group). */
      bakedGid: number;
      base: string;
      seconds: number;
      /** Bytes of the build context sent to the engine. */
      contextBytes: number;
      /** Paths in the context, relative to the repository. */
      contextFiles: string[];
      /** Its size, and its base's, as the engine reports them. */
      bytes: number;
      baseBytes: number;
    };
  }
}
