/**
 * The image built from the repository's Dockerfile (container/global-setup.ts builds it once per
 * run, from a local stand-in for node:20-bookworm-slim, test-support/base-image.ts: there is no
 * Docker Hub here): what its build context holds, and what its configuration says.
 */
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { BUILDER_UID, IMAGE, docker, image } from './support.js';

describe('the image', () => {
  it('is built from a small context: no node_modules, dist, .git or tests', () => {
    expect(image.contextBytes).toBeLessThan(4 * 1024 * 1024);
    expect(image.contextFiles).toContain('pnpm-lock.yaml');
    expect(image.contextFiles.filter((file) => /(^|\/)(node_modules|dist|\.git|test)(\/|$)/.test(file))).toEqual([]);
  });

  it('runs docker-builder as uid 10001 under tini, and stops on SIGTERM', async () => {
    const Config = (await docker.getImage(IMAGE).inspect()).Config as Dockerode.ImageInspectInfo['Config'] & { StopSignal?: string };
    expect(Config.User).toBe(String(BUILDER_UID));
    expect(Config.StopSignal).toBe('SIGTERM');
    expect(Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
    expect(Config.Entrypoint).toEqual(['tini', '--', 'node', '/app/dist/cli.js']);
    expect(Config.Cmd).toEqual(['serve']);
    expect(Config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'HOST=0.0.0.0', 'PORT=8000', 'SHUTDOWN_DEADLINE_SECONDS=25']));
  });
});
